// deno-lint-ignore-file no-explicit-any
// The dev KYC service and client_env: HTTPS with the dev grid's own CA, GridClient's status answers
// (200 VERIFIED, 404 when marked unverified, 400 for a bad id), and an unmodified Node program that
// sets client_env reaching https://kyc.dev.grid.tf through axios-style https.get and fetch alike,
// with its certificate checked against the dev CA.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningKyc, startKyc, writeClientEnv } from "./mod.ts";
import { KYC_HOSTS } from "./service.ts";

const t = suite("grid/kyc: dev KYC service and client_env");
let dir: string;
let kyc: RunningKyc;
let env: Record<string, string>;
const ADDR = "5EqFUHMj8WpGKwfcmXjpvgRJVsKj3oZ28UFKvLyDEcjQMsr1";

function get(path: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: any }> {
  return new Promise((ok, fail) => {
    const req = request(kyc.url + path, { method: init.method ?? "GET", ca: readFileSync(kyc.caFile), servername: "kyc.dev.grid.tf" }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => ok({ status: res.statusCode!, body: JSON.parse(s) }));
    });
    req.on("error", fail);
    req.end(init.body);
  });
}

/** Runs `node script` (async: the services it talks to live in this process). */
function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const p = spawn("node", [script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c) => (stdout += c));
    p.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      ok({ status, stdout, stderr });
    });
  });
}

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "zt-explorer-kyc-"));
  kyc = await startKyc({ stateDir: dir });
  const routes: Record<string, { host: string; port: number }> = {};
  for (const h of KYC_HOSTS) routes[h] = { host: "127.0.0.1", port: kyc.port };
  env = writeClientEnv({ dir: join(dir, "client-env"), caFile: kyc.caFile, routes });
});

t.after(async () => {
  await kyc?.stop();
});

t("status: VERIFIED by default, 404 when marked UNVERIFIED (in-process or PUT), 400 for a bad id", async () => {
  assert.equal(await get(`/api/v1/status?client_id=${ADDR}`), { status: 200, body: { result: { status: "VERIFIED" } } });
  kyc.setStatus(ADDR, "UNVERIFIED");
  assert.is((await get(`/api/v1/status?client_id=${ADDR}`)).status, 404);
  const put = await get("/api/v1/dev/status", { method: "PUT", body: JSON.stringify({ client_id: ADDR, status: "VERIFIED" }) });
  assert.is(put.status, 200);
  assert.is((await get(`/api/v1/status?client_id=${ADDR}`)).body.result.status, "VERIFIED");
  const bad = await get("/api/v1/status?client_id=nobody");
  assert.is(bad.status, 400);
  assert.match(bad.body.error, "SS58");
  const badPut = await get("/api/v1/dev/status", { method: "PUT", body: JSON.stringify({ client_id: ADDR, status: "MAYBE" }) });
  assert.is(badPut.status, 400);
  assert.is((await get("/nope")).status, 404);
});

t("statuses survive a restart (kept in the state folder)", async () => {
  kyc.setStatus(ADDR, "PENDING");
  await kyc.stop();
  kyc = await startKyc({ stateDir: dir });
  assert.equal((await get(`/api/v1/status?client_id=${ADDR}`)).body, { result: { status: "PENDING" } });
  kyc.setStatus(ADDR, "VERIFIED");
});

t("client_env: an unmodified Node program reaches https://kyc.dev.grid.tf (https and fetch), CA checked", async () => {
  // routes were written for the first instance's port: write them again for the restarted one
  const routes: Record<string, { host: string; port: number }> = {};
  for (const h of KYC_HOSTS) routes[h] = { host: "127.0.0.1", port: kyc.port };
  env = writeClientEnv({ dir: join(dir, "client-env"), caFile: kyc.caFile, routes });
  const script = join(dir, "probe.mjs");
  writeFileSync(script, `
import https from "node:https";
const url = "https://kyc.dev.grid.tf/api/v1/status?client_id=${ADDR}";
const viaHttps = await new Promise((ok, fail) => https.get(url, (res) => { let s = ""; res.on("data", (c) => s += c); res.on("end", () => ok(res.statusCode + " " + s)); }).on("error", fail));
const viaFetch = await fetch(url).then(async (r) => r.status + " " + await r.text());
let other = "";
try { await fetch("https://kyc.dev.grid.tf:8443/"); } catch (e) { other = "refused"; }
console.log(JSON.stringify({ viaHttps, viaFetch, other }));
`);
  const withEnv = await runNode(script, { ...process.env, ...env });
  assert.is(withEnv.status, 0, withEnv.stderr);
  const out = JSON.parse(withEnv.stdout.trim().split("\n").pop()!);
  assert.is(out.viaHttps, `200 {"result":{"status":"VERIFIED"}}`);
  assert.is(out.viaFetch, `200 {"result":{"status":"VERIFIED"}}`);
  assert.is(out.other, "refused", "only port 443 of the name is routed");
  // without the CA the certificate is refused: the routing alone does not make it trusted
  const noCa = { ...process.env, ...env };
  delete (noCa as Record<string, string | undefined>).NODE_EXTRA_CA_CERTS;
  const refused = await runNode(script, noCa);
  assert.not.equal(refused.status, 0);
  assert.match(refused.stderr, /certificate|self.signed|UNABLE_TO_GET_ISSUER/i);
});

t.run();
