// The registrar's RegistrarChain over the chain driver's capabilities: reads through `reader`,
// extrinsics through `submit` (which signs with the node key inside the identity driver; the registrar
// never sees a key). Twin/node values arrive as toPrimitive JSON.
import { ChainSubmitter$Client } from "../../capabilities/schema/gen/chain.ts";
import type { ChainReaderClient } from "../../capabilities/chain/reader-client.ts";
import type { ChainNode, ChainTwin, NodeRegistration, RegistrarChain } from "../registrar/ports.ts";
import { chainNodeFrom, chainTwinFrom } from "../registrar/chain-values.ts";
import type { UseCap } from "./caps.ts";
import { toJson } from "./json.ts";

// deno-lint-ignore no-explicit-any
type Plain = any;

interface Event {
  section: string;
  method: string;
  data: Plain[];
}



export class SubmitClient {
  readonly #use: UseCap;
  constructor(use: UseCap) {
    this.#use = use;
  }
  /** Resolves with the block's events of the extrinsic; a refused dispatch throws "chain refused …". */
  submit(section: string, method: string, ...args: unknown[]): Promise<Event[]> {
    return this.#use(async (c) => {
      const r = (await new ChainSubmitter$Client(c).submit((p) => {
        p.section = section;
        p.method = method;
        p.argsJson = toJson(args);
      }).promise()).result;
      if (r._isFailed) throw new Error(`chain refused ${section}.${method}: ${r.failed.section}.${r.failed.error}`);
      return r.included.events.toArray().map((e) => ({ section: e.section, method: e.method, data: JSON.parse(e.dataJson) as Plain[] }));
    });
  }
  address(): Promise<string> {
    return this.#use(async (c) => (await new ChainSubmitter$Client(c).address().promise()).address);
  }
}

function eventData(events: Event[], section: string, method: string): Plain[] {
  const e = events.find((x) => x.section === section && x.method === method);
  if (!e) throw new Error(`chain: expected event ${section}.${method} was not emitted`);
  return e.data;
}

export class CapRegistrarChain implements RegistrarChain {
  readonly address: string;
  #read: ChainReaderClient;
  #submit: SubmitClient;

  constructor(address: string, read: ChainReaderClient, submit: SubmitClient) {
    this.address = address;
    this.#read = read;
    this.#submit = submit;
  }

  async freeBalance(): Promise<bigint> {
    return (await this.#read.balance(this.address)).free;
  }
  /** An account with a twin has accepted T&C; accepting again is harmless, so a rerun after a crash is safe. */
  async hasAcceptedTerms(): Promise<boolean> {
    return (await this.twinIdByAccount()) !== null;
  }
  async acceptTerms(link: string, hash: string): Promise<void> {
    await this.#submit.submit("tfgridModule", "userAcceptTc", link, hash);
  }
  twinIdByAccount(): Promise<number | null> {
    return this.#read.twinIdByAccount(this.address);
  }
  async createTwin(relay: string | null, pk: string | null): Promise<number> {
    const ev = await this.#submit.submit("tfgridModule", "createTwin", relay, pk);
    return Number((eventData(ev, "tfgridModule", "TwinStored")[0] as { id: number }).id);
  }
  async getTwin(id: number): Promise<ChainTwin | null> {
    return chainTwinFrom(id, await this.#read.twin(id));
  }
  async updateTwin(relay: string | null, pk: string | null): Promise<void> {
    await this.#submit.submit("tfgridModule", "updateTwin", relay, pk);
  }
  async farm(id: number): Promise<{ id: number; twinId: number } | null> {
    const f: Plain = await this.#read.farm(id);
    return f ? { id, twinId: Number(f.twinId) } : null;
  }
  nodeIdByTwin(twinId: number): Promise<number | null> {
    return this.#read.nodeIdByTwin(twinId);
  }
  async getNode(id: number): Promise<ChainNode | null> {
    return chainNodeFrom(id, await this.#read.node(id));
  }
  async createNode(r: NodeRegistration): Promise<number> {
    const ev = await this.#submit.submit("tfgridModule", "createNode", r.farmId, r.resources, r.location, r.interfaces, r.secureBoot, r.virtualized, r.serialNumber);
    return Number((eventData(ev, "tfgridModule", "NodeStored")[0] as { id: number }).id);
  }
  async updateNode(id: number, r: NodeRegistration): Promise<void> {
    await this.#submit.submit("tfgridModule", "updateNode", id, r.farmId, r.resources, r.location, r.interfaces, r.secureBoot, r.virtualized, r.serialNumber);
  }
  async reportUptime(uptimeSecs: number, nowSecs: number): Promise<void> {
    await this.#submit.submit("tfgridModule", "reportUptimeV2", uptimeSecs, nowSecs);
  }
}
