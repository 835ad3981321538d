// deno-lint-ignore-file no-explicit-any
// `zos grid up` as a user runs it: JSON first line, a chain that answers, state kept across runs,
// clean stop on SIGTERM, usage errors with exit code 2.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";

const root = fileURLToPath(new URL("../..", import.meta.url));
const deno = join(root, "node_modules", "deno", "deno");
const zos = (args: string[]) =>
  spawnSync(deno, ["run", "-A", "cli/zos.ts", ...args], { cwd: root, encoding: "utf8" });

async function up(state: string): Promise<{ info: Record<string, any>; stop: () => Promise<number | null> }> {
  const child = spawn(deno, [
    "run",
    "-A",
    "cli/zos.ts",
    "grid",
    "up",
    "--json",
    "--port",
    "0",
    "--block-time",
    "0",
    "--state",
    state,
  ], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.split("\n")[0]);
    });
    child.once("exit", (code) => reject(new Error(`grid up exited ${code}`)));
  });
  return {
    info: JSON.parse(line),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        // process.kill, not child.kill: Deno's child_process reports (null, "SIGTERM") after child.kill()
        // even when the child handled the signal and exited 0
        process.kill(child.pid!, "SIGTERM");
      }),
  };
}

async function rpc(url: string, method: string, params: unknown[] = []) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await r.json()).result;
}

const t = suite("zos grid");

t("up --json prints chain_url and a funded mnemonic, keeps state, stops cleanly", async () => {
  const state = mkdtempSync(join(tmpdir(), "zt-grid-"));
  try {
    const a = await up(state);
    assert.match(a.info.chain_url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.is(a.info.user_mnemonic.split(" ").length, 12);
    assert.ok("relay_url" in a.info);
    // the activation service is up and answers bad requests with a JSON error
    assert.match(a.info.activation_url, /^http:\/\/127\.0\.0\.1:\d+\/activation\/activate$/);
    const act = await fetch(a.info.activation_url, { method: "POST", body: "{}" });
    assert.is(act.status, 400);
    assert.match((await act.json()).error, /substrateAccountID/);
    // the explorer (grid proxy API), the indexer (GraphQL) and the client environment for GridClient
    assert.match(a.info.proxy_url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await (await fetch(`${a.info.proxy_url}/farms`)).json().then((f: { farmId: number }[]) => f.map((x) => x.farmId)), [1]);
    const gq = await fetch(a.info.graphql_url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"query { farms { name } }"}' });
    assert.equal(await gq.json(), { data: { farms: [{ name: "zt-dev-farm" }] } });
    // the flist hub (grid/hub) answers the Zero-OS hub listing
    assert.match(a.info.hub_url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // with the ready-made guests (grid/hub/guests.ts; an empty hub when they could not be built here)
    const listed = (await (await fetch(`${a.info.hub_url}/api/flist`)).json() as string[]).sort();
    assert.equal(Object.keys(a.info.flists).sort(), listed);
    // and the QEMU extension flist a netbooted node fetches (rootfs/extensions/qemu.ts)
    if (listed.length) {
      assert.equal(listed, ["extensions/qemu.fl", "guests/base.fl", "guests/busybox-vm.fl", "guests/busybox.fl", "guests/busybox.flist", "guests/debian-guest.fl"]);
    }
    assert.match(a.info.client_env.NODE_OPTIONS, /--require ".*preload\.cjs"/);
    assert.ok(existsSync(a.info.client_env.NODE_EXTRA_CA_CERTS));
    assert.is(await rpc(a.info.chain_http_url, "system_chain"), "zos-ts dev chain");
    const account = await rpc(a.info.chain_http_url, "system_accountNextIndex", [a.info.user_address]);
    assert.is(account, 0);
    const genesis = await rpc(a.info.chain_http_url, "chain_getBlockHash", [0]);
    assert.is(await a.stop(), 0);
    assert.ok(existsSync(join(state, "chain.snapshot.json")));
    const b = await up(state);
    assert.is(b.info.user_mnemonic, a.info.user_mnemonic);
    assert.is(await rpc(b.info.chain_http_url, "chain_getBlockHash", [0]), genesis);
    assert.is(await b.stop(), 0);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

t("usage errors exit 2 with a message and no stack", () => {
  for (
    const args of [["grid", "up", "--port", "x"], ["grid", "up", "--host", "0.0.0.0"], ["grid", "down"], [
      "grid",
      "up",
      "--nope",
    ]]
  ) {
    const r = zos(args);
    assert.is(r.status, 2, args.join(" "));
    assert.match(r.stderr, /zos grid/);
    assert.not.match(r.stderr, /\n\s+at /);
  }
  const help = zos(["grid", "up", "--help"]);
  assert.is(help.status, 0);
  assert.match(help.stdout, /--block-time/);
});

t.run();
