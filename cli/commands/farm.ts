// `zos farm up --nodes N`: a farm of N QEMU nodes booted over iPXE from the dev grid's boot server, each with
// its own disks, on one bridge in a private network namespace (vm-tests/farm.ts); runs until Ctrl-C.
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";

const HELP = `zos farm up — a farm of QEMU nodes on this machine

usage: zos farm up [--nodes N] [--out DIR] [--timeout S] [--json]

Boots N node images (default 2) over iPXE from the dev grid's boot server, each with a state disk and a
data disk, on one bridge (10.99.0.0/24) inside a new network namespace zt-farm-image-<pid> that nothing
outside this machine can reach. The dev grid (chain, relay, activation service) runs inside that namespace;
every node registers in farm 1. When all answer over the relay, the first node becomes the access node (the
farmer's public config 10.99.0.201/24 gw 10.99.0.1, applied by the node); then it prints the namespace, the
grid's URLs, the nodes and the access node, keeps the farm up until Ctrl-C (SIGINT/SIGTERM), and removes
everything.

Reach the farm from the namespace, e.g.:
  ip netns exec zt-farm-image-<pid> npx zos client deploy examples/zmount.json \\
      --chain <chain_url> --relay <relay_url> --mnemonic "<your words>" --node 1

  --nodes N     number of nodes, 1-8 (default 2)
  --out DIR     the image folder (default rootfs/out; built when it has none)
  --timeout S   seconds each node may take to boot and register (default 900: TCG on a shared machine is slow)

Needs root (namespace, bridge, taps) and qemu-system-x86 with ipxe-qemu. Exit 0 after an orderly stop, 1 when
the farm did not come up, 2 on bad usage.`;

export const command: Command = {
  summary: "a farm of QEMU nodes on one private bridge (zos farm up)",
  async run(argv) {
    const p = parse(argv, { nodes: { type: "string" }, out: { type: "string" }, timeout: { type: "string" } }, "farm");
    if (p.help) {
      console.log(HELP);
      return 0;
    }
    if (p.positionals[0] !== "up" || p.positionals.length !== 1) throw new UserError("zos farm: the only subcommand is `up`. Run `zos farm --help`.", 2);
    const nodes = Number(str(p, "nodes") ?? "2");
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new UserError(`zos farm up: --nodes must be 1-8, got "${str(p, "nodes")}"`, 2);
    const t = str(p, "timeout");
    if (t !== undefined && !(/^\d+$/.test(t) && Number(t) >= 10)) throw new UserError(`zos farm up: --timeout must be a number of seconds ≥ 10, got "${t}"`, 2);
    if (process.getuid?.() !== 0) throw new UserError("zos farm up: needs root (it makes a network namespace, a bridge and taps)", 1);
    const { resolve, join } = await import("node:path");
    const { existsSync } = await import("node:fs");
    const { buildImage, DEFAULT_OUT } = await import("../../rootfs/build.ts");
    const outDir = str(p, "out") ? resolve(str(p, "out")!) : DEFAULT_OUT;
    if (!existsSync(join(outDir, "SHA256SUMS"))) {
      if (str(p, "out")) throw new UserError(`zos farm up: ${outDir} holds no built image (no SHA256SUMS). Run \`zos image build --out ${outDir}\`.`, 2);
      console.error("building the image first (zos image build)");
      await buildImage({ outDir, progress: (m) => console.error(m) });
    }
    const { runFarm } = await import("../../vm-tests/farm.ts");
    const r = await runFarm({ nodes, outDir, timeoutMs: (t ? Number(t) : 900) * 1000, hold: true });
    if (p.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`${r.ok ? "✓" : "✘"} farm of ${nodes} (${r.seconds.toFixed(1)} s)`);
      for (const n of r.notes) console.log(`    ${n}`);
      if (r.error) console.log(`    error: ${r.error}`);
      for (const n of r.nodes) if (n.log) console.log(`    node ${n.index} serial log: ${n.log}`);
    }
    return r.ok ? 0 : 1;
  },
};
