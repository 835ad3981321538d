// The `zos` command: one front door, each subcommand in its own file under cli/commands/.
// Subcommands load lazily so `zos caps audit` does not pay for @polkadot/api.
import { UserError } from "./lib/errors.ts";

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  kernel: { summary: "run the capability kernel with a manifest", load: () => import("./commands/kernel.ts") },
  caps: { summary: "audit and diff capability grants", load: () => import("./commands/caps.ts") },
  deployment: { summary: "hash, verify and validate deployments", load: () => import("./commands/deployment.ts") },
  grid: { summary: "run the local grid (dev chain + RMB relay)", load: () => import("./commands/grid.ts") },
  client: { summary: "deploy to a node as a grid user", load: () => import("./commands/client.ts") },
  dev: { summary: "local grid + one node on this host (npm start)", load: () => import("./commands/dev.ts") },
  hub: { summary: "publish flists on the dev grid's hub", load: () => import("./commands/hub.ts") },
  release: { summary: "build, verify and publish node releases for live upgrade", load: () => import("./commands/release.ts") },
  image: { summary: "build the bootable node image", load: () => import("./commands/image.ts") },
  "vm-test": { summary: "boot the image in QEMU and run scenarios", load: () => import("./commands/vm-test.ts") },
  farm: { summary: "a farm of QEMU nodes on one private bridge (zos farm up)", load: () => import("./commands/farm.ts") },
  bench: { summary: "run benchmarks and update docs/PERFORMANCE.md", load: () => import("./commands/bench.ts") },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    "zos — the zos-ts node operating system and its tools",
    "",
    "usage: zos <command> [options]   (every command accepts --help; data commands accept --json)",
    "",
    ...Object.entries(commands).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`),
    "",
    "exit codes: 0 ok, 1 the operation failed or said no, 2 bad usage or unreadable input",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`zos: unknown command "${name}". Run \`zos --help\` for the list.`);
    return 2;
  }
  let mod: { command: Command };
  try {
    mod = await entry.load();
  } catch (err) {
    console.error(`zos ${name}: this command is not available in this build (${(err as Error).message.split("\n")[0]})`);
    return 2;
  }
  try {
    return await mod.command.run(rest);
  } catch (err) {
    if (err instanceof UserError) {
      console.error(err.message);
      return err.exitCode;
    }
    console.error(`zos ${name}: internal error: ${(err as Error)?.stack ?? err}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
