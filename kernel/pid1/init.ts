// The image's /init (bundled by the image build, run as `#!/usr/bin/deno -A`). It refuses to do
// anything unless it is PID 1: on a host it would mount filesystems and power the machine off.
import { existsSync } from "node:fs";
import { boot, type BootOptions } from "./boot.ts";
import { denoSys } from "./libc.ts";

/** Where the image build puts the bundled capability kernel (exports startKernel). */
export const KERNEL_BUNDLE = "/lib/zos/kernel/mod.js";
export const MANIFEST_PATH = "/lib/zos/manifests/node.json";

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

main();
