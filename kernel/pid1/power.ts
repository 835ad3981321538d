// Orderly power-off and reboot: flush, unmount the state disk so its filesystem is clean, then
// reboot(2). Never process.exit() in PID 1: the kernel panics when init exits.
import type { Sys } from "./libc.ts";

export interface PowerDeps {
  sys: Sys;
  /** Stop hook (the capability kernel stops its processes); errors are reported, not fatal. */
  beforeOff?: () => Promise<void>;
  umount?: () => void;
  log: (line: string) => void;
}

export async function powerDown(cmd: "poweroff" | "restart", d: PowerDeps): Promise<never> {
  d.log(`zos-boot: ${cmd === "poweroff" ? "powering off" : "rebooting"}`);
  try {
    await d.beforeOff?.();
  } catch (err) {
    d.log(`zos-boot: stopping services failed: ${(err as Error).message}`);
  }
  d.sys.sync();
  try {
    d.umount?.();
  } catch (err) {
    d.log(`zos-boot: unmount failed: ${(err as Error).message}`);
  }
  d.sys.sync();
  d.sys.reboot(cmd);
  // reboot(2) does not return on success; if it did, wait forever rather than exit (kernel panic).
  for (;;) await new Promise((r) => setTimeout(r, 60_000));
}
