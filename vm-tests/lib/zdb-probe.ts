// A grid user's 0-db namespace on a booted image, reached from the host through QEMU's forward of the node's
// 0-db port (user networking hostfwd on loopback): write a key, read it back later (after an upgrade, a
// reboot, a power cut). Shared by the upgrade and power-cut scenarios.
import { createServer } from "node:net";
import { Redis } from "ioredis";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ZdbProbe {
  ns: string;
  password: string;
  hostPort: number;
  key: string;
  value: string;
}

/** A TCP port free on the host's loopback now (QEMU's forward binds it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function withNamespace<T>(z: ZdbProbe, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ host: "127.0.0.1", port: z.hostPort, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, connectTimeout: 10_000 });
  c.on("error", () => {});
  try {
    await c.connect();
    if ((await c.call("SELECT", z.ns, z.password)) !== "OK") throw new Error(`SELECT ${z.ns} refused`);
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** SELECT the namespace with its password and GET the key; resolves with the value, rejects with why not. */
export function zdbGet(z: ZdbProbe): Promise<string | null> {
  return withNamespace(z, (c) => c.get(z.key));
}

export async function zdbSet(z: ZdbProbe): Promise<void> {
  await withNamespace(z, (c) => c.set(z.key, z.value));
}

/** Retries zdbGet until the key reads back (the 0-db server may be starting or replaced). */
export async function zdbHolds(z: ZdbProbe, when: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const v = await zdbGet(z);
      if (v === z.value) return;
      last = `GET ${z.key} answered ${JSON.stringify(v)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`${when}: the 0-db namespace ${z.ns} did not give back its key within ${timeoutMs / 1000} s: ${last}`);
    await sleep(2000);
  }
}
