// The baseline for the boot benchmark: the smallest useful init, on the same kernel and runtime as
// the node image. It prints one line and powers off. Only runs as PID 1.
import { denoSys } from "./libc.ts";

export const HELLO_LINE = "zos-hello: first line from PID 1";

if (process.pid !== 1) {
  console.error(`zos hello init: refusing to run: not PID 1 (pid ${process.pid})`);
  process.exit(2);
}
console.log(HELLO_LINE);
const sys = denoSys();
sys.sync();
sys.reboot("poweroff");
