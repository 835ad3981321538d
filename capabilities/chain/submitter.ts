// Submit facet of the chain driver: signs extrinsics through the identity driver's chain-purpose signer
// (an ExtrinsicSigner: the key stays with the identity driver, which decodes each payload and signs only
// the calls its grant allows), or through an in-memory key for dev tools, one at a time per account so nonces never collide, and waits for inclusion.
// A failed dispatch becomes a ChainDispatchError naming TFChain's module error.
import type { ApiPromise } from "@polkadot/api";
import type { SignerPayloadJSON } from "@polkadot/types/types";
import { u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a, encodeAddress } from "@polkadot/util-crypto";
import type { ChainEvent } from "./reader.ts";
import type { ExtrinsicSigner, Signer } from "../lib/signer.ts";
export type { ExtrinsicSigner, Signer };

/**
 * A transaction's mortal era, in blocks. polkadot-js defaults to 64, which is 6.4 min on TFChain's 6 s blocks but
 * 32 s on the dev chain's 0.5 s blocks: a node signing slowly (a netbooted node under TCG) saw its first call
 * refused as a bad signature (the era it signed had died). 1024 blocks ≈ 8.5 min on the dev chain, 1.7 h on
 * TFChain; replays stay impossible (the nonce), only a stuck transaction lives longer in the pool.
 */
export const MORTAL_ERA_BLOCKS = 1024;

export class ChainDispatchError extends Error {
  /** e.g. "tfgridModule" + "TwinExists"; for non-module errors "dispatch" + "Token", "BadOrigin", ... */
  readonly section: string;
  readonly error: string;
  constructor(section: string, error: string, detail: string) {
    super(`chain refused the call: ${section}.${error}${detail ? ` (${detail})` : ""}`);
    this.section = section;
    this.error = error;
  }
}

export interface Included {
  blockHash: string;
  events: ChainEvent[];
}

export class ChainSubmitter {
  readonly #api: ApiPromise;
  readonly #signer: Signer | ExtrinsicSigner;
  readonly address: string;
  #queue: Promise<unknown> = Promise.resolve();
  readonly timeoutMs: number;

  constructor(api: ApiPromise, signer: Signer | ExtrinsicSigner, timeoutMs = 60_000) {
    this.#api = api;
    this.#signer = signer;
    this.address = encodeAddress(signer.publicKey, 42);
    this.timeoutMs = timeoutMs;
  }

  /**
   * polkadot-js signer adapter. An ExtrinsicSigner gets the whole SCALE payload (it checks the call and
   * hashes itself); a raw in-memory Signer gets the bytes Substrate signs (blake2-256 first when > 256 bytes).
   */
  #adapter() {
    const api = this.#api;
    const signer = this.#signer;
    let id = 0;
    return {
      signPayload: async (payload: SignerPayloadJSON) => {
        const p = api.registry.createType("ExtrinsicPayload", payload, { version: payload.version });
        let bytes = p.toU8a({ method: true });
        let sig: Uint8Array;
        if ("signExtrinsic" in signer) sig = await signer.signExtrinsic(bytes);
        else {
          if (bytes.length > 256) bytes = blake2AsU8a(bytes, 256);
          sig = await signer.sign(bytes);
        }
        // MultiSignature tag: 0 = ed25519, 1 = sr25519
        return {
          id: ++id,
          signature: u8aToHex(u8aConcat(new Uint8Array([signer.type === "ed25519" ? 0 : 1]), sig)),
        };
      },
    };
  }

  /** Submits `section.method(...args)` and resolves once it is in a block and succeeded. */
  submit(section: string, method: string, ...args: unknown[]): Promise<Included> {
    const run = this.#queue.then(() => this.#submitNow(section, method, args));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #submitNow(section: string, method: string, args: unknown[]): Promise<Included> {
    const api = this.#api;
    const fn = api.tx[section]?.[method];
    if (!fn) throw new Error(`chain: no call ${section}.${method} in the chain's metadata`);
    const tx = fn(...args);
    const nonce = await api.rpc.system.accountNextIndex(this.address);
    return await new Promise<Included>((resolve, reject) => {
      let unsub: (() => void) | null = null;
      const timer = setTimeout(() => {
        unsub?.();
        reject(new Error(`chain: ${section}.${method} was not included within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        unsub?.();
        f();
      };
      tx.signAndSend(this.address, { signer: this.#adapter(), nonce, era: MORTAL_ERA_BLOCKS }, (result) => {
        const s = result.status;
        if (s.isInvalid || s.isDropped || s.isUsurped) {
          done(() =>
            reject(new Error(`chain: ${section}.${method} was ${s.type.toLowerCase()} by the pool`))
          );
          return;
        }
        // Finalized counts as included too: polkadot-js abandons an inBlock lookup (block + events) that is
        // still running when "finalized" arrives — on a slow CPU (a node under QEMU TCG) that is the normal
        // case, and waiting only for inBlock then timed out although the extrinsic was on chain.
        if (!s.isInBlock && !s.isFinalized) return;
        const blockHash = (s.isInBlock ? s.asInBlock : s.asFinalized).toHex();
        const events: ChainEvent[] = result.events.map((r) => ({
          section: r.event.section,
          method: r.event.method,
          data: r.event.data.map((d) => d.toPrimitive()),
          extrinsicIndex: r.phase.isApplyExtrinsic ? r.phase.asApplyExtrinsic.toNumber() : null,
          blockHash,
        }));
        if (result.dispatchError) {
          const e = result.dispatchError;
          if (e.isModule) {
            const meta = api.registry.findMetaError(e.asModule);
            done(() => reject(new ChainDispatchError(meta.section, meta.name, meta.docs.join(" "))));
          } else {
            done(() => reject(new ChainDispatchError("dispatch", e.type, JSON.stringify(e.toHuman()))));
          }
          return;
        }
        done(() => resolve({ blockHash, events }));
      }).then((u) => {
        unsub = u;
      }, (err: Error) => {
        clearTimeout(timer);
        reject(new Error(`chain: ${section}.${method} rejected: ${err.message}`));
      });
    });
  }
}
