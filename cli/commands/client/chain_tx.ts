// Submitting one extrinsic as a user and waiting for it to be in a block, with module errors turned
// into readable messages (e.g. "smartContractModule.NodeNotExists").
import type { ApiPromise } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";

export interface TxEvent {
  section: string;
  method: string;
  data: unknown[];
}

export class ChainTxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChainTxError";
  }
}

export function submitTx(
  api: ApiPromise,
  tx: SubmittableExtrinsic<"promise">,
  pair: KeyringPair,
  timeoutMs = 60_000,
): Promise<TxEvent[]> {
  return new Promise((resolve, reject) => {
    let unsub: (() => void) | null = null;
    const timer = setTimeout(() => {
      unsub?.();
      reject(new ChainTxError(`transaction ${tx.method.section}.${tx.method.method} not included within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      unsub?.();
      fn();
    };
    tx.signAndSend(pair, (result) => {
      const { status, events, dispatchError } = result;
      if (dispatchError) {
        let why = dispatchError.toString();
        if (dispatchError.isModule) {
          try {
            const m = api.registry.findMetaError(dispatchError.asModule);
            why = `${m.section}.${m.name}`;
          } catch { /* keep the raw form */ }
        }
        return done(() => reject(new ChainTxError(`${tx.method.section}.${tx.method.method} failed: ${why}`)));
      }
      if (status.isInBlock || status.isFinalized) {
        const out = events.map(({ event }) => ({
          section: event.section,
          method: event.method,
          data: event.data.map((d) => d.toJSON()),
        }));
        done(() => resolve(out));
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        done(() => reject(new ChainTxError(`${tx.method.section}.${tx.method.method} was ${status.type.toLowerCase()}`)));
      }
    }).then((u) => {
      unsub = u;
    }, (err) => done(() => reject(new ChainTxError(`${tx.method.section}.${tx.method.method} rejected: ${(err as Error).message}`))));
  });
}
