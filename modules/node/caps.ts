// Typed helpers over the capabilities the node's modules are granted (node.capnp, identity.capnp),
// each going through a kernel `Ref` so a restarted provider is re-acquired transparently.
import type * as $ from "capnp-es";
import { Identity$Client } from "../../capabilities/schema/gen/identity.ts";
import { DeploymentEngine$Client, HostFacts$Client, Rmb$Client, StatusReport$Client } from "../../capabilities/schema/gen/node.ts";
import { Ref } from "../../capabilities/lib/guest/ref.ts";
import type { SessionHandle } from "../../capabilities/lib/guest/process.ts";

export type UseCap = <R>(fn: (cap: $.Client) => Promise<R>) => Promise<R>;

/** A granted capability by name, re-acquired after a provider restart. */
export function granted(session: SessionHandle, name: string): UseCap {
  const ref = new Ref(session, name, (c) => c);
  return (fn) => ref.use(fn);
}

export async function nodeAddress(use: UseCap): Promise<string> {
  return await use(async (c) => (await new Identity$Client(c).publicIdentity().promise()).identity.address);
}

export class HostFactsClient {
  readonly #use: UseCap;
  constructor(use: UseCap) {
    this.#use = use;
  }
  get<T>(name: string): Promise<T> {
    return this.#use(async (c) => JSON.parse((await new HostFacts$Client(c).get((p) => (p.name = name)).promise()).json) as T);
  }
}

export interface RmbInfoJson {
  twinId: number;
  e2ePublicKey: Uint8Array;
  relays: string[];
  connected: boolean;
}

export function rmbInfo(use: UseCap): Promise<RmbInfoJson> {
  return use(async (c) => {
    const i = (await new Rmb$Client(c).info().promise()).info;
    return {
      twinId: i.twinId,
      e2ePublicKey: new Uint8Array(i.e2ePublicKey.toUint8Array()),
      relays: i.relays.toArray(),
      connected: i.connected,
    };
  });
}

export function statusOf(use: UseCap): Promise<unknown> {
  return use(async (c) => JSON.parse((await new StatusReport$Client(c).status().promise()).json));
}

export { DeploymentEngine$Client };
