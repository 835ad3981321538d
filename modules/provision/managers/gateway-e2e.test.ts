// Gateways end to end, as a grid user does it (root: namespaces): the dev grid of `npm start`
// (startDevGrid) whose node runs its gateway proxy on :443 inside a namespace standing in for the public
// one, the farmer sets the node's public config with a gateway domain, then
//   - `zos client deploy examples/gateway-name.json` (a real CLI process) makes the name contract and the
//     deployment; HTTPS for example.<domain> verifies against the node's CA and reaches the backend;
//   - the official @threefold/grid_client deploys a GatewayNameModel (GWPrimitive) the same way;
//   - `examples/gateway-fqdn.json` passes TLS through: the client sees the backend's own certificate;
//   - a name whose contract belongs to another twin is refused with the reason;
//   - cancelling a contract removes its route while the others keep serving.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startDevGrid, type DevGrid } from "../../../cli/commands/dev/grid.ts";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { DevFaucet } from "../../../cli/commands/dev/faucet.ts";
import { ensureDevUser } from "../../../cli/commands/dev/user.ts";
import { openSession } from "../../../cli/commands/client/session.ts";
import { cancelContract } from "../../../cli/commands/client/deploy.ts";
import { submitTx } from "../../../cli/commands/client/chain_tx.ts";
import { repoRoot } from "../../../kernel/sandbox.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { BACKEND2_IP, BACKEND_IP, GatewayLab, PUBLIC_IP } from "../../../capabilities/gateway/test/lab.ts";
import { issueLeaf, makeRoot } from "../../../capabilities/gateway/x509.ts";

const root = process.getuid?.() === 0;
const DOMAIN = "gw.test";
const t = suite("gateway workloads end to end");
const dir = tempDir("zt-gateway-e2e-");
let lab: GatewayLab;
let grid: DevGrid;
let ca = "";
const backendCa = makeRoot();
const log: string[] = [];
const deployed: Record<string, number> = {};

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 240_000);
    p.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
const zos = (args: string[]) => run(process.execPath, [join(repoRoot, "bin", "zos.js"), ...args]);

t.before(async () => {
  if (!root) return;
  lab = new GatewayLab(dir, "e2e");
  const leaf = issueLeaf(backendCa, "app.example.test");
  await lab.backends({ http: [`${BACKEND_IP}:8080`], tls: [{ listen: `${BACKEND2_IP}:8443`, cert: leaf.certPem, key: leaf.keyPem, name: "app.example.test" }] });
  grid = await startDevGrid({
    stateDir: join(dir, "dev"), blockTimeMs: 200,
    gateway: { listen: "0.0.0.0:443", ns: lab.pin },
    registerTimeoutMs: 300_000,
    log: (l) => log.push(l),
  }).catch((e) => {
    const why = log.filter((l) => /"(crashed|unhealthy|sandbox-mismatch)"|error/i.test(l)).slice(0, 20);
    console.error(`startDevGrid failed: ${(e as Error).message}\n${why.join("\n").slice(0, 6000)}`);
    throw e;
  });
  // the farmer makes the node a gateway: a public config with a domain (its IP is the lab's public side)
  const farmer = grid.devAccounts.find((a) => a.name === "farmer")!;
  const client = await ChainClient.connect({ urls: [grid.chainUrl] });
  const s = await openSession({ chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, mnemonic: farmer.mnemonic, keyType: "sr25519", nodeId: grid.node.nodeId });
  try {
    const pc = { ip4: { ip: `${PUBLIC_IP}/24`, gw: "10.251.0.254" }, ip6: null, domain: DOMAIN };
    for (let i = 0; ; i++) {
      try {
        await submitTx(s.api, s.api.tx.tfgridModule.addNodePublicConfig(grid.farmId, grid.node.nodeId, pc), s.pair);
        break;
      } catch (e) {
        // the dev grid funds its explorer from the farmer account in the background: a nonce race, retry
        if (i >= 5) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await s.close();
    await client.close();
  }
  ca = readFileSync(join(dir, "dev", "node", "gateway", "ca.pem"), "utf8");
});

t.after(async () => {
  await grid?.stop();
  lab?.close();
});

t("zos client deploy examples/gateway-name.json: name contract made, {fqdn} result, HTTPS to the backend", async () => {
  if (!root) return console.log("  (skipped: needs root for namespaces)");
  const r = await zos(["client", "deploy", join(repoRoot, "examples", "gateway-name.json"), "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(r.code, 0, `deploy failed: ${r.stdout}\n${r.stderr}\n${log.slice(-20).join("\n")}`);
  const events = r.stderr.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.ok(events.some((l) => l.event === "name_contract" && l.name === "example" && l.created === true), r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  const wl = out.deployment.workloads[0];
  assert.is(wl.result.state, "ok", JSON.stringify(wl.result));
  assert.equal(wl.result.data, { fqdn: `example.${DOMAIN}` });
  deployed.name = out.contract_id;
  const got = await zos(["client", "get", String(out.contract_id), "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout).workloads[0].result.data, { fqdn: `example.${DOMAIN}` });
  const h = lab.curl(`example.${DOMAIN}`, ca, "/index.html");
  assert.ok(h.ok, h.error);
  assert.is(h.body, `backend ${BACKEND_IP}:8080 /index.html host=example.${DOMAIN}`);
});

t("the official grid_client deploys a GatewayNameModel; its name serves HTTPS", async () => {
  if (!root) return;
  const helper = join(repoRoot, "modules", "provision", "managers", "gateway-gridclient.test-helper.mjs");
  const env = { PATH: process.env.PATH, HOME: dir, ...grid.endpoints.client_env };
  const r = await run("node", [helper, grid.endpointsFile!, "deploy", "gcname", `http://${BACKEND_IP}:8080`], env);
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `no result (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const res = JSON.parse(line!.slice(7));
  assert.not.ok(res.error, res.error);
  assert.equal(res.workloads.map((w: { type: string; state: string }) => [w.type, w.state]), [["gateway-name-proxy", "ok"]], JSON.stringify(res));
  assert.equal(res.workloads[0].data, { fqdn: `gcname.${DOMAIN}` });
  assert.is(lab.curl(`gcname.${DOMAIN}`, ca).body, `backend ${BACKEND_IP}:8080 / host=gcname.${DOMAIN}`);
  const del = await run("node", [helper, grid.endpointsFile!, "delete", "gcname"], env);
  assert.match(del.stdout, /RESULT \{"deleted":true\}/, del.stderr.slice(-1000));
  for (let i = 0; i < 60 && lab.curl(`gcname.${DOMAIN}`, ca).ok; i++) await new Promise((res) => setTimeout(res, 250));
  assert.not.ok(lab.curl(`gcname.${DOMAIN}`, ca).ok, "deleted: the name no longer serves");
});

t("examples/gateway-fqdn.json: TLS passed through, the client sees the backend's own certificate", async () => {
  if (!root) return;
  const r = await zos(["client", "deploy", join(repoRoot, "examples", "gateway-fqdn.json"), "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(r.code, 0, `deploy failed: ${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.deployment.workloads[0].result.data, {});
  deployed.fqdn = out.contract_id;
  const h = lab.curl("app.example.test", backendCa.certPem);
  assert.ok(h.ok, h.error);
  assert.is(h.body, "passthrough app.example.test");
  assert.not.ok(lab.curl("app.example.test", ca).ok, "the node's CA did not sign what the client saw");
});

t("a name whose contract belongs to another twin is refused", async () => {
  if (!root) return;
  const client = await ChainClient.connect({ urls: [grid.chainUrl] });
  const alice = grid.devAccounts.find((a) => a.name === "alice")!;
  const other = await ensureDevUser(join(dir, "other"), client, new DevFaucet(client, await signerFromMnemonic(alice.mnemonic, "sr25519")), grid.relayUrl);
  await client.close();
  const s = await openSession({ chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, mnemonic: other.mnemonic, keyType: "sr25519", nodeId: grid.node.nodeId });
  try {
    await submitTx(s.api, s.api.tx.smartContractModule.createNameContract("taken"), s.pair);
  } finally {
    await s.close();
  }
  const file = join(dir, "taken.json");
  const ex = JSON.parse(readFileSync(join(repoRoot, "examples", "gateway-name.json"), "utf8"));
  ex.workloads[0].data.name = "taken";
  writeFileSync(file, JSON.stringify(ex));
  const r = await zos(["client", "deploy", file, "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const events = r.stderr.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.ok(events.some((l) => l.event === "name_contract" && l.name === "taken" && l.owner === other.twinId), r.stderr);
  const wl = JSON.parse(r.stdout.trim().split("\n").at(-1)!).deployment.workloads[0];
  assert.is(wl.result.state, "error");
  assert.match(wl.result.message, new RegExp(`the name "taken" belongs to twin ${other.twinId} \\(name contract \\d+\\), not to this deployment's twin ${grid.user.twinId}`));
  assert.not.ok(lab.curl(`taken.${DOMAIN}`, ca).ok);
});

t("cancelling a contract removes its route; the other routes keep serving", async () => {
  if (!root) return;
  const s = await openSession({ chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, mnemonic: grid.user.mnemonic, keyType: "sr25519", nodeId: grid.node.nodeId });
  try {
    await cancelContract(s, deployed.name);
  } finally {
    await s.close();
  }
  const deadline = Date.now() + 30_000;
  while (lab.curl(`example.${DOMAIN}`, ca).ok) {
    if (Date.now() > deadline) throw new Error(`still served after cancel\n${log.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.is(lab.curl("app.example.test", backendCa.certPem).body, "passthrough app.example.test");
});

t.run();
