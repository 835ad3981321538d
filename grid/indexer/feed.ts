// Feeds a GridModel from a running dev chain, as tfchain_graphql's processor does from a real one:
// every produced block's events (System.Events of that block), applied in order. On attach the model
// is first loaded from the chain's current storage (a restarted chain has pruned its old blocks), then
// the blocks still kept in memory are replayed so times (createdAt, updatedAt, uptime) are the blocks'.
import type { DevChain } from "../chain/mod.ts";
import type { GridModel } from "./model.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

interface BlockLike {
  number: number;
  changes: [string, string | null, string | null][];
}

export interface Feed {
  /** resolves once the model has applied block `n` (or a later one) */
  caughtUp(n: number): Promise<void>;
  stop(): void;
}

export function attachFeed(chain: DevChain, model: GridModel, log: (l: string) => void = () => {}): Feed {
  const meta = chain.meta;
  const eventsKey = meta.key("System", "Events");
  const nowKey = meta.key("Timestamp", "Now");

  const loadMap = (pallet: string, item: string, put: (v: Any) => void) => {
    const prefix = meta.prefix(pallet, item);
    for (const k of chain.keysAt(prefix, Infinity, undefined, chain.head)) {
      put(meta.decode(pallet, item, chain.state.get(k)));
    }
  };

  const applyBlock = (b: BlockLike) => {
    const ev = b.changes.find(([k]) => k === eventsKey);
    const ts = b.changes.find(([k]) => k === nowKey);
    const time = ts?.[2] ? Math.floor(Number(meta.decode("Timestamp", "Now", ts[2])) / 1000) : model.head.time;
    if (ev?.[2]) {
      const records = meta.registry.createType("Vec<FrameSystemEventRecord>", ev[2]) as unknown as Any[];
      let i = 0;
      for (const r of records) {
        try {
          applyEvent(model, r.event.section, r.event.method, r.event.data.toJSON() as Any[], time, `${b.number}-${i}`);
        } catch (e) {
          log(`indexer: event ${r.event.section}.${r.event.method} of block ${b.number} not applied: ${(e as Error).message}`);
        }
        i++;
      }
    }
    model.head = { number: b.number, time };
    const ready = waiters.filter((w) => w.n <= b.number);
    waiters = waiters.filter((w) => w.n > b.number);
    for (const w of ready) w.resolve();
  };

  // 1. storage as of the head
  const headTime = Math.floor(Number(meta.decode("Timestamp", "Now", chain.state.get(nowKey))) / 1000);
  loadMap("TfgridModule", "Twins", (t) => model.putTwin(t));
  loadMap("TfgridModule", "Farms", (f) => model.putFarm(f));
  loadMap("TfgridModule", "Nodes", (n) => model.putNode(n, 0));
  loadMap("SmartContractModule", "Contracts", (c) => model.putContract(c, 0));
  // 2. the kept blocks' events, oldest first
  let first = chain.head.number;
  while (first > 1 && chain.blockByNumber(first - 1)) first--;
  let waiters: { n: number; resolve: () => void }[] = [];
  for (let n = first; n <= chain.head.number; n++) {
    const b = chain.blockByNumber(n);
    if (b) applyBlock(b as BlockLike);
  }
  model.head = { number: chain.head.number, time: headTime };

  const onBlock = (b: BlockLike) => applyBlock(b);
  chain.on("block", onBlock);
  return {
    caughtUp(n: number) {
      if (model.head.number >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    stop() {
      chain.off("block", onBlock);
      for (const w of waiters.splice(0)) w.resolve();
    },
  };
}

/** Applies one decoded event (section and method as polkadot-js names them, data as toJSON()). */
export function applyEvent(model: GridModel, section: string, method: string, d: Any[], time: number, id: string): void {
  if (section === "tfgridModule") {
    switch (method) {
      case "TwinStored":
      case "TwinUpdated":
        return model.putTwin(d[0]);
      case "TwinDeleted":
        return model.deleteTwin(Number(d[0]));
      case "FarmStored":
      case "FarmUpdated":
        return model.putFarm(d[0]);
      case "FarmDeleted":
        return model.deleteFarm(Number(d[0]));
      case "NodeStored":
      case "NodeUpdated":
        return model.putNode(d[0], time);
      case "NodeDeleted":
        return model.deleteNode(Number(d[0]));
      case "NodeUptimeReported":
        return model.nodeUptime(Number(d[0]), Number(d[2]), time);
      case "NodePublicConfigStored":
        return model.nodePublicConfig(Number(d[0]), d[1]);
      case "PowerTargetChanged":
        return model.nodePower(Number(d[1]), "target", d[2]);
      case "PowerStateChanged":
        return model.nodePower(Number(d[1]), "state", d[2]);
    }
    return;
  }
  if (section === "smartContractModule") {
    switch (method) {
      case "ContractCreated":
        return model.putContract(d[0], time);
      case "ContractUpdated":
        return model.putContract(d[0], time);
      case "NodeContractCanceled":
      case "NameContractCanceled":
      case "RentContractCanceled":
        return model.setContractState(Number(d[0]), "Deleted");
      case "ContractGracePeriodStarted":
        return model.setContractState(Number(d[0]), "GracePeriod");
      case "ContractGracePeriodEnded":
        return model.setContractState(Number(d[0]), "Created");
      case "UpdatedUsedResources":
        return model.setUsedResources(Number(d[0].contractId), d[0].used);
      case "ContractBilled":
        return model.addBill(d[0], id);
      case "NodeExtraFeeSet":
        return model.nodeExtraFee(Number(d[0]), Number(d[1]));
    }
  }
}
