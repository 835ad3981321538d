// What `npm run fuzz` found, each fixed and pinned here by the smallest input that showed it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { setImmediate } from "node:timers";
import { connect } from "../../capabilities/lib/rpc/connection.ts";
import { ManualTransport } from "../../capabilities/lib/rpc/test/manual-transport.ts";
import { type EchoState, makeEcho } from "../../capabilities/lib/rpc/test/echo-impl.ts";
import { Echo } from "../../capabilities/schema/gen/test.ts";
import { JwtError, verifyJwt } from "../../capabilities/rmb/jwt.ts";
import { startChain } from "../../grid/chain/mod.ts";
import { startHub } from "../../grid/hub/mod.ts";
import { tempDir } from "../test-tmp.ts";
import { request } from "node:http";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSpec, type Scope, type SeedSpec as VmSeed } from "../../capabilities/hypervisor/spec.ts";
import { userData, zosrc } from "../../capabilities/hypervisor/seed.ts";
import { zmachineSeedIdentity } from "../../modules/provision/managers/zmachine-seed.ts";
import { parseDeployment } from "../../modules/lib/gridtypes/mod.ts";

const tick = () => new Promise<void>((r) => setImmediate(r));

test("rpc: a call that returns a new capability after its connection died releases that capability (no leak)", async () => {
  const state: EchoState = { calls: 0, liveCounters: 0, kept: null, events: [] };
  const server = new ManualTransport();
  const client = new ManualTransport();
  const sc = connect(server, { bootstrap: makeEcho(state), name: "server" });
  const c = connect(client);
  void c.bootstrap(Echo).newCounter((p) => {
    p.name = "late";
    p.delayMs = 30;
  }).promise().catch(() => {});
  for (let k = 0; k < 20; k++) {
    await tick();
    server.feed(client.drain());
    client.feed(server.drain());
  }
  assert.ok(state.events.includes("newCounter late start"), "the call is running");
  sc.close(); // the peer is gone while the method still works
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(state.events.includes("newCounter late return"));
  assert.is(state.liveCounters, 0, "the counter nobody can receive was released");
  c.close();
});

test("jwt: a signature part of 4k+1 characters is a malformed token (the relay answered 503 'cannot look up the twin')", async () => {
  const head = Buffer.from(JSON.stringify({ alg: "RS512", typ: "JWT" })).toString("base64url");
  const claims = Buffer.from(JSON.stringify({ sub: 6, iat: 1, exp: 2 ** 40 })).toString("base64url");
  for (const sig of ["A", "AAAAA", "A".repeat(89)]) {
    const err = await verifyJwt(`${head}.${claims}.${sig}`, () => Promise.resolve(new Uint8Array(32))).catch((e) => e);
    assert.ok(err instanceof JwtError, String(err));
    assert.is((err as JwtError).reason, "malformed");
    assert.match((err as Error).message, /not base64url/);
  }
});

test("chain: state_call with a non-string method says what arrived, not '[object Object]'", async () => {
  const c = await startChain({ blockTimeMs: 0, log: () => {} });
  try {
    for (const p of [{}, [1], null, 5]) {
      const r = await (await fetch(c.httpUrl, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "state_call", params: [p, "0x"] }) })).json();
      assert.is(r.error.code, -32000);
      assert.not.match(r.error.message, /object Object/);
      assert.match(r.error.message, /expected a method name/);
    }
  } finally {
    await c.stop();
  }
});

test("hub: a path with a broken %-escape or that is no URL path is a 400 naming it (it was a 500 'URI malformed')", async () => {
  const hub = await startHub({ dir: tempDir("zt-tests-findings-hub-"), log: () => {} });
  try {
    const port = new URL(hub.url).port;
    // raw request lines: fetch() would normalise them
    const get = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    for (const [path, why] of [["/api/flist/%E0%A4%A", /broken %-escape/], ["/tester/%ZZroot.fl", /broken %-escape/], ["//%EF%BF%BD", /no route|not a valid URL path/]] as const) {
      const r = await get(path);
      assert.is(r.status, path.startsWith("//") ? 404 : 400, `${path}: ${r.body}`);
      assert.match(r.body, why);
    }
  } finally {
    await hub.stop();
  }
});


test("rpc: a pipelined call to a method the server lacks fails that call, never the process (capnp-frames 1619, 8330)", async () => {
  // capnp-es's failed answers (a server's "method not implemented") throw from struct() and pipelineClose()
  // instead of rejecting; that escaped from LocalAnswer.resolve(), run in a promise callback, as an unhandled
  // rejection, which ends a Deno process: one peer frame could kill a driver.
  const { LocalAnswer } = await import("../../capabilities/lib/rpc/local-answer.ts");
  const failed = new Error("CAPNP-TS107 Method not implemented.");
  const failedAnswer = {
    struct(): never { throw failed; },
    pipelineCall() { return this; },
    pipelineClose(): never { throw failed; },
  };
  // deno-lint-ignore no-explicit-any
  const la = new LocalAnswer(() => ({ call: () => failedAnswer }) as any);
  // deno-lint-ignore no-explicit-any
  const queued = la.pipelineCall([], {} as any);
  queued.pipelineClose([]);
  la.resolve({} as never); // delivers the queued call and close to the capability: must not throw
  const err = await queued.struct().then(() => null, (e: Error) => e);
  assert.is(err, failed, "the pipelined call fails with the server's error");
});

// cloud-init (tools/fuzz/surfaces/cloudinit.ts): valid zmachines whose seed the hypervisor driver refused, so the VM
// failed: a workload name starting with "_" (host name "-vm"), and SSH_KEY with several keys (one a line, as the
// grid clients send them; CRLF too) or a tab between a key's fields.
function seedOf(name: string, env: Record<string, string>): VmSeed {
  const wl = parseDeployment(JSON.stringify({
    version: 0, twin_id: 42, contract_id: 1, metadata: "", description: "", expiration: 0,
    signature_requirement: { requests: [{ twin_id: 42, weight: 1 }], weight_required: 1, signatures: [], signature_style: "" },
    workloads: [{ version: 0, name, type: "zmachine", data: { flist: "x", network: { interfaces: [], planetary: false }, size: 0, compute_capacity: { cpu: 1, memory: 268435456 }, mounts: [], entrypoint: "", env, corex: false }, metadata: "", description: "" }],
  })).workloads[0];
  const dir = tempDir("zt-faults-findings-");
  writeFileSync(join(dir, "vmlinuz"), "");
  const seed = { ...zmachineSeedIdentity(wl), network: [], mounts: [] };
  const scope = { roots: new Map([["flist", dir]]), tapPrefix: "t-", owners: null } as unknown as Scope;
  return parseSpec(JSON.stringify({ id: "42-1-vm", owner: 42, cpu: 1, memory: 268435456, kernel: join(dir, "vmlinuz"), seed }), scope).seed!;
}

test("cloud-init: a zmachine named \"_vm\" gets a valid host name (the driver refused \"-vm\")", () => {
  assert.is(seedOf("_vm", {}).hostname, "vm");
  assert.is(seedOf("my_vm_", {}).hostname, "my-vm");
  assert.is(seedOf("___", {}).hostname, "vm");
});

test("cloud-init: SSH_KEY with several keys (LF, CRLF) and tab-separated fields reaches the guest whole", () => {
  const keys = ["ssh-ed25519 AAAAC3Nza one@host", "ssh-rsa\tAAAAB3Nza two@host"];
  for (const sep of ["\n", "\r\n"]) {
    const s = seedOf("vm", { SSH_KEY: keys.join(sep) });
    assert.equal(s.sshKeys, keys);
    const ud = userData(s);
    for (const k of keys) assert.ok(ud.includes(`      - ${JSON.stringify(k)}\n`), ud);
    const rcFile = join(tempDir("zt-faults-findings-"), "zosrc");
    writeFileSync(rcFile, zosrc(s));
    assert.is(execFileSync("sh", ["-c", '. "$1"; printf %s "$SSH_KEY"', "sh", rcFile], { encoding: "utf8" }), keys.join(sep));
  }
});

test.run();
