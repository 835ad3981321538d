// deno-lint-ignore-file no-explicit-any
// The official @threefold/grid_client deploys a VM on `npm start`'s grid (a real `zos dev` process, root,
// QEMU under TCG; one guest boot): examples/gridclient/vm.mjs runs under Node as a user's program, with
// nothing but endpoints.json — grid.machines.deploy builds Network + DiskPrimitive + VMPrimitive (the node
// lists zmachine in its features, so grid_client picks VMPrimitive, not the light flavour), the deployment
// ends ok, the guest answers ping from inside its network resource, and `--delete` takes it down (no QEMU
// left for it).
// test-timeout: 900
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "../../../kernel/sandbox.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { needs } from "../../../tools/test-env.ts";
import { networkId } from "../../lib/gridtypes/names.ts";

const t = suite("official grid_client VM on npm start's grid");
const deno = join(repoRoot, "node_modules", "deno", "deno");
const example = join(repoRoot, "examples", "gridclient", "vm.mjs");
// ≈ 5 min (a dev grid start and a TCG boot): run with ZT_VM_NODE=1 (docs/vms.md), like zmachine-node
const can = () => {
  if (!process.env.ZT_VM_NODE) {
    console.log("not run: set ZT_VM_NODE=1 (a dev grid and a TCG guest boot, ≈ 5 min)");
    return false;
  }
  return needs("a VM on npm start's grid", process.getuid?.() === 0 && existsSync("/usr/bin/qemu-system-x86_64"), "root and qemu-system-x86_64");
};
let dir = "";
let dev: ReturnType<typeof spawn> | null = null;
let stderr = "";
let vm: any = null;

t.before(async () => {
  if (!can()) return;
  dir = tempDir("zt-vm-gc-");
  dev = spawn(deno, ["run", "-A", "--no-lock", "cli/zos.ts", "dev", "--json", "--block-time", "0", "--state", dir], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], detached: true });
  dev.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-8000)));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`zos dev not ready in 300 s: ${stderr}`)), 300_000);
    let buf = "";
    dev!.stdout!.on("data", (d) => {
      buf += d;
      for (const line of buf.split("\n").slice(0, -1)) {
        try {
          if (JSON.parse(line).event === "ready") {
            clearTimeout(timer);
            ok();
          }
        } catch { /* a log line */ }
      }
      buf = buf.slice(buf.lastIndexOf("\n") + 1);
    });
    dev!.on("exit", (code) => fail(new Error(`zos dev exited ${code}: ${stderr}`)));
  });
});

t.after(async () => {
  if (!dev?.pid) return;
  const exited = new Promise((ok) => dev!.on("exit", ok));
  process.kill(dev.pid, "SIGINT");
  const timer = setTimeout(() => {
    try {
      process.kill(-dev!.pid!, "SIGKILL");
    } catch { /* gone */ }
  }, 30_000);
  await exited;
  clearTimeout(timer);
  // QEMU outlives a stopped driver by design (adoption): end any this grid's node left, by PID
  for (const pid of qemuPids(dir)) process.kill(Number(pid), "SIGKILL");
});

function qemuPids(text: string): string[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8");
      return argv.startsWith("/usr/bin/qemu-system") && argv.includes(dir) && argv.includes(text);
    } catch {
      return false;
    }
  });
}

function runNode(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    // as a user runs it: plain `node script`, it applies endpoints.json's client_env itself
    const p = spawn("node", args, { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: dir }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let err = "";
    p.stdout!.on("data", (c) => (stdout += c));
    p.stderr!.on("data", (c) => (err += c));
    const timer = setTimeout(() => p.kill("SIGKILL"), 300_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      ok({ status, stdout, stderr: err });
    });
  });
}

const last = (s: string) => JSON.parse(s.trim().split("\n").pop() || "{}");

t("grid.machines.deploy (Network + DiskPrimitive + VMPrimitive) ends ok; the guest answers ping from its NR", async () => {
  if (!dev) return;
  const r = await runNode([example, "--endpoints", join(dir, "endpoints.json"), "--name", "ztgcvm", "--json"]);
  vm = last(r.stdout);
  assert.is(r.status, 0, `${vm.error ?? ""} (node features ${JSON.stringify(vm.features)})\n${r.stderr.slice(-1500)}`);
  assert.is(vm.state, "ok", vm.message);
  assert.match(vm.ip, /^10\.249\.\d+\.\d+$/);
  const pin = join(dir, "node", "netlink", "ns", `n-${networkId(vm.twin_id, vm.network)}`);
  assert.ok(existsSync(pin), `the NR namespace ${pin}`);
  const id = `${vm.twin_id}-${vm.contract_id}-${vm.name}`;
  assert.is(qemuPids(`zos-vm.${id}`).length, 1, "one QEMU for the VM");
  const ping = () => spawnSync("nsenter", [`--net=${pin}`, "--", "ping", "-c", "1", "-W", "2", vm.ip], { stdio: "ignore" }).status === 0;
  const end = Date.now() + 240_000;
  while (!ping()) {
    if (Date.now() > end) {
      let tail = "";
      try {
        tail = readFileSync(join(dir, "node", "hypervisor", "vms", id, "console.log"), "utf8").split("\n").slice(-20).join("\n");
      } catch { /* no console */ }
      throw new Error(`the guest at ${vm.ip} does not answer ping from its NR within 240 s; console:\n${tail}`);
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
});

t("--delete takes the deployment down: no QEMU left for the VM", async () => {
  if (!dev || !vm?.contract_id) return;
  const r = await runNode([example, "--endpoints", join(dir, "endpoints.json"), "--delete", vm.name, "--json"]);
  const out = last(r.stdout);
  assert.is(r.status, 0, `${out.error ?? ""}\n${r.stderr.split("\n").filter((l) => !/polkadot|cjs|multiple versions|conflicting packages|dedupe/.test(l)).slice(-20).join("\n")}`);
  assert.equal(out, { deleted: vm.name });
  const id = `${vm.twin_id}-${vm.contract_id}-${vm.name}`;
  const end = Date.now() + 60_000;
  while (qemuPids(`zos-vm.${id}`).length) {
    assert.ok(Date.now() < end, "QEMU still runs 60 s after the delete");
    await new Promise((ok) => setTimeout(ok, 1000));
  }
});

t.run();
