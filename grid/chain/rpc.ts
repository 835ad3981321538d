// Substrate JSON-RPC methods over a DevChain. Transport-independent: the server feeds parsed
// requests in and gives each connection a `notify` for subscriptions (none over HTTP).
import { ChainMeta, runtimeVersion } from "./meta.ts";
import { BYTE_FEE, DevChain, RpcError, type TxStatus } from "./chain.ts";
import { weightFee } from "./weights.ts";
import type { BlockRecord } from "./store.ts";

export interface Conn {
  /** null for HTTP: subscriptions are refused. */
  notify: ((method: string, subscription: string, result: unknown) => void) | null;
  subs: Map<string, () => void>;
}

type Handler = (params: unknown[], conn: Conn) => unknown;

/**
 * Holds a watched extrinsic's "finalized" status until this connection has read the inBlock block's
 * body and events. polkadot-js switches to the newest status and abandons an unfinished inBlock
 * lookup, and clients such as tfchain_client only act on inBlock, so an early "finalized" on a
 * loaded machine would leave them waiting forever. A real chain finalizes seconds later; the
 * fallback keeps that bound for clients that never read the block.
 */
interface FinalityGate {
  block: string;
  gotBlock: boolean;
  gotEvents: boolean;
  release: (() => void) | null;
  timer: ReturnType<typeof setTimeout> | null;
}
const FINALITY_FALLBACK_MS = 10_000;
const gates = new WeakMap<Conn, Set<FinalityGate>>();

function gateSeen(conn: Conn, block: string, what: "block" | "events"): void {
  for (const g of gates.get(conn) ?? []) {
    if (g.block !== block) continue;
    if (what === "block") g.gotBlock = true;
    else g.gotEvents = true;
    if (g.gotBlock && g.gotEvents && g.release) {
      const release = g.release;
      g.release = null;
      // after the current response has been written
      setTimeout(release, 0);
    }
  }
}

let subCounter = 0;
function newSubId(): string {
  subCounter++;
  return `zt${Date.now().toString(36)}${subCounter.toString(36)}`;
}

export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 1024;

function limitSubs(conn: Conn): void {
  if (conn.subs.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
    throw new RpcError(
      -32000,
      `Too many subscriptions on this connection (max ${MAX_SUBSCRIPTIONS_PER_CONNECTION})`,
    );
  }
}

function isHex(v: unknown): v is string {
  return typeof v === "string" && /^0x([0-9a-fA-F]{2})*$/.test(v);
}

function needHex(v: unknown, what: string): string {
  if (!isHex(v)) throw new RpcError(-32602, `Invalid params: ${what} must be a 0x-prefixed hex string`);
  return v.toLowerCase();
}

function optAt(chain: DevChain, v: unknown): BlockRecord {
  return chain.resolveAt(v === undefined || v === null ? undefined : (v as string));
}

export class RpcMethods {
  readonly chain: DevChain;
  readonly meta: ChainMeta;
  readonly chainName: string;
  private readonly table: Record<string, Handler>;

  constructor(chain: DevChain, chainName = "zos-ts dev chain") {
    this.chain = chain;
    this.meta = chain.meta;
    this.chainName = chainName;
    const c = chain;
    const eventsKey = this.meta.key("System", "Events");
    const subscribe = (
      conn: Conn,
      notifyMethod: string,
      start: (send: (r: unknown) => void) => () => void,
    ): string => {
      if (!conn.notify) {
        throw new RpcError(-32601, "Method not found: subscriptions need a WebSocket connection");
      }
      limitSubs(conn);
      const id = newSubId();
      const notify = conn.notify;
      const stop = start((r) => notify(notifyMethod, id, r));
      conn.subs.set(id, stop);
      return id;
    };
    const unsubscribe = (params: unknown[], conn: Conn): boolean => {
      const id = params[0];
      if (typeof id !== "string") {
        throw new RpcError(-32602, "Invalid params: subscription id must be a string");
      }
      const stop = conn.subs.get(id);
      if (!stop) return false;
      stop();
      conn.subs.delete(id);
      return true;
    };
    const onBlock = (fn: (b: BlockRecord) => void) => {
      c.on("block", fn);
      return () => c.off("block", fn);
    };
    const headSub = (notifyMethod: string): Handler => (_p, conn) =>
      subscribe(conn, notifyMethod, (send) => {
        queueMicrotask(() => send(c.head.header));
        return onBlock((b) => send(b.header));
      });
    const hashOf = (n: unknown): string | null => {
      if (n === undefined || n === null) return c.head.hash;
      const num = typeof n === "string" && /^0x[0-9a-f]+$/i.test(n) ? parseInt(n, 16) : n;
      if (typeof num !== "number" || !Number.isInteger(num) || num < 0) {
        throw new RpcError(-32602, "Invalid params: block number must be a non-negative integer");
      }
      return c.blockByNumber(num)?.hash ?? null;
    };

    this.table = {
      rpc_methods: () => ({ version: 1, methods: Object.keys(this.table).sort() }),
      system_chain: () => this.chainName,
      system_name: () => "zos-ts-dev-chain",
      system_version: () => "0.1.0",
      system_chainType: () => "Development",
      system_properties: () => ({ ss58Format: 42, tokenDecimals: 7, tokenSymbol: "TFT" }),
      system_health: () => ({ peers: 0, isSyncing: false, shouldHavePeers: false }),
      system_peers: () => [],
      system_nodeRoles: () => ["Authority"],
      system_localPeerId: () => "12D3KooWzosTsDevChain",
      system_syncState: () => ({
        startingBlock: 0,
        currentBlock: c.head.number,
        highestBlock: c.head.number,
      }),
      system_accountNextIndex: (p) => {
        if (typeof p[0] !== "string") {
          throw new RpcError(-32602, "Invalid params: account must be an SS58 address or 0x public key");
        }
        try {
          return c.accountNextIndex(p[0]);
        } catch (e) {
          if (e instanceof RpcError) throw e;
          throw new RpcError(-32602, `Invalid params: ${(e as Error).message}`);
        }
      },
      chain_getBlockHash: (p) => (Array.isArray(p[0]) ? p[0].map(hashOf) : hashOf(p[0])),
      chain_getHeader: (p) => optAt(c, p[0]).header,
      chain_getBlock: (p, conn) => {
        const b = optAt(c, p[0]);
        gateSeen(conn, b.hash, "block");
        return { block: { header: b.header, extrinsics: b.extrinsics }, justifications: null };
      },
      chain_getFinalizedHead: () => c.head.hash,
      chain_subscribeNewHeads: headSub("chain_newHead"),
      chain_subscribeNewHead: headSub("chain_newHead"),
      chain_subscribeAllHeads: headSub("chain_allHead"),
      chain_subscribeFinalizedHeads: headSub("chain_finalizedHead"),
      chain_subscribeFinalisedHeads: headSub("chain_finalizedHead"),
      chain_unsubscribeNewHeads: unsubscribe,
      chain_unsubscribeNewHead: unsubscribe,
      chain_unsubscribeAllHeads: unsubscribe,
      chain_unsubscribeFinalizedHeads: unsubscribe,
      chain_unsubscribeFinalisedHeads: unsubscribe,
      state_getRuntimeVersion: (p) => {
        optAt(c, p[0]);
        return runtimeVersion;
      },
      chain_getRuntimeVersion: (p) => {
        optAt(c, p[0]);
        return runtimeVersion;
      },
      state_subscribeRuntimeVersion: (_p, conn) =>
        subscribe(conn, "state_runtimeVersion", (send) => {
          queueMicrotask(() => send(runtimeVersion));
          return () => {};
        }),
      state_unsubscribeRuntimeVersion: unsubscribe,
      state_getMetadata: (p) => {
        optAt(c, p[0]);
        return this.meta.metadataHex;
      },
      state_getStorage: (p, conn) => {
        const key = needHex(p[0], "storage key");
        const at = optAt(c, p[1]);
        if (key === eventsKey) gateSeen(conn, at.hash, "events");
        return c.storageAt(key, at);
      },
      state_getStorageAt: (p) => c.storageAt(needHex(p[0], "storage key"), optAt(c, p[1])),
      state_getStorageHash: (p) => {
        const v = c.storageAt(needHex(p[0], "storage key"), optAt(c, p[1]));
        return v === null
          ? null
          : this.meta.registry.hash(this.meta.registry.createType("Bytes", v).toU8a(true)).toHex();
      },
      state_getStorageSize: (p) => {
        const v = c.storageAt(needHex(p[0], "storage key"), optAt(c, p[1]));
        return v === null ? null : (v.length - 2) / 2;
      },
      state_queryStorageAt: (p, conn) => {
        if (!Array.isArray(p[0])) {
          throw new RpcError(-32602, "Invalid params: expected an array of storage keys");
        }
        const at = optAt(c, p[1]);
        const keys = p[0].map((k) => needHex(k, "storage key"));
        if (keys.includes(eventsKey)) gateSeen(conn, at.hash, "events");
        return [{ block: at.hash, changes: keys.map((k) => [k, c.storageAt(k, at)]) }];
      },
      state_getKeysPaged: (p) => {
        const prefix = p[0] === null || p[0] === undefined ? "0x" : needHex(p[0], "key prefix");
        const count = p[1];
        if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 1000) {
          throw new RpcError(-32602, "Invalid params: count must be an integer 0..1000");
        }
        const start = p[2] === null || p[2] === undefined ? undefined : needHex(p[2], "start key");
        return c.keysAt(prefix, count, start, optAt(c, p[3]));
      },
      state_getKeys: (p) => c.keysAt(needHex(p[0], "key prefix"), 10_000, undefined, optAt(c, p[1])),
      state_getPairs: (p) => {
        const at = optAt(c, p[1]);
        return c.keysAt(needHex(p[0], "key prefix"), 10_000, undefined, at).map((
          k,
        ) => [k, c.storageAt(k, at)]);
      },
      state_subscribeStorage: (p, conn) => {
        const keys = p[0] === undefined || p[0] === null ? null : p[0];
        if (keys !== null && !Array.isArray(keys)) {
          throw new RpcError(-32602, "Invalid params: expected an array of storage keys");
        }
        const wanted = keys === null ? null : new Set(keys.map((k) => needHex(k, "storage key")));
        return subscribe(conn, "state_storage", (send) => {
          if (wanted) {
            queueMicrotask(() =>
              send({ block: c.head.hash, changes: [...wanted].map((k) => [k, c.state.get(k)]) })
            );
          }
          return onBlock((b) => {
            const changes = b.changes.filter(([k]) => !wanted || wanted.has(k)).map(([k, , v]) => [k, v]);
            if (changes.length) send({ block: b.hash, changes });
          });
        });
      },
      state_unsubscribeStorage: unsubscribe,
      state_call: (p) => {
        throw new RpcError(
          -32000,
          `Client error: runtime API ${
            // a name as given, but never an object's "[object Object]": say what arrived instead
            typeof p[0] === "string" ? JSON.stringify(p[0].slice(0, 80)) : `(a ${p[0] === null ? "null" : typeof p[0]}, expected a method name)`
          } is not exposed by the dev chain (state_getRuntimeVersion lists no apis)`,
        );
      },
      author_submitExtrinsic: (p) => c.submit(needHex(p[0], "extrinsic")),
      author_submitAndWatchExtrinsic: (p, conn) => {
        if (!conn.notify) {
          throw new RpcError(-32601, "Method not found: subscriptions need a WebSocket connection");
        }
        const hex = needHex(p[0], "extrinsic");
        limitSubs(conn);
        const id = newSubId();
        const notify = conn.notify;
        let active = true;
        let gate: FinalityGate | null = null;
        const set = gates.get(conn) ?? new Set<FinalityGate>();
        gates.set(conn, set);
        const send = (s: TxStatus) => {
          if (active) notify("author_extrinsicUpdate", id, s);
        };
        const dropGate = () => {
          if (!gate) return;
          if (gate.timer) clearTimeout(gate.timer);
          set.delete(gate);
          gate = null;
        };
        // validation errors reject the call itself, as substrate does
        c.submit(hex, (s: TxStatus) => {
          if (typeof s === "object" && "inBlock" in s) {
            gate = { block: s.inBlock, gotBlock: false, gotEvents: false, release: null, timer: null };
            set.add(gate);
            send(s);
          } else if (
            typeof s === "object" && "finalized" in s && gate && !(gate.gotBlock && gate.gotEvents)
          ) {
            const g = gate;
            g.release = () => {
              dropGate();
              send(s);
            };
            g.timer = setTimeout(() => g.release?.(), FINALITY_FALLBACK_MS);
          } else {
            dropGate();
            send(s);
          }
        });
        conn.subs.set(id, () => {
          active = false;
          dropGate();
        });
        return id;
      },
      author_unwatchExtrinsic: unsubscribe,
      author_pendingExtrinsics: () => c.pending(),
      payment_queryInfo: (p) => {
        const xt = c.decodeExtrinsic(p[0]);
        optAt(c, p[1]);
        return {
          // u64 weight: with no runtime APIs listed, polkadot-js decodes RuntimeDispatchInfoV1
          weight: c.weight(xt).refTime,
          class: "normal",
          partialFee: c.fee(xt).toString(),
        };
      },
      payment_queryFeeDetails: (p) => {
        const xt = c.decodeExtrinsic(p[0]);
        optAt(c, p[1]);
        return {
          inclusionFee: {
            baseFee: "10000",
            lenFee: (BYTE_FEE * BigInt(xt.encodedLength)).toString(),
            adjustedWeightFee: weightFee(c.weight(xt)).toString(),
          },
        };
      },
    };
  }

  has(method: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.table, method);
  }

  call(method: string, params: unknown[], conn: Conn): unknown {
    const h = this.table[method];
    if (!h) throw new RpcError(-32601, `Method not found: ${method}`);
    return h(params, conn);
  }
}
