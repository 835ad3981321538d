// The image's /init (bundled by the image build, run as `#!/usr/bin/deno -A`). It refuses to do
// anything unless it is PID 1: on a host it would mount filesystems and power the machine off.
import { existsSync } from "node:fs";
import { boot, type BootOptions } from "./boot.ts";
import { type BootParams, relayUrls, substrateUrls } from "./cmdline.ts";
import { denoSys } from "./libc.ts";

/** Where the image build puts the bundled capability kernel (exports startKernel). */
export const KERNEL_BUNDLE = "/lib/zos/kernel/mod.js";
export const MANIFEST_PATH = "/lib/zos/manifests/node.json";

/** Kernel-command-line facts as flat string variables (first URL of each list; lists joined by spaces). */
export function kernelVars(p: BootParams): Record<string, string> {
  return {
    substrate_url: substrateUrls(p)[0],
    substrate_urls: substrateUrls(p).join(" "),
    relay_url: relayUrls(p)[0],
    farmer_id: String(p.farmerId ?? 0),
    runmode: p.runmode,
    flavour: p.version,
  };
}

async function main(): Promise<void> {
  if (process.pid !== 1) {
    console.error("zos init: refusing to run: this is the image's PID 1 program and this process is not PID 1 " +
      `(pid ${process.pid}). Use \`zos kernel run\` on a host.`);
    process.exit(2);
  }
  process.env.PATH = "/usr/bin";
  process.env.HOME = "/run";
  process.env.DENO_DIR = "/run/deno";
  process.env.DENO_NO_UPDATE_CHECK = "1";
  const opts: BootOptions = { sys: denoSys(), modulesDir: "/lib/modules/current" };
  if (existsSync(KERNEL_BUNDLE)) {
    opts.startKernel = async (ctx) => {
      // Computed at run time on purpose: the kernel bundle is optional in an image.
      const mod = await import("file://" + KERNEL_BUNDLE);
      // Kernel state (process run dirs, Deno cache) lives on the state disk when there is one.
      const stateDir = ctx.stateDisk ? `${ctx.stateDisk}/zos/kernel` : "/run/zos/kernel";
      const handle = await mod.startKernel({
        manifest: MANIFEST_PATH,
        stateDir,
        onEvent: (e: unknown) => ctx.trace.event(e),
        // What the node learnt from its command line, for manifest substitutions (${substrate_url} …)
        // once the kernel supports extra variables; ignored until then.
        vars: kernelVars(ctx.params),
      });
      if (handle.notReady?.length) ctx.trace.note(`kernel: not ready after start-up: ${handle.notReady.join(", ")}`);
      return { stop: () => handle.stop() };
    };
  }
  try {
    await boot(opts);
  } catch (err) {
    // Never exit: init exiting panics the kernel. Say what broke, then stay up for a post-mortem.
    console.log(`zos-boot: FATAL ${(err as Error)?.stack ?? err}`);
    setInterval(() => {}, 1 << 30);
  }
}

if (import.meta.main) main();
