// The `zdb` workload manager: one 0-db namespace per workload on the node's 0-db server (the zdb driver),
// named by the workload id as Zero-OS does, with the deployment's mode, password, public flag and size.
// The result is Zero-OS's, keys capitalised: {"Namespace": "<wlid>", "IPs": [...], "Port": 9900}.
// Update: grows the size and changes password/public; a mode change or a shrink leaves the workload as it
// was (`unchanged`), as on Zero-OS. Pause locks the namespace (read-only), resume unlocks it.
import { zdbHandler, type ZdbData } from "../../lib/gridtypes/workloads/storage.ts";
import type { Workload } from "../../lib/gridtypes/types.ts";
import { UnchangedError, type WorkloadContext, type WorkloadManager } from "../interfaces.ts";
import { hostPlacement, type ZdbPlacement } from "./placement.ts";

export interface ZdbNamespaceInfo {
  name: string;
  mode: string;
  public: boolean;
  passwordSet: boolean;
  maxSize: bigint;
  dataSize: bigint;
  entries: bigint;
  locked: boolean;
  /** the storage pool whose volume holds it ("" = the server's own folder) */
  pool: string;
  /** bytes its volume still takes (0 without a volume) */
  diskFree: bigint;
}

/** What the manager needs of the zdb driver (capabilities/schema/zdb.capnp Zdb, see client.ts). */
export interface ZdbBackend {
  ensure(spec: { name: string; mode: string; password: string; public: boolean; maxSize: bigint; pool: string }): Promise<{ info: ZdbNamespaceInfo; created: boolean }>;
  resize(name: string, maxSize: bigint): Promise<ZdbNamespaceInfo>;
  delete(name: string): Promise<boolean>;
  info(name: string): Promise<ZdbNamespaceInfo | null>;
  setLock(name: string, locked: boolean): Promise<void>;
  endpoint(): Promise<{ host: string; port: number; socket: string }>;
}

export interface ZdbManagerOptions {
  backend: ZdbBackend;
  /** the node's addresses, for a server listening on every address ("::" or "0.0.0.0") */
  nodeAddresses?: () => Promise<string[]>;
  placement?: ZdbPlacement;
}

export interface ZdbResult {
  Namespace: string;
  IPs: string[];
  Port: number;
}

function decode(wl: Workload): ZdbData {
  if (wl.data === undefined) throw new Error("zdb workload has no data");
  const d = zdbHandler.decode(wl.data, "data");
  const bad = zdbHandler.validate(d, { get: () => undefined, byType: () => [] });
  if (bad) throw new Error(bad);
  return d;
}

export function zdbManager(o: ZdbManagerOptions): WorkloadManager {
  const placement = o.placement ?? hostPlacement;
  const result = async (ns: string): Promise<ZdbResult> => {
    const e = await o.backend.endpoint();
    const wildcard = e.host === "::" || e.host === "0.0.0.0";
    const ips = wildcard ? (await o.nodeAddresses?.()) ?? [] : [e.host];
    return { Namespace: ns, IPs: ips, Port: e.port };
  };
  const spec = (ctx: WorkloadContext, d: ZdbData, pool: string) => ({
    name: ctx.workloadId,
    mode: d.mode,
    password: d.password,
    public: d.public,
    maxSize: d.size,
    pool,
  });
  const provision = async (ctx: WorkloadContext, wl: Workload): Promise<ZdbResult> => {
    const d = decode(wl);
    const pool = await placement.place(ctx.twin, ctx.workloadId, d.size);
    await o.backend.ensure(spec(ctx, d, pool));
    return await result(ctx.workloadId);
  };
  return {
    provision,
    async update(ctx, wl) {
      const d = decode(wl);
      const cur = await o.backend.info(ctx.workloadId);
      if (!cur) return await provision(ctx, wl);
      if (cur.mode !== d.mode) throw new UnchangedError(`cannot change namespace mode from ${cur.mode} to ${d.mode}`);
      if (d.size < cur.maxSize) throw new UnchangedError(`cannot shrink the namespace from ${cur.maxSize} to ${d.size} bytes`);
      // the volume grows first, so the namespace's limit never exceeds its quota
      const pool = d.size > cur.maxSize ? await placement.place(ctx.twin, ctx.workloadId, d.size) : cur.pool;
      await o.backend.ensure(spec(ctx, d, pool));
      return await result(ctx.workloadId);
    },
    async deprovision(ctx) {
      await o.backend.delete(ctx.workloadId);
      await placement.free(ctx.twin, ctx.workloadId);
    },
    async pause(ctx) {
      await o.backend.setLock(ctx.workloadId, true);
    },
    async resume(ctx) {
      await o.backend.setLock(ctx.workloadId, false);
    },
  };
}
