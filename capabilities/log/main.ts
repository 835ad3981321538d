// The log driver: each grant writes lines tagged with the grantee's name (set by the kernel, not by the
// caller), as JSON lines on stderr, which the kernel forwards as events. Restrictions: { "minLevel"?: level }.
import { Log$Server } from "../schema/gen/kernel.ts";
import { startProcess } from "../lib/guest/process.ts";

const LEVELS = ["debug", "info", "warn", "error"];
const MAX_MESSAGE = 4096;

function logCap(restrictions: Record<string, unknown>, grantee: string): Log$Server {
  for (const k of Object.keys(restrictions)) {
    if (k !== "minLevel") throw new Error(`denied: log: unknown restriction "${k}" (known: minLevel)`);
  }
  const min = restrictions.minLevel === undefined ? 0 : LEVELS.indexOf(String(restrictions.minLevel));
  if (min < 0) throw new Error(`denied: log: minLevel must be one of ${LEVELS.join(", ")}`);
  return new Log$Server({
    write(p) {
      const level = LEVELS.indexOf(p.level);
      if (level < 0) throw new Error(`failed: log: level must be one of ${LEVELS.join(", ")}`);
      if (level >= min) {
        const message = p.message.length > MAX_MESSAGE ? p.message.slice(0, MAX_MESSAGE) + "…" : p.message;
        console.error(JSON.stringify({ log: grantee, level: p.level, message }));
      }
      return Promise.resolve();
    },
  });
}

startProcess({ provide: { log: logCap } });
