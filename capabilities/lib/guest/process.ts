// What runs inside every driver and module: a Cap'n Proto RPC connection to the kernel over stdin/stdout
// (capabilities/lib/rpc), exporting this process's ProcessControl (health, provide, shutdown) as its
// bootstrap and returning the kernel's bootstrap, the Session — the only way to reach anything.
// stdout carries the RPC stream, so console output goes to stderr (the kernel logs it with the name).
import * as $ from "capnp-es";
import process from "node:process";
import { ProcessControl, ProcessControl$Server, Session, type Session$Client } from "../../schema/gen/kernel.ts";
import { connectStdio, type Connection } from "../rpc/mod.ts";
import { getCap, setCap } from "../rpc/captable.ts";

export type Provider = (restrictions: Record<string, unknown>, grantee: string) => $.Client | Promise<$.Client>;

export interface ProcessOptions {
  /** Capabilities this process exposes, by manifest name. */
  provide?: Record<string, Provider>;
  /** Readiness; defaults to ready once connected. */
  health?: () => { ready: boolean; detail?: string };
  onShutdown?: () => Promise<void> | void;
}

export interface SessionHandle {
  /** A granted capability by its local grant name; the kernel refuses anything not granted ("denied: …"). */
  get(name: string): Promise<$.Client>;
  list(): Promise<string[]>;
  /** The typed Session client, for callers that want pipelining. */
  client: Session$Client;
}

export interface Guest {
  session: SessionHandle;
  conn: Connection;
}

export function startProcess(opts: ProcessOptions = {}): Guest {
  // One stop, whoever asks first: the kernel's shutdown call, or the end of stdin (the kernel then closes it).
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= Promise.resolve().then(() => opts.onShutdown?.()));
  const control = new ProcessControl$Server({
    health(_p, r) {
      const h = opts.health?.() ?? { ready: true };
      r.ready = h.ready;
      r.detail = h.detail ?? "";
      return Promise.resolve();
    },
    async provide(p, r) {
      const name = p.name;
      const fn = opts.provide?.[name];
      if (!fn) throw new Error(`unimplemented: this process does not provide "${name}"`);
      let restrictions: Record<string, unknown> = {};
      try {
        restrictions = p.restrictions ? JSON.parse(p.restrictions) : {};
      } catch {
        throw new Error(`failed: restrictions for "${name}" are not JSON`);
      }
      setCap(r.cap, await fn(restrictions, p.grantee));
    },
    async shutdown() {
      await stop();
      setTimeout(() => process.exit(0), 10); // let the reply reach the kernel first
    },
  });
  // The kernel bounds each grant's calls in flight (membrane.ts); this bound is for the sum of all grants.
  const conn = connectStdio({ bootstrap: control, name: "kernel", maxIncomingCalls: 1024 });
  // The kernel is gone (stdin closed): nothing can reach this process any more, so it must not linger. It
  // stops what it started (onShutdown: a proxy, VMs) within the 2 s the kernel's own shutdown gives, then exits.
  conn.closed.then(async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, 2000)));
    await Promise.race([stop().catch(() => {}), deadline]);
    clearTimeout(timer);
    process.exit(0);
  });
  const client = conn.bootstrap(Session);
  const session: SessionHandle = {
    client,
    async get(name: string): Promise<$.Client> {
      const r = await client.get((p) => (p.name = name)).promise();
      return getCap(r.cap);
    },
    async list(): Promise<string[]> {
      const r = await client.list().promise();
      return r.names.toArray();
    },
  };
  return { session, conn };
}

export { ProcessControl };
