// The clock driver: wall-clock and monotonic time. Modules have no `sys`/`hrtime` surprises to rely on;
// time they act on comes from this capability, so it can be audited (and faked in a test manifest).
import { Clock$Client } from "../schema/gen/kernel.ts";
import { RpcError } from "../../kernel/wire/errors.ts";
import { serve } from "../../kernel/wire/typed.ts";
import { startProcess } from "../../kernel/guest/process.ts";

function clockCap(restrictions: Record<string, unknown>): ReturnType<typeof serve> {
  const keys = Object.keys(restrictions);
  if (keys.length) throw new RpcError("denied", `clock: unknown restriction "${keys[0]}" (clock takes none)`);
  return serve(Clock$Client, {
    now(_p, r) {
      r.unixMs = Date.now();
      r.monotonicMs = performance.now();
    },
  });
}

startProcess({ provide: { clock: clockCap } });
