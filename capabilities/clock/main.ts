// The clock driver: wall-clock and monotonic time. Time a module acts on comes from this capability, so
// it is visible in the audit (and a test manifest can substitute it).
import { Clock$Server } from "../schema/gen/kernel.ts";
import { startProcess } from "../lib/guest/process.ts";

function clockCap(restrictions: Record<string, unknown>): Clock$Server {
  const keys = Object.keys(restrictions);
  if (keys.length) throw new Error(`denied: clock: unknown restriction "${keys[0]}" (clock takes none)`);
  return new Clock$Server({
    now(_p, r) {
      r.unixMs = Date.now();
      r.monotonicMs = performance.now();
      return Promise.resolve();
    },
  });
}

startProcess({ provide: { clock: clockCap } });
