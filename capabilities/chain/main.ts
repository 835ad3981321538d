// The chain driver: the node's only connection to TFChain. Args: <chain ws url> [faucet file] [activation url].
// Grants it serves:
//   reader     {}                                   storage reads, balances, events
//   submit     {"calls": ["tfgridModule.createNode", ...]}   extrinsics from the node account, signed
//              through the "signer" capability it is granted by the identity driver (the node key never
//              comes here); only the listed section.method pairs are allowed
//   activator  {}                                   gets an unfunded account some TFT: POSTs
//              {"substrateAccountID": ss58} to the activation service (ZOS-REFERENCE §2.4 step 2; 200/409 =
//              ok) when an activation URL is configured; otherwise (host dev runs only) transfers from the
//              faucet account whose mnemonic is in the faucet file (neither → activate() refuses)
// Unknown restriction keys are refused (fail closed).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import type * as $ from "capnp-es";
import {
  type ChainEvent as ChainEventStruct, ChainReader$Server, ChainSubmitter$Server, type EventSink$Client, Subscription$Server,
} from "../schema/gen/chain.ts";
import { Activator$Server } from "../schema/gen/node.ts";
import { startProcess } from "../lib/guest/process.ts";
import { Ref } from "../lib/guest/ref.ts";
import { ChainClient, ChainDispatchError, type ChainEvent, type ChainSubmitter } from "./mod.ts";
import { remoteExtrinsicSigner } from "../identity/remote-signer.ts";
import { toJson } from "../../modules/node/json.ts";

const url = process.argv[2];
const faucetFile = process.argv[3];
// "" or an unsubstituted ${activationurl}: no activation service configured
const activationArg = process.argv[4] ?? "";
const activationUrl = activationArg && !activationArg.includes("${") ? activationArg : null;
if (!url || url.includes("${")) {
  console.error("chain: usage: chain/main.ts <ws url of the chain> [faucet file] (the manifest's ${chainurl} was not set)");
  process.exit(2);
}

function onlyKeys(cap: string, r: Record<string, unknown>, known: string[]): void {
  for (const k of Object.keys(r)) {
    if (!known.includes(k)) throw new Error(`denied: chain: unknown restriction "${k}" on ${cap} (known: ${known.join(", ") || "none"})`);
  }
}

// Connected after startProcess (the end of this file): the connection to the kernel comes first, so a driver
// still waiting for the chain exits as soon as its stdin closes (its kernel is gone) instead of lingering.
let client: ChainClient | null = null;
function chain(): ChainClient {
  if (!client) throw new Error(`failed: chain: not connected to ${url} yet`);
  return client;
}

function fillEvents(list: $.List<ChainEventStruct>, events: ChainEvent[]): void {
  events.forEach((e, i) => {
    const out = list.get(i);
    out.section = e.section;
    out.method = e.method;
    out.dataJson = toJson(e.data);
    out.extrinsicIndex = e.extrinsicIndex ?? -1;
    out.blockHash = e.blockHash;
  });
}

const reader = new ChainReader$Server({
  async twin(p, r) { r.json = toJson(await chain().read.twin(p.id)); },
  async twinIdByAccount(p, r) {
    const id = await chain().read.twinIdByAccount(p.address);
    r.found = id !== null && id !== undefined && Number(id) !== 0;
    r.id = r.found ? Number(id) : 0;
  },
  async farm(p, r) { r.json = toJson(await chain().read.farm(p.id)); },
  async node(p, r) { r.json = toJson(await chain().read.node(p.id)); },
  async nodeIdByTwin(p, r) {
    const id = await chain().read.nodeIdByTwin(p.twinId);
    r.found = id !== null && id !== undefined && Number(id) !== 0;
    r.id = r.found ? Number(id) : 0;
  },
  async contract(p, r) { r.json = toJson(await chain().read.contract(Number(p.id))); },
  async activeNodeContracts(p, r) {
    const ids = await chain().read.activeNodeContracts(p.nodeId);
    const l = r._initIds(ids.length);
    ids.forEach((id, i) => l.set(i, BigInt(id)));
  },
  async contractIdByNodeAndHash(p, r) {
    const id = await chain().read.contractIdByNodeAndHash(p.nodeId, p.hash);
    r.found = id !== null && Number(id) !== 0;
    r.id = BigInt(r.found ? id! : 0);
  },
  async contractIdByName(p, r) {
    const id = await chain().read.contractIdByName(p.name);
    r.found = id !== null && Number(id) !== 0;
    r.id = BigInt(r.found ? id! : 0);
  },
  async rentContractForNode(p, r) {
    const id = await chain().read.rentContractForNode(p.nodeId);
    r.found = id !== null && Number(id) !== 0;
    r.id = BigInt(r.found ? id! : 0);
  },
  async subscribeEvents(p, r) {
    // the sink is kept until cancel() or until the subscriber goes away (its calls then fail)
    const sink: EventSink$Client = p.sink;
    let stop: (() => void) | null = null;
    stop = await chain().read.subscribeEvents((events) => {
      sink.events((q) => fillEvents(q._initEvents(events.length), events)).promise().catch(() => {
        stop?.();
        stop = null;
      });
    });
    r.subscription = new Subscription$Server({
      cancel() {
        stop?.();
        stop = null;
        return Promise.resolve();
      },
    }).client();
  },
  async balance(p, r) {
    const b = await chain().read.balance(p.address);
    r.free = b.free.toString();
    r.reserved = b.reserved.toString();
  },
});

// One submitter for every grant: it serializes extrinsics of the node account, so nonces never collide.
let submitterP: Promise<ChainSubmitter> | null = null;
function nodeSubmitter(): Promise<ChainSubmitter> {
  submitterP ??= (async () => {
    const ref = new Ref(session, "signer", (c) => c);
    const signer = await remoteExtrinsicSigner((fn) => ref.use(fn));
    return chain().submitter(signer);
  })();
  submitterP.catch(() => (submitterP = null));
  return submitterP;
}

function submitCap(restrictions: Record<string, unknown>): ChainSubmitter$Server {
  onlyKeys("submit", restrictions, ["calls"]);
  const calls = restrictions.calls;
  if (!Array.isArray(calls) || calls.some((c) => typeof c !== "string" || !/^[a-zA-Z]+\.[a-zA-Z0-9]+$/.test(c))) {
    throw new Error('denied: chain: a submit grant needs restrictions.calls, a list of "section.method" (e.g. "tfgridModule.createNode")');
  }
  const allowed = new Set(calls as string[]);
  return new ChainSubmitter$Server({
    async submit(p, r) {
      const name = `${p.section}.${p.method}`;
      if (!allowed.has(name)) throw new Error(`denied: chain: this grant may not submit ${name} (allowed: ${[...allowed].join(", ")})`);
      let args: unknown;
      try {
        args = JSON.parse(p.argsJson);
      } catch {
        throw new Error(`failed: chain: argsJson of ${name} is not JSON`);
      }
      if (!Array.isArray(args)) throw new Error(`failed: chain: argsJson of ${name} must be a JSON array`);
      const s = await nodeSubmitter();
      const result = r._initResult();
      try {
        const inc = await s.submit(p.section, p.method, ...args);
        const out = result._initIncluded();
        out.blockHash = inc.blockHash;
        fillEvents(out._initEvents(inc.events.length), inc.events);
      } catch (err) {
        if (!(err instanceof ChainDispatchError)) throw new Error(`failed: chain: ${name}: ${(err as Error).message}`);
        const f = result._initFailed();
        f.section = err.section;
        f.error = err.error;
      }
    },
    async address(_p, r) {
      r.address = (await nodeSubmitter()).address;
    },
  });
}

/** One POST to the activation service; the registrar then waits for the funds to show in the balance. */
async function activateViaService(service: string, address: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(service, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ substrateAccountID: address }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(`failed: chain: activation service ${service} did not answer: ${(err as Error).message}`);
  }
  const body = (await res.text().catch(() => "")).slice(0, 300);
  // 409: the service already activated this account (Zero-OS treats it as success)
  if (res.status !== 200 && res.status !== 409) {
    throw new Error(`failed: chain: activation service ${service} answered ${res.status}: ${body}`);
  }
}

let faucet: Promise<ChainSubmitter> | null = null;
const activator = new Activator$Server({
  async activate(p) {
    if (activationUrl) return await activateViaService(activationUrl, p.address);
    if (!faucetFile || faucetFile.includes("${") || !existsSync(faucetFile)) {
      throw new Error("failed: chain: no activation service on this node (dev grids put the faucet mnemonic in the chain driver's faucet file)");
    }
    // loaded here: only a host dev grid has a faucet, and the in-memory signer's module graph (node:crypto, the
    // sr25519 wasm) would otherwise stay resident in every node's chain driver
    faucet ??= import("../rmb/signer.ts")
      .then(({ signerFromMnemonic }) => signerFromMnemonic(readFileSync(faucetFile, "utf8").trim(), "sr25519"))
      .then((s) => chain().submitter(s));
    // 10 TFT (7 decimals): registration, uptime reports and some contracts
    await (await faucet).submit("balances", "transferKeepAlive", p.address, 100_000_000n);
  },
});

const { session } = startProcess({
  provide: {
    reader: (r) => {
      onlyKeys("reader", r, []);
      return reader;
    },
    submit: (r) => submitCap(r),
    activator: (r) => {
      onlyKeys("activator", r, []);
      return activator;
    },
  },
  health: () => ({ ready: client?.connected ?? false, detail: client?.connected ? "" : `not connected to ${url}` }),
  onShutdown: () => client?.close(),
});

client = await ChainClient.connect({ urls: [url], log: (l) => console.error(`chain: ${l}`) });
