// `zos vm-test` (npm run vm-test): boots the built image in QEMU and runs every scenario against the
// local grid on the host. Builds the image first when rootfs/out has none (or with --build).
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";

const DEFAULT_NAMES = ["no-shell", "direct-disk", "no-disk", "ipxe-http"] as const;
/** Every scenario; the ones not in DEFAULT_NAMES run with --all or --scenario only (too slow for CI). */
const NAMES = [...DEFAULT_NAMES, "upgrade", "power-cut", "vm"] as const;

const HELP = `zos vm-test — boot the node image in QEMU and check what it does

usage: zos vm-test [--scenario NAME[,NAME]] [--out DIR] [--build] [--keep-logs] [--timeout S] [--json]
       zos vm-test --nodes N [--out DIR] [--keep-logs] [--timeout S] [--json]
       zos vm-test --all     every scenario, then the farm with 2 nodes (CI runs the farm: .ci/run)

scenarios (all by default):
  no-shell      the image listing holds no shell, interpreter or package manager, nothing executable but the runtime
  direct-disk   direct kernel boot with a btrfs state disk: DHCP, dev chain reached, registered, answers over RMB,
                every process's verified sandbox equals rootfs/golden/manifest.json, reboot, state survives
  no-disk       no disk: the node boots and says why it will not register
  ipxe-http     network boot through QEMU's iPXE ROM from an HTTP boot server on loopback
  upgrade       (--all or --scenario upgrade only) live upgrade from the host's hub: a grid user's 0-db deployment
                holds a key; the farmer's signed call makes the node install release B built from this tree (every
                process replaced, the deployment ok and its key readable), a bad release C rolls back by itself,
                a reboot boots B (the deployment still there). Under TCG on a busy machine pass --timeout 1800
  power-cut     (--all or --scenario power-cut only) QEMU killed -9 right after the node accepted a deployment; a new
                QEMU on the same disks: same identity, pools, NR, every deployment ok, workload logs intact
  vm            (--all or --scenario vm only) QEMU in QEMU: the node fetches its QEMU extension and the smallest
                guest from the host's hub and runs examples/vm.json; ok with the VM's IP, the guest's console
                (zos.vm.logs) shows it up with that IP and its NR gateway answering its ping; says what the
                extension costs (blocks fetched, node memory). TCG in TCG: pass --timeout 600 or more

  --nodes N     instead of the scenarios: a farm of N nodes booted over iPXE from the dev grid's boot server,
                each with its own disks, on one bridge in a private zt- network namespace (root): all register in
                farm 1, each answers over RMB, each one's TCP ports scanned from the bridge (only 0-db's 9900 open);
                the first is made the access node; with N ≥ 2 a network spans the nodes, a WireGuard "laptop"
                pings every NR and reaches a 0-db on the last node through the access node's NR (redis-cli)
  --out DIR     the image folder (default rootfs/out)
  --build       rebuild the image first (otherwise only when the folder has no SHA256SUMS)
  --keep-logs   keep serial logs of passing runs too (failing runs always keep theirs, in vm-tests/out/)
  --timeout S   per-boot hard timeout in seconds (default 150)

QEMU uses KVM only where kvm_intel/kvm_amd is loaded, TCG otherwise. Exit 0 when every scenario passed,
1 when one failed, 2 on bad usage.`;

export const command: Command = {
  summary: "boot the image in QEMU and run scenarios",
  async run(argv) {
    const p = parse(argv, {
      scenario: { type: "string" },
      out: { type: "string" },
      build: { type: "boolean" },
      "keep-logs": { type: "boolean" },
      timeout: { type: "string" },
      nodes: { type: "string" },
      all: { type: "boolean" },
    }, "vm-test");
    if (p.help) {
      console.log(HELP);
      return 0;
    }
    if (p.positionals.length) throw new UserError(`zos vm-test: unexpected argument "${p.positionals[0]}". Run \`zos vm-test --help\`.`, 2);
    const wanted = (str(p, "scenario") ?? (p.values.all ? NAMES : DEFAULT_NAMES).join(",")).split(",").map((s) => s.trim()).filter(Boolean);
    for (const w of wanted) {
      if (!(NAMES as readonly string[]).includes(w)) throw new UserError(`zos vm-test: unknown scenario "${w}" (known: ${NAMES.join(", ")})`, 2);
    }
    const t = str(p, "timeout");
    if (t !== undefined && !(/^\d+$/.test(t) && Number(t) >= 10)) throw new UserError(`zos vm-test: --timeout must be a number of seconds ≥ 10, got "${t}"`, 2);
    const { resolve, join } = await import("node:path");
    const { existsSync } = await import("node:fs");
    const { buildImage, DEFAULT_OUT } = await import("../../rootfs/build.ts");
    const outDir = str(p, "out") ? resolve(str(p, "out")!) : DEFAULT_OUT;
    if (p.values.build || !existsSync(join(outDir, "SHA256SUMS"))) {
      if (str(p, "out") && !p.values.build) throw new UserError(`zos vm-test: ${outDir} holds no built image (no SHA256SUMS). Run \`zos image build --out ${outDir}\` or pass --build.`, 2);
      console.error("building the image first (zos image build)");
      await buildImage({ outDir, progress: (m) => console.error(m) });
    }
    const farmNodes = str(p, "nodes") ?? (p.values.all ? "2" : undefined);
    if (p.values.all && (str(p, "nodes") || str(p, "scenario"))) throw new UserError("zos vm-test: --all runs every scenario and a 2-node farm; it takes no --nodes or --scenario", 2);
    const runScenarios = async (): Promise<number> => {
      const sc = await import("../../vm-tests/scenarios.ts");
      const grid = await sc.startGrid();
      const ctx = { outDir, grid, keepLogs: Boolean(p.values["keep-logs"]), bootTimeoutMs: t ? Number(t) * 1000 : undefined };
      const results = [];
      try {
        for (const name of wanted) {
          console.error(`── ${name}`);
          const r = name === "no-shell"
            ? sc.noShell(outDir)
            : name === "upgrade"
            ? await (await import("../../vm-tests/upgrade.ts")).upgradeScenario(ctx)
            : name === "power-cut"
            ? await (await import("../../vm-tests/power-cut.ts")).powerCutScenario(ctx)
            : name === "vm"
            ? await (await import("../../vm-tests/vm.ts")).vmScenario(ctx)
            : await ({ "direct-disk": sc.directBootWithDisk, "no-disk": sc.noDisk, "ipxe-http": sc.ipxeHttp } as const)[name as "no-disk"](ctx);
          results.push(r);
          if (!p.json) {
            const ms = Object.entries(r.milestones).map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`).join(" ");
            console.log(`${r.ok ? "✓" : "✘"} ${r.name} (${r.seconds.toFixed(1)} s) ${ms}`);
            for (const n of r.notes) console.log(`    ${n}`);
            if (r.error) console.log(`    error: ${r.error}`);
            if (r.log) console.log(`    serial log: ${r.log}`);
          }
        }
      } finally {
        await grid.stop();
      }
      if (p.json) console.log(JSON.stringify(results, null, 2));
      const failed = results.filter((r) => !r.ok).length;
      if (!p.json) console.log(`${results.length - failed} passed, ${failed} failed`);
      return failed;
    };
    const scenariosFailed = str(p, "nodes") === undefined ? await runScenarios() : 0;
    if (farmNodes !== undefined) {
      const nodes = Number(farmNodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new UserError(`zos vm-test: --nodes must be 1-8, got "${str(p, "nodes")}"`, 2);
      if (str(p, "scenario")) throw new UserError("zos vm-test: --nodes runs the farm; it does not combine with --scenario", 2);
      if (process.getuid?.() !== 0) throw new UserError("zos vm-test --nodes: needs root (a network namespace, a bridge and taps)", 1);
      const { runFarm } = await import("../../vm-tests/farm.ts");
      const r = await runFarm({ nodes, outDir, timeoutMs: (t ? Number(t) : 900) * 1000, keepLogs: Boolean(p.values["keep-logs"]) });
      if (p.json) console.log(JSON.stringify([r], null, 2));
      else {
        const ms = Object.entries(r.milestones).map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`).join(" ");
        console.log(`${r.ok ? "✓" : "✘"} ${r.name} (${r.seconds.toFixed(1)} s) ${ms}`);
        for (const n of r.notes) console.log(`    ${n}`);
        if (r.error) console.log(`    error: ${r.error}`);
        for (const n of r.nodes) if (n.log) console.log(`    node ${n.index} serial log: ${n.log}`);
      }
      return r.ok && !scenariosFailed ? 0 : 1;
    }
    return scenariosFailed ? 1 : 0;
  },
};
