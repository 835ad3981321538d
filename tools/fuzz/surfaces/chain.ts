// JSON-RPC of the dev chain (`zos grid up`'s chain), over HTTP on loopback: mutated copies of real requests,
// random methods with random params, batches, non-JSON. Every answer must be a JSON-RPC error with a clear
// message (or a read-only result); the chain head and the pool stay as they were.
import { type RunningChain, startChain } from "../../../grid/chain/mod.ts";
import type { Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

const METHODS = [
  "author_pendingExtrinsics", "author_submitExtrinsic", "author_submitAndWatchExtrinsic", "author_unwatchExtrinsic",
  "chain_getBlock", "chain_getBlockHash", "chain_getFinalizedHead", "chain_getHeader", "chain_subscribeNewHeads",
  "payment_queryFeeDetails", "payment_queryInfo", "rpc_methods", "state_call", "state_getKeys", "state_getKeysPaged",
  "state_getPairs", "state_getRuntimeVersion", "state_getStorage", "state_getStorageAt", "state_getStorageHash",
  "state_getStorageSize", "state_queryStorageAt", "state_subscribeStorage", "system_accountNextIndex", "system_chain",
  "system_health", "system_properties", "system_version", "no_suchMethod", "", "__proto__", "constructor", "toString",
];

function param(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 7 : 9)) {
    case 0: return null;
    case 1: return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER]);
    case 2: return "0x" + [...rng.bytes(rng.int(40))].map((b) => b.toString(16).padStart(2, "0")).join("");
    case 3: return rng.pick(["0x", "0xzz", "0x1", "latest", "", "0x" + "ff".repeat(32), "0x26aa394eea5630e07c48ae0c9558cef7"]);
    case 4: return rng.text();
    case 5: return rng.chance(0.5);
    case 6: return rng.pick(["__proto__", "constructor", "0x" + "00".repeat(4096)]);
    case 7: return Array.from({ length: rng.int(4) }, () => param(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(3) }, () => [rng.text(8), param(rng, depth + 1)]));
  }
}

function request(rng: Rng): string {
  const one = () => ({ jsonrpc: rng.chance(0.9) ? "2.0" : rng.pick(["1.0", 2, null]), id: rng.pick([1, "x", null, -5, 2 ** 60, {}]), method: rng.pick(METHODS), params: rng.chance(0.9) ? Array.from({ length: rng.int(4) }, () => param(rng)) : param(rng) });
  switch (rng.int(5)) {
    case 0: return rng.mutateText(JSON.stringify(one())); // bytes edited: mostly not JSON any more
    case 1: return JSON.stringify(Array.from({ length: rng.int(6) }, one)); // a batch (maybe empty)
    case 2: return rng.text(200);
    default: return JSON.stringify(one());
  }
}

export const chainSurface: Surface = {
  name: "chain-jsonrpc",
  what: "JSON-RPC requests to the dev chain over HTTP",
  async start(): Promise<Target> {
    const c: RunningChain = await startChain({ blockTimeMs: 0, log: () => {} });
    const post = async (body: string) => {
      const res = await fetch(c.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      return { status: res.status, text: await res.text() };
    };
    const call = async (method: string, params: unknown[] = []) => JSON.parse((await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }))).text);
    return {
      async feed(rng): Promise<Verdict> {
        const r = await post(request(rng));
        if (r.status >= 500) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 300)}`);
        const answer = JSON.parse(r.text); // the chain always answers JSON
        const list = Array.isArray(answer) ? answer : [answer];
        const errors = list.filter((a) => a && a.error);
        for (const a of list) {
          if (!a || typeof a !== "object" || a.jsonrpc !== "2.0") throw new Error(`not a JSON-RPC answer: ${r.text.slice(0, 200)}`);
          if (a.error && (typeof a.error.code !== "number" || typeof a.error.message !== "string")) throw new Error(`error without code/message: ${r.text.slice(0, 200)}`);
          if (a.error?.code === -32603) throw new Error(`internal error: ${JSON.stringify(a.error).slice(0, 300)}`);
        }
        if (errors.length === list.length && list.length) return { refused: errors.map((a) => `${a.error.message}${a.error.data ? ` (${a.error.data})` : ""}`).join("; ") };
        return { accepted: true };
      },
      async state() {
        const head = await call("chain_getHeader");
        const pool = await call("author_pendingExtrinsics");
        return JSON.stringify({ head: head.result, pool: pool.result });
      },
      async alive() {
        const h = await call("system_health");
        if (!h.result) throw new Error(`system_health: ${JSON.stringify(h)}`);
      },
      stop: () => c.stop(),
    };
  },
};
