// Zero-OS's provisiond re-provisions every deployment at boot; a restart of the daemon alone does not. On the
// host, as a user runs it: a node (startNode, manifests/node.json) gets a network and a 0-db deployment over the relay;
// kill -9 of the provision module (the kernel restarts it, same boot) replays nothing; a stop and a new start
// of the node on the same state dir (a reboot: the stop tore down its namespaces and mounts) replays it once:
// the module says so, the workload log gains one `ok` entry, the NR is back in zos.network.list_wg_ports.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../kernel/sandbox.ts";
import { deploy, workloadViews } from "../../../cli/commands/client/deploy.ts";
import { type KernelEvent } from "../../../kernel/mod.ts";
import { type RunningNode, startNode } from "../../node.ts";
import { startTestNode, type TestNode } from "../../../tools/test-node.ts";
import { networkDeployment } from "../../../vm-tests/lib/workloads.ts";

const t = suite("provision replays every deployment once per boot");
let tn: TestNode;
let node2: RunningNode | null = null;
const events: KernelEvent[] = [];
const lines = () => events.filter((e) => e.event === "output").map((e) => `${e.process}: ${e.line}`);
let contract = 0;
let zdbContract = 0;
let port = 0;

const call = (command: string, payload: unknown = "") => tn.session.peer.request(tn.node.twinId, command, payload, { timeoutMs: 30_000 });
const changes = async () => (await call("zos.deployment.changes", { contract_id: contract })) as { name: string; result: { state: string } }[];

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last = "";
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms ${last}\n${lines().slice(-15).join("\n")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.before(async () => {
  tn = await startTestNode({ prefix: "zt-powercut-replay-", officialRmb: false, node: { onEvent: (e) => events.push(e) } });
});

t.after(async () => {
  await node2?.stop().catch(() => {});
  await tn?.stop();
});

t("a network deployed over the relay reaches ok; no replay at the node's first start (nothing stored)", async () => {
  port = 3400 + Math.floor(Math.random() * 500);
  const r = await deploy(tn.session, networkDeployment(port), 90_000, () => {});
  assert.ok(r.ok, JSON.stringify(r.deployment));
  contract = r.contract_id;
  assert.equal(workloadViews(r.deployment).map((w) => w.state), ["ok"]);
  const z = await deploy(tn.session, readFileSync(join(repoRoot, "examples", "zdb.json"), "utf8"), 90_000, () => {});
  assert.ok(z.ok, JSON.stringify(z.deployment));
  zdbContract = z.contract_id;
  assert.not.ok(lines().some((l) => /new boot: replaying/.test(l)));
});

t("kill -9 of the provision module: restarted in the same boot, nothing replayed", async () => {
  const before = await changes();
  const pid = events.findLast((e) => (e.event === "spawned" || e.event === "restarted") && e.process === "provision")!.pid as number;
  const from = events.length;
  process.kill(pid, "SIGKILL");
  await eventually("provision restarted", async () => events.slice(from).some((e) => e.event === "restarted" && e.process === "provision") || undefined);
  await eventually("the engine open again", async () => events.slice(from).some((e) => e.event === "output" && e.process === "provision" && /engine open/.test(String(e.line))) || undefined);
  assert.not.ok(events.slice(from).some((e) => e.event === "output" && /new boot: replaying/.test(String(e.line))), lines().slice(-10).join("\n"));
  assert.is((await changes()).length, before.length, "a module restart adds nothing to the workload log");
});

t("a stop and a new start of the node (a reboot) replays the deployment once: log entry ok, NR listed again", async () => {
  const before = await changes();
  const zdbBefore = ((await call("zos.deployment.changes", { contract_id: zdbContract })) as unknown[]).length;
  await tn.node.stop();
  const from = events.length;
  node2 = await startNode({
    stateDir: join(tn.dir, "node"), chainUrl: tn.chain.url, relayUrl: tn.relay.url, farmId: 1, activationUrl: tn.activation.url,
    registerTimeoutMs: 90_000, onEvent: (e) => events.push(e),
  });
  assert.is(node2.twinId, tn.node.twinId, "the same node came back");
  const replayed = events.slice(from).filter((e) => e.event === "output" && e.process === "provision" && /new boot: replaying/.test(String(e.line)));
  assert.equal(replayed.map((e) => e.line), ["provision: new boot: replaying 2 deployment(s)"]);
  const after = await eventually("the replayed entry", async () => {
    const c = await changes();
    return c.length > before.length ? c : undefined;
  });
  assert.is(after.length, before.length + 1, "one entry per workload, not more");
  assert.equal(after.slice(0, before.length), before, "what was logged before the reboot is kept");
  assert.is(after.at(-1)!.result.state, "ok");
  const zdbLog = await eventually("the 0-db namespace replayed", async () => {
    const c = (await call("zos.deployment.changes", { contract_id: zdbContract })) as { result: { state: string; message: string } }[];
    return c.length > zdbBefore ? c : undefined;
  });
  assert.equal(zdbLog.at(-1)!.result.state, "ok", `the 0-db namespace after the reboot: ${JSON.stringify(zdbLog.at(-1))}`);
  const ports = (await call("zos.network.list_wg_ports")) as number[];
  assert.ok(ports.includes(port), `list_wg_ports ${JSON.stringify(ports)} lacks ${port}`);
});

t.run();
