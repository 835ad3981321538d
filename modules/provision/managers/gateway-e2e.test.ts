// Gateways end to end, as a grid user does it after `npm start` as root (root: namespaces): the dev grid
// as `zos dev` wires it (startDevGrid with the first node as the access node: the farmer's public config
// with domain node1.zos.test on the dev LAN; the gateway proxy on :443 of the node's public namespace; the
// host reaches it at endpoints.json gateway_url; demo backends on the dev LAN), then
//   - `zos client deploy examples/gateway-name.json` (a real CLI process, the example as it is) makes the
//     name contract and the deployment; HTTPS for example.node1.zos.test through gateway_url verifies
//     against the node's CA (endpoints.json gateway.ca_pem) and reaches the demo backend;
//   - the same name answers on the node's public address from the dev LAN (the proxy is in the public
//     namespace, not on the host);
//   - the official @threefold/grid_client deploys a GatewayNameModel (GWPrimitive) the same way;
//   - `examples/gateway-fqdn.json` passes TLS through: the client sees the backend's own certificate;
//   - a name whose contract belongs to another twin is refused with the reason;
//   - cancelling a contract removes its route while the others keep serving.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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
import { denoBinary, repoRoot } from "../../../kernel/sandbox.ts";
import { networkId } from "../../lib/gridtypes/names.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { rootOnly } from "../../../tools/test-env.ts";

const root = rootOnly("gateway workloads end to end (namespaces)");
const DOMAIN = "node1.zos.test";
const DEMO_HTTP = "198.18.0.250:8080";
const t = suite("gateway workloads end to end (npm start as root)");
const dir = tempDir("zt-gateway-e2e-");
let grid: DevGrid;
let ca = "";
let demoCa = "";
const log: string[] = [];
const NR_BACKEND = "10.40.1.2:8080";
const VM_NS = `zt-gwvm${process.pid}`;
const VM_LINK = `zt-gwv${process.pid}`.slice(0, 15);
let vmBackend: ChildProcess | null = null;
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

/**
 * HTTPS to `host` the way a user on this host does it: at endpoints.json gateway_url, trusting `caPem` only
 * (or from the dev LAN at the node's public address). Asynchronous: the host's loopback forward runs in
 * this process (startDevGrid), so a synchronous curl would block it.
 */
async function curl(host: string, caPem: string, path = "/", via: "host" | "lan" = "host"): Promise<{ ok: boolean; body: string; error: string }> {
  const caFile = join(dir, `ca-${host}.pem`);
  writeFileSync(caFile, caPem);
  const port = via === "host" ? grid.gateway!.host_port : 443;
  const ip = via === "host" ? "127.0.0.1" : grid.gateway!.public_address.split(":")[0];
  const args = ["-sS", "--max-time", "5", "--cacert", caFile, "--resolve", `${host}:${port}:${ip}`, `https://${host}:${port}${path}`];
  const r = via === "host" ? await run("curl", args) : await run("nsenter", [`--net=${grid.lanNetns}`, "--", "curl", ...args]);
  return { ok: r.code === 0, body: r.stdout, error: r.stderr };
}

t.before(async () => {
  if (!root) return;
  grid = await startDevGrid({
    stateDir: join(dir, "dev"), blockTimeMs: 200,
    accessNode: 1, // what `zos dev` (npm start) passes as root
    registerTimeoutMs: 300_000,
    log: (l) => log.push(l),
  }).catch((e) => {
    const why = log.filter((l) => /"(crashed|unhealthy|sandbox-mismatch)"|error/i.test(l)).slice(0, 20);
    console.error(`startDevGrid failed: ${(e as Error).message}\n${why.join("\n").slice(0, 6000)}`);
    throw e;
  });
  ca = readFileSync(grid.gateway!.ca_pem, "utf8");
  demoCa = readFileSync(grid.gateway!.demo_backends.ca_pem, "utf8");
});

t.after(async () => {
  if (vmBackend && vmBackend.exitCode === null) vmBackend.kill("SIGKILL");
  if (root) {
    try {
      execFileSync("ip", ["netns", "del", VM_NS], { stdio: "ignore" }); // its veth (and the peer on the bridge) go with it
    } catch { /* not made */ }
  }
  await grid?.stop();
});

t("endpoints.json says where the gateway is: gateway_url on the host's loopback, the node's public :443, the CA", async () => {
  if (!root) return console.log("  (skipped: needs root for namespaces)");
  const ep = JSON.parse(readFileSync(grid.endpointsFile!, "utf8"));
  assert.match(ep.gateway_url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.is(ep.gateway.public_address, "198.18.0.1:443");
  assert.is(ep.gateway.domain, DOMAIN);
  assert.match(readFileSync(ep.gateway.ca_pem, "utf8"), /BEGIN CERTIFICATE/);
  assert.is(ep.access_node.domain, DOMAIN);
  // an unknown name is closed at the handshake (the proxy answers, it has no route for it)
  const r = await curl(`nothing.${DOMAIN}`, ca);
  assert.not.ok(r.ok);
});

t("zos client deploy examples/gateway-name.json: name contract made, {fqdn} result, HTTPS to the backend", async () => {
  if (!root) return;
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
  const h = await curl(`example.${DOMAIN}`, ca, "/index.html");
  assert.ok(h.ok, h.error);
  assert.is(h.body, `demo backend ${DEMO_HTTP} /index.html host=example.${DOMAIN}:${grid.gateway!.host_port}`);
  // the proxy listens in the node's public namespace: the dev LAN reaches it at the public address
  const lan = await curl(`example.${DOMAIN}`, ca, "/lan", "lan");
  assert.ok(lan.ok, lan.error);
  assert.is(lan.body, `demo backend ${DEMO_HTTP} /lan host=example.${DOMAIN}`);
});

t("the official grid_client deploys a GatewayNameModel; its name serves HTTPS", async () => {
  if (!root) return;
  const helper = join(repoRoot, "modules", "provision", "managers", "gateway-gridclient.test-helper.mjs");
  const env = { PATH: process.env.PATH, HOME: dir, ...grid.endpoints.client_env };
  const r = await run("node", [helper, grid.endpointsFile!, "deploy", "gcname", `http://${DEMO_HTTP}`], env);
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `no result (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const res = JSON.parse(line!.slice(7));
  assert.not.ok(res.error, res.error);
  assert.equal(res.workloads.map((w: { type: string; state: string }) => [w.type, w.state]), [["gateway-name-proxy", "ok"]], JSON.stringify(res));
  assert.equal(res.workloads[0].data, { fqdn: `gcname.${DOMAIN}` });
  assert.is((await curl(`gcname.${DOMAIN}`, ca)).body, `demo backend ${DEMO_HTTP} / host=gcname.${DOMAIN}:${grid.gateway!.host_port}`);
  const del = await run("node", [helper, grid.endpointsFile!, "delete", "gcname"], env);
  assert.match(del.stdout, /RESULT \{"deleted":true\}/, del.stderr.slice(-1000));
  for (let i = 0; i < 60 && (await curl(`gcname.${DOMAIN}`, ca)).ok; i++) await new Promise((res) => setTimeout(res, 250));
  assert.not.ok((await curl(`gcname.${DOMAIN}`, ca)).ok, "deleted: the name no longer serves");
});

t("examples/gateway-fqdn.json: TLS passed through, the client sees the backend's own certificate", async () => {
  if (!root) return;
  const r = await zos(["client", "deploy", join(repoRoot, "examples", "gateway-fqdn.json"), "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(r.code, 0, `deploy failed: ${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.deployment.workloads[0].result.data, {});
  deployed.fqdn = out.contract_id;
  const h = await curl("app.example.test", demoCa);
  assert.ok(h.ok, h.error);
  assert.is(h.body, "passthrough app.example.test");
  assert.not.ok((await curl("app.example.test", ca)).ok, "the node's CA did not sign what the client saw");
});

t("the network field: a backend inside the user's NR, reached through the gateway", async () => {
  if (!root) return;
  // one deployment: the NR (this node joins the user's network) and a name proxy to a private IP in it
  const file = join(dir, "nr-gateway.json");
  writeFileSync(file, JSON.stringify({
    version: 0, metadata: "", description: "gateway to a backend on the user's network",
    workloads: [
      {
        version: 0, name: "gwnet", type: "network", metadata: "", description: "",
        data: { ip_range: "10.40.0.0/16", subnet: "10.40.1.0/24", wireguard_private_key: "IP9a9XyrZPF+X6F5/wvchvW3a1DLJA9EfEZb8qMKrlA=", wireguard_listen_port: 3401, peers: [] },
      },
      {
        version: 0, name: "nrweb", type: "gateway-name-proxy", metadata: "", description: "",
        data: { name: "nrapp", tls_passthrough: false, backends: [`http://${NR_BACKEND}`], network: "gwnet" },
      },
    ],
  }));
  const r = await zos(["client", "deploy", file, "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(r.code, 0, `deploy failed: ${r.stdout}\n${r.stderr}`);
  const wls = JSON.parse(r.stdout.trim().split("\n").at(-1)!).deployment.workloads;
  assert.equal(wls.map((w: { name: string; result: { state: string } }) => [w.name, w.result.state]), [["gwnet", "ok"], ["nrweb", "ok"]], JSON.stringify(wls));
  // a VM stand-in on the NR's bridge (in the node's host namespace): 10.40.1.2, default via the NR
  const netId = networkId(grid.user.twinId, "gwnet");
  const hostNs = join(dir, "dev", "node", "netlink", "ns", "host");
  const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  sh("ip", ["netns", "add", VM_NS]);
  sh("nsenter", [`--net=${hostNs}`, "--", "ip", "link", "add", VM_LINK, "type", "veth", "peer", "name", "eth0", "netns", VM_NS]);
  sh("nsenter", [`--net=${hostNs}`, "--", "ip", "link", "set", VM_LINK, "master", `b-${netId}`, "up"]);
  for (const a of [["addr", "add", `${NR_BACKEND.split(":")[0]}/24`, "dev", "eth0"], ["link", "set", "eth0", "up"], ["link", "set", "lo", "up"], ["route", "add", "default", "via", "10.40.1.1"]]) {
    sh("ip", ["-n", VM_NS, ...a]);
  }
  vmBackend = spawn("ip", ["netns", "exec", VM_NS, denoBinary(), "run", "--quiet", "--no-lock", "--allow-net", join(repoRoot, "capabilities", "gateway", "test", "backends.ts"), JSON.stringify({ http: [NR_BACKEND], tls: [] })], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    vmBackend!.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
    vmBackend!.once("exit", (c) => reject(new Error(`backend exited (${c})`)));
  });
  const h = await curl(`nrapp.${DOMAIN}`, ca, "/private");
  assert.ok(h.ok, h.error);
  assert.is(h.body, `backend ${NR_BACKEND} /private host=nrapp.${DOMAIN}:${grid.gateway!.host_port}`);
  // a network this twin does not have on the node is refused with what to do
  const bad = JSON.parse(readFileSync(join(repoRoot, "examples", "gateway-name.json"), "utf8"));
  bad.workloads[0].data = { name: "nrbad", tls_passthrough: false, backends: [`http://${NR_BACKEND}`], network: "nosuchnet" };
  writeFileSync(file, JSON.stringify(bad));
  const r2 = await zos(["client", "deploy", file, "--endpoints", grid.endpointsFile!, "--json"]);
  assert.is(r2.code, 1, r2.stdout + r2.stderr);
  const wl = JSON.parse(r2.stdout.trim().split("\n").at(-1)!).deployment.workloads[0];
  assert.match(wl.result.message, /network "nosuchnet" of twin \d+ does not exist on this node: add this node to the network/);
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
  assert.not.ok((await curl(`taken.${DOMAIN}`, ca)).ok);
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
  while ((await curl(`example.${DOMAIN}`, ca)).ok) {
    if (Date.now() > deadline) throw new Error(`still served after cancel\n${log.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.is((await curl("app.example.test", demoCa)).body, "passthrough app.example.test");
});

t.run();
