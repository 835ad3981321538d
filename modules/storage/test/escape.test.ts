// Escape tests for the storage capability, as a user meets it: `npx zos kernel run --manifest F` with the
// node manifest's own blockdev driver and storage module on real loop devices, and untrusted modules
// (fixtures/tenant.ts) granted `storage` for one twin each, plus a "rogue" granted the driver directly (a
// compromised storage module). Every attempt to reach another device, a path outside its pools, another
// twin's volume or a forged pool id fails; the victim's volume and the stranger disk are untouched;
// `zos caps audit` shows each grant with its restrictions.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "../../../kernel/sandbox.ts";
import { stripComments } from "../../../kernel/manifest.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { needs } from "../../../tools/test-env.ts";
import { attachDevDisks, canAttachLoops, type DevDisks } from "../../node/dev-disks.ts";

const t = suite("storage escape: untrusted modules with a storage grant under `zos kernel run`");
const FIXTURE = "modules/storage/test/fixtures/tenant.ts";
let tmp = "";
let state = "";
let manifestPath = "";
let disks: DevDisks | null = null;
let stranger: DevDisks | null = null;
let cli: ChildProcess | null = null;
let out = "";

type Event = { event: string; process?: string; [k: string]: unknown };
const events = (): Event[] => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
const lines = (tenant: string): Record<string, unknown>[] =>
  events()
    .filter((e) => e.event === "output" && typeof e.line === "string" && e.line.startsWith("{"))
    .map((e) => { try { return JSON.parse(e.line as string); } catch { return {}; } })
    .filter((l) => l.tenant === tenant);

function waitFor<T>(pred: () => T | undefined, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const v = pred();
      if (v !== undefined) {
        clearInterval(iv);
        resolve(v);
      } else if (Date.now() - t0 > ms || cli?.exitCode !== null) {
        clearInterval(iv);
        reject(new Error(`${what}: not seen within ${ms} ms (cli exit ${cli?.exitCode}); output:\n${out.slice(-3000)}`));
      }
    }, 50);
  });
}

const skip = () => !needs("storage escape tests on loop devices", canAttachLoops(), "root and /dev/loop-control");

t.before(async () => {
  if (!canAttachLoops()) return;
  tmp = tempDir("zt-storage-escape-");
  chmodSync(tmp, 0o755);
  state = join(tmp, "state");
  // the node's disks: one SSD and one HDD (declared: loops measure as SSD); a third loop that is no node disk
  disks = await attachDevDisks({ dir: join(tmp, "disks"), count: 2, hdd: 1, sizeGiB: 1 });
  stranger = await attachDevDisks({ dir: join(tmp, "stranger"), count: 1, hdd: 0, sizeGiB: 1 });
  process.on("exit", () => {
    disks?.detachSync();
    stranger?.detachSync();
  });
  // the node manifest's own driver and module entries: what runs on a node is what is attacked here
  const node = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "node.json"), "utf8")));
  const args = (mode: string) => [mode, stranger!.devices[0], disks!.devices[0], "${state}/blockdev/mnt"];
  const raw = {
    version: 1,
    root: repoRoot,
    processes: {
      blockdev: node.processes.blockdev,
      storage: node.processes.storage,
      victim: { kind: "module", entry: FIXTURE, args: args("victim"), grants: { storage: { from: "storage", cap: "storage", restrictions: { owners: [8] } } }, restart: { maxRestarts: 0 } },
      attacker: { kind: "module", entry: FIXTURE, args: args("attacker"), depends: ["victim"], grants: { storage: { from: "storage", cap: "storage", restrictions: { owners: [7] } } }, restart: { maxRestarts: 0 } },
      rogue: { kind: "module", entry: FIXTURE, args: args("rogue"), depends: ["attacker"], grants: { blockdev: { from: "blockdev", cap: "blockdev" } }, restart: { maxRestarts: 0 } },
    },
  };
  manifestPath = join(tmp, "storage-escape.json");
  writeFileSync(manifestPath, JSON.stringify(raw, null, 2));
  const vars = [`disks=${disks.devices.join(",")}`, `hdd=${disks.hdd.join(",")}`, "requiressd=yes"].flatMap((v) => ["--var", v]);
  cli = spawn("npx", ["--no-install", "zos", "kernel", "run", "--manifest", manifestPath, "--state", state, ...vars, "--json"], {
    cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, NO_COLOR: "1" },
  });
  cli.stdout!.setEncoding("utf8");
  cli.stdout!.on("data", (d: string) => (out += d));
  cli.stderr!.on("data", () => {});
  await waitFor(() => events().find((e) => e.event === "kernel-ready"), 120_000, "kernel-ready");
});

t.after(async () => {
  if (cli && cli.exitCode === null) {
    // SIGTERM to the process group: the kernel stops its processes in order; then make sure
    cli.kill("SIGTERM");
    try {
      process.kill(-cli.pid!, "SIGTERM");
    } catch { /* gone */ }
    await new Promise((r) => { const to = setTimeout(r, 10_000); cli!.on("exit", () => { clearTimeout(to); r(null); }); });
    try {
      process.kill(-cli.pid!, "SIGKILL");
    } catch { /* all gone */ }
  }
  await disks?.detach();
  await stranger?.detach();
});

// the storage module retries its bring-up with backoff when mkfs.btrfs trips over other tests' loop mounts
const summary = (tenant: string) => waitFor(() => lines(tenant).find((l) => "summary" in l), 240_000, `${tenant} summary`);

function report(tenant: string): { attempt: string; outcome: string }[] {
  const attempts = lines(tenant).filter((l) => "attempt" in l) as { attempt: string; outcome: string }[];
  const escaped = attempts.filter((a) => !a.outcome.startsWith("blocked"));
  console.log(`  ${tenant}: ${attempts.length} attempts, escaped: ${escaped.length}`);
  for (const a of escaped) console.log(`    ✘ ${a.attempt} — ${a.outcome}`);
  assert.equal(escaped, [], `${tenant}: nothing escapes`);
  return attempts;
}

const outcome = (attempts: { attempt: string; outcome: string }[], name: string) => attempts.find((a) => a.attempt === name)?.outcome ?? `(no attempt "${name}")`;

t("a module granted storage for twin 7 reaches no other device, no path, no other twin's volume", async () => {
  if (skip()) return;
  const victim = await waitFor(() => lines("victim").find((l) => "created" in l), 240_000, "victim volume");
  await summary("attacker");
  const a = report("attacker");
  assert.ok(a.length >= 30, `at least 30 attempts (got ${a.length})`);
  assert.match(outcome(a, "open another loop device"), /NotCapable|Requires read access/);
  assert.match(outcome(a, "read twin 8's volume by path"), /NotCapable|Requires read access/);
  assert.match(outcome(a, "volumeInfo of twin 8's volume"), /denied: storage: attacker may not act for twin 8/);
  assert.match(outcome(a, "volumeDelete twin 8's volume as own owner"), /is not an id of twin 7/);
  assert.match(outcome(a, 'volumeCreate "7-../../etc"'), /denied: storage: .* is not a valid id/);
  assert.match(outcome(a, 'volumeDelete "zos-cache" (the cache, the vdisk folder, a pool id)'), /is not an id of twin 7/);
  assert.match(outcome(a, "a capacity no pool holds"), /cannot fulfill required volume size/);
  assert.match(outcome(a, 'Session.get("blockdev") (not granted)'), /blockdev/);
  const mine = lines("attacker").find((l) => "created" in l)!.created as { pool: string };
  // the victim's volume is still there with its limit; the attacker's own one exists; nothing else was made
  const pool = (victim.created as { pool: string }).pool;
  const mnt = join(state, "blockdev", "mnt", pool);
  const subvols = execFileSync("btrfs", ["subvolume", "list", "-o", mnt], { encoding: "utf8" });
  assert.match(subvols, /path 8-1-victim$/m);
  assert.match(subvols, /path 7-1-mine$/m);
  assert.not.match(subvols, /8-2-other|7-a|escape|etc/);
  assert.not.ok(existsSync(join(mnt, "8-1-victim", "owned")));
  assert.is(mine.pool, pool, "both volumes on the one SSD pool");
});

t("a module granted the driver itself (a compromised storage module) gets no other device, no path, no forged pool", async () => {
  if (skip()) return;
  await summary("rogue");
  const a = report("rogue");
  assert.ok(a.length >= 13, `at least 13 attempts (got ${a.length})`);
  assert.match(outcome(a, "format another device"), /denied: blockdev: disk "loop\d+" is not one of this node's data disks/);
  assert.match(outcome(a, "mount a forged pool id"), /denied: blockdev: no pool/);
  assert.match(outcome(a, "subvolCreate in a forged pool"), /denied: blockdev: pool "forged" is not mounted/);
  assert.match(outcome(a, "subvolCreate ../../escape"), /not a valid name/);
  assert.is(spawnSync("blkid", ["-p", stranger!.devices[0]]).status, 2, "the stranger disk is still blank");
});

t("`zos caps audit` shows every storage grant with its restrictions and the driver's Linux capabilities", () => {
  if (skip()) return;
  const r = spawnSync("npx", ["--no-install", "zos", "caps", "audit", "--manifest", manifestPath, "--json"], { cwd: repoRoot, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const audit = JSON.parse(r.stdout) as { processes: { name: string; grants: { name: string; from: string; cap: string; restrictions: Record<string, unknown> }[]; linux: { capabilities: string[]; groups: string[] }; reach: { capability: string }[] }[] };
  const p = (n: string) => audit.processes.find((x) => x.name === n)!;
  assert.equal(p("attacker").grants.map((g) => [g.from, g.cap, g.restrictions]), [["storage", "storage", { owners: [7] }]]);
  assert.equal(p("victim").grants.map((g) => [g.from, g.cap, g.restrictions]), [["storage", "storage", { owners: [8] }]]);
  assert.equal(p("rogue").grants.map((g) => `${g.from}.${g.cap}`), ["blockdev.blockdev"]);
  assert.ok(p("attacker").reach.some((x) => x.capability === "blockdev.blockdev"), "the audit says storage's grantees reach the driver through it");
  assert.equal(p("attacker").linux.capabilities, []);
  assert.equal([...p("blockdev").linux.capabilities].sort(), ["CAP_CHOWN", "CAP_SYS_ADMIN"]);
  assert.equal(p("blockdev").linux.groups, ["disk", "vm"]); // disk: the data disks; vm: vdisks and volumes QEMU opens
});

t.run();
