// What the grid proxy learns from the nodes themselves over RMB (its internal/indexer/*.go): features
// (zos.system.node_features_get), health (zos.system.diagnostics), IPv6 (zos.network.has_ipv6), GPUs
// (zos.gpu.list) and DMI (zos.system.dmi). Asked for each new node at once and then every
// `refreshMs`; a node that does not answer keeps its last values (empty at first).
import type { GridModel } from "../indexer/model.ts";

export interface NodeInfo {
  features: string[];
  healthy: boolean;
  hasIpv6: boolean;
  gpus: { id: string; vendor: string; device: string; contract: number }[];
  dmi: {
    bios: { vendor: string; version: string };
    baseboard: { manufacturer: string; product_name: string };
    processor: { version: string; thread_count: string }[];
    memory: { manufacturer: string; type: string }[];
  };
  speed: { upload: number; download: number };
  /** unix ms of the last answer; 0 = never */
  fetchedAt: number;
}

export function emptyInfo(): NodeInfo {
  return {
    features: [],
    healthy: false,
    hasIpv6: false,
    gpus: [],
    dmi: { bios: { vendor: "", version: "" }, baseboard: { manufacturer: "", product_name: "" }, processor: [], memory: [] },
    speed: { upload: 0, download: 0 },
    fetchedAt: 0,
  };
}

/** Sends one RMB request to a node twin and resolves with the parsed reply. */
export type NodeAsk = (twinId: number, command: string, payload: unknown, timeoutMs: number) => Promise<unknown>;

// deno-lint-ignore no-explicit-any
type Any = any;

function dmiOf(v: Any, old: NodeInfo["dmi"]): NodeInfo["dmi"] {
  // zos answers {sections: [{type_str, subsections: [{title, properties: {name: {val}}}]}]}
  if (!v || !Array.isArray(v.sections)) return old;
  const props = (type: string) =>
    (v.sections as Any[]).filter((s) => s.type_str === type).map((s) => {
      const out: Record<string, string> = {};
      for (const sub of s.subsections ?? []) for (const [k, p] of Object.entries(sub.properties ?? {})) out[k] = String((p as Any)?.val ?? "");
      return out;
    });
  const bios = props("BIOS")[0] ?? {};
  const board = props("Baseboard")[0] ?? {};
  return {
    bios: { vendor: bios["Vendor"] ?? "", version: bios["Version"] ?? "" },
    baseboard: { manufacturer: board["Manufacturer"] ?? "", product_name: board["Product Name"] ?? "" },
    processor: props("Processor").map((p) => ({ version: p["Version"] ?? "", thread_count: p["Thread Count"] ?? "" })),
    memory: props("MemoryDevice").map((p) => ({ manufacturer: p["Manufacturer"] ?? "", type: p["Type"] ?? "" })),
  };
}

export class NodeInfoSource {
  private readonly model: GridModel;
  private readonly ask: NodeAsk | null;
  private readonly info = new Map<number, NodeInfo>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly attempted = new Map<number, number>();
  private tick: () => void = () => {};

  constructor(model: GridModel, ask: NodeAsk | null, opts: { refreshMs?: number; timeoutMs?: number } = {}) {
    this.model = model;
    this.ask = ask;
    this.refreshMs = opts.refreshMs ?? 5 * 60_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  get(nodeId: number): NodeInfo {
    return this.info.get(nodeId) ?? emptyInfo();
  }

  /** Asks each node at once, then every refreshMs (a node that did not answer: again after 30 s). */
  start(): void {
    if (!this.ask || this.timer) return;
    this.tick = () => {
      const now = Date.now();
      for (const n of this.model.nodes.values()) {
        const last = this.attempted.get(n.nodeID);
        const every = this.info.has(n.nodeID) ? this.refreshMs : 30_000;
        if (last === undefined || now - last >= every) {
          this.attempted.set(n.nodeID, now);
          void this.refresh(n.nodeID);
        }
      }
    };
    // new nodes are asked within 2 s (the proxy: within 5 min)
    this.timer = setInterval(this.tick, 2000);
    this.tick();
  }

  /** Asks every node again now (e.g. once an RMB session exists). */
  poke(): void {
    this.attempted.clear();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Refreshes one node's facts; resolves when done (failures keep the old values). */
  refresh(nodeId: number): Promise<void> {
    const running = this.inFlight.get(nodeId);
    if (running) return running;
    const p = this.fetch(nodeId).finally(() => this.inFlight.delete(nodeId));
    this.inFlight.set(nodeId, p);
    return p;
  }

  private async fetch(nodeId: number): Promise<void> {
    const node = this.model.nodes.get(nodeId);
    if (!node || !this.ask) return;
    const ask = (cmd: string) => this.ask!(node.twinID, cmd, null, this.timeoutMs).then((v) => ({ ok: true, v }), () => ({ ok: false, v: null as Any }));
    const [features, diag, ipv6, gpus, dmi] = await Promise.all([
      ask("zos.system.node_features_get"),
      ask("zos.system.diagnostics"),
      ask("zos.network.has_ipv6"),
      ask("zos.gpu.list"),
      ask("zos.system.dmi"),
    ]);
    if (!features.ok && !diag.ok) return; // the node is not answering: keep what we had
    const old = this.info.get(nodeId) ?? emptyInfo();
    this.info.set(nodeId, {
      features: features.ok && Array.isArray(features.v) ? features.v.map(String) : old.features,
      healthy: diag.ok ? Boolean(diag.v?.healthy ?? diag.v?.system_status_ok) : old.healthy,
      hasIpv6: ipv6.ok ? Boolean(ipv6.v) : old.hasIpv6,
      gpus: gpus.ok && Array.isArray(gpus.v)
        ? gpus.v.map((g: Any) => ({ id: String(g.id ?? ""), vendor: String(g.vendor ?? ""), device: String(g.device ?? ""), contract: Number(g.contract ?? 0) }))
        : old.gpus,
      dmi: dmi.ok ? dmiOf(dmi.v, old.dmi) : old.dmi,
      speed: old.speed,
      fetchedAt: Date.now(),
    });
  }
}
