// The variables the image's PID 1 gives the capability kernel, computed on the host from the same inputs
// (the node's kernel command line, its data disks, the image's extension pins): what the golden manifest's
// `${…}` entries must have become in the booted node's processes (sandbox-facts.ts compares exactly).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCmdline } from "../../kernel/pid1/cmdline.ts";
import { kernelVars } from "../../kernel/pid1/init.ts";
import { diskVars } from "../../kernel/pid1/node-devices.ts";

/** `${root}` of the image's manifest (its processes live under /lib/zos) and `${state}` with a state disk. */
export const IMAGE_ROOT = "/lib/zos";
export const IMAGE_STATE_ON_DISK = "/var/cache/zos/kernel";

export function imageKernelVars(o: { outDir: string; cmdline: string; dataDisks: string[]; state?: string }): Record<string, string> {
  const params = parseCmdline(o.cmdline);
  const info = JSON.parse(readFileSync(join(o.outDir, "image.json"), "utf8")) as { extensions?: Record<string, { name: string; tree_sha256: string }> };
  return {
    ...kernelVars(params, info.extensions ?? {}),
    ...diskVars(o.dataDisks.map((name) => ({ name })) as Parameters<typeof diskVars>[0], params.debugVm),
    state: o.state ?? IMAGE_STATE_ON_DISK,
    root: IMAGE_ROOT,
  };
}
