// Storage benchmark (root, real loop devices): zmount (vdisk) and volume create through the block-device
// driver and the pool policy (in-process: no RPC hop), next to the raw commands they are built from, in the
// same run; and pool bring-up per disk (mkfs + mount + quota).
// With --rmb N: then N zmount + volume deployments end to end over RMB on the dev grid (bench/storage-rmb.ts).
// usage: node_modules/deno/deno run -A bench/storage.ts [--n 20] [--rmb 20]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BlockDevDriver } from "../capabilities/blockdev/driver.ts";
import { attachDevDisks } from "../modules/node/dev-disks.ts";
import { StoragePools } from "../modules/storage/pools.ts";
import { benchStorageOverRmb, rmbStateDir } from "./storage-rmb.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "20" }, rmb: { type: "string", default: "0" } } });
const N = Number(values.n);
const RMB = Number(values.rmb);
const MiB = 1024 ** 2;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ratio = (x: number) => `${x < 0.1 ? x.toFixed(3) : x.toFixed(2)}×`;
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: "ignore" });

const dir = mkdtempSync(join(tmpdir(), "zt-storage-bench-"));
const disks = await attachDevDisks({ dir: join(dir, "disks"), count: 2, hdd: 0, sizeGiB: 20 });
process.on("exit", () => {
  disks.detachSync();
  rmSync(dir, { recursive: true, force: true });
});
try {
  const root = join(dir, "mnt");
  const t0 = performance.now();
  const pools = new StoragePools(new BlockDevDriver(disks.devices, root), []);
  // as the node runs it: the driver in its own process, ioctls for volumes; here in-process (no RPC hop)
  await pools.bringUp();
  const bringUp = (performance.now() - t0) / disks.devices.length;
  const pool = [...pools.pools.keys()][0];
  const raw = join(root, pool, "raw");
  mkdirSync(raw);
  const r = { rawVdisk: [] as number[], vdisk: [] as number[], rawVol: [] as number[], vol: [] as number[] };
  for (let i = 0; i < N; i++) {
    // raw zmount: empty file, NOCOW, preallocate
    let s = performance.now();
    const f = join(raw, `f${i}`);
    run("touch", [f]);
    run("chattr", ["+C", f]);
    run("fallocate", ["-l", String(64 * MiB), f]);
    r.rawVdisk.push(performance.now() - s);
    s = performance.now();
    await pools.diskCreate(`1-${i}-d`, 64 * MiB);
    r.vdisk.push(performance.now() - s);
    // raw volume: subvolume + qgroup limit
    s = performance.now();
    run("btrfs", ["subvolume", "create", join(root, pool, `rv${i}`)]);
    run("btrfs", ["qgroup", "limit", String(64 * MiB), join(root, pool, `rv${i}`)]);
    r.rawVol.push(performance.now() - s);
    s = performance.now();
    await pools.volumeCreate("volume", `1-${i}-v`, 64 * MiB);
    r.vol.push(performance.now() - s);
  }
  const row = (name: string, xs: number[], base?: number[]) =>
    `| ${name} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${base ? ratio(pct(xs, 50) / pct(base, 50)) : ""} |`;
  console.log(`storage bench: n=${N} per row, 64 MiB each, loop devices over sparse files, one run`);
  console.log("| operation | p50 ms | p99 ms | ratio to raw (p50) |\n|---|---|---|---|");
  console.log(row("raw zmount: touch + chattr +C + fallocate", r.rawVdisk));
  console.log(row("zmount create (driver + pool policy)", r.vdisk, r.rawVdisk));
  console.log(row("raw volume: btrfs subvolume create + qgroup limit", r.rawVol));
  console.log(row("volume create (driver + pool policy)", r.vol, r.rawVol));
  console.log(`| pool bring-up per disk (blkid + seek-time probe + mkfs.btrfs + mount + quota enable + listing) | ${bringUp.toFixed(0)} | | |`);
} finally {
  await disks.detach();
}
if (RMB > 0) {
  await benchStorageOverRmb(rmbStateDir(dir), RMB, (t) => {
  console.log(`\nover RMB on the dev grid: n=${RMB} deployments, each one zmount (1 GiB) + one volume (1 GiB)`);
  console.log("| operation | p50 ms | p99 ms |\n|---|---|---|");
  console.log(`| zos.deployment.deploy answered (accepted) | ${pct(t.accept, 50).toFixed(1)} | ${pct(t.accept, 99).toFixed(1)} |`);
  console.log(`| deploy sent → both workloads ok (read back over RMB) | ${pct(t.deploy, 50).toFixed(1)} | ${pct(t.deploy, 99).toFixed(1)} |`);
  console.log(`| contract cancelled → the node reports the space free (statistics + pools over RMB) | ${pct(t.freed, 50).toFixed(1)} | ${pct(t.freed, 99).toFixed(1)} |`);
  });
  process.exit(0); // the official clients may leave handles open
}
