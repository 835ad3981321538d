// What runs inside every driver and module: connects to the kernel over stdin/stdout, exports this
// process's ProcessControl (health, provide, shutdown) and hands back its Session — the only way to reach
// anything. stdout carries the wire, so console output is redirected to stderr (the kernel logs it).
import process from "node:process";
import { ProcessControl$Client, Session$Client } from "../../capabilities/schema/gen/kernel.ts";
import { RpcError } from "../wire/errors.ts";
import type { Cap, Peer } from "../wire/peer.ts";
import { peerOverStreams } from "../wire/stream.ts";
import { invoke, serve } from "../wire/typed.ts";

export type Provider = (restrictions: Record<string, unknown>, grantee: string) => Cap | Promise<Cap>;

export interface ProcessOptions {
  /** Capabilities this process exposes, by manifest name. */
  provide?: Record<string, Provider>;
  /** Readiness; defaults to ready once connected. */
  health?: () => { ready: boolean; detail?: string };
  onShutdown?: () => Promise<void> | void;
}

export interface Session {
  /** A granted capability by its local grant name; fails with `denied` for anything not granted. */
  get(name: string): Promise<Cap>;
  list(): Promise<string[]>;
}

export interface Guest {
  session: Session;
  peer: Peer;
}

function redirectConsole(): void {
  const toErr = (...a: unknown[]) => console.error(...a);
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
}

export function startProcess(opts: ProcessOptions = {}): Guest {
  redirectConsole();
  const control = serve(ProcessControl$Client, {
    health(_p, r) {
      const h = opts.health?.() ?? { ready: true };
      r.ready = h.ready;
      r.detail = h.detail ?? "";
    },
    async provide(p, _r, ctx) {
      const name: string = p.name;
      const fn = opts.provide?.[name];
      if (!fn) throw new RpcError("unimplemented", `this process does not provide "${name}"`);
      let restrictions: Record<string, unknown> = {};
      try {
        restrictions = p.restrictions ? JSON.parse(p.restrictions) : {};
      } catch {
        throw new RpcError("failed", `restrictions for "${name}" are not JSON`);
      }
      ctx.resultCaps.push(await fn(restrictions, p.grantee));
    },
    async shutdown() {
      await opts.onShutdown?.();
      // Let the reply reach the kernel, then leave.
      setTimeout(() => process.exit(0), 10);
    },
  });
  const peer = peerOverStreams(process.stdin, process.stdout, control, { name: "kernel" });
  peer.onClose(() => process.exit(0));
  const boot = peer.bootstrap();
  const session: Session = {
    async get(name: string): Promise<Cap> {
      const r = await invoke(boot, Session$Client.methods[0], (p) => (p.name = name));
      if (!r.caps[0]) throw new RpcError("failed", `session returned no capability for "${name}"`);
      return r.caps[0];
    },
    async list(): Promise<string[]> {
      const r = await invoke(boot, Session$Client.methods[1]);
      return r.results.names.toArray();
    },
  };
  return { session, peer };
}
