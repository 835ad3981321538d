// Twin lookups against tfchain (TfgridModule.Twins) over @polkadot/api. Loaded lazily by callers so
// code paths that never talk to a chain do not pay for @polkadot/api.
import { ApiPromise, WsProvider } from "@polkadot/api";
import { hexToU8a, isHex } from "@polkadot/util";
import type { Twin, TwinLookup } from "./twins.ts";

function bytesOf(value: unknown): Uint8Array | null {
  // Option<Vec<u8>> decodes as Option<Bytes>; its JSON/hex form is "0x..." or null.
  const v = value as {
    isSome?: boolean;
    isNone?: boolean;
    unwrap?: () => { toU8a(bare: boolean): Uint8Array };
  } | null;
  if (!v || v.isNone) return null;
  if (v.isSome && v.unwrap) {
    const inner = v.unwrap();
    const bytes = inner.toU8a(true);
    return bytes.length ? bytes : null;
  }
  return null;
}

export class ChainTwins implements TwinLookup {
  private api: ApiPromise;

  private constructor(api: ApiPromise) {
    this.api = api;
  }

  /** Connects to a chain WebSocket URL (fails after `timeoutMs` instead of retrying forever). */
  static async connect(url: string, timeoutMs = 30_000): Promise<ChainTwins> {
    const provider = new WsProvider(url, 1_000, {}, timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const api = await Promise.race([
        ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`chain ${url} did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return new ChainTwins(api);
    } catch (err) {
      await provider.disconnect().catch(() => {});
      throw new Error(`cannot reach the chain at ${url}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  static fromApi(api: ApiPromise): ChainTwins {
    return new ChainTwins(api);
  }

  async get(id: number): Promise<Twin | null> {
    if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) return null;
    const q = this.api.query as unknown as Record<string, Record<string, (a: number) => Promise<unknown>>>;
    const opt = await q.tfgridModule.twins(id) as
      | { isNone: boolean; unwrap(): Record<string, unknown> }
      | null;
    if (!opt || opt.isNone) return null;
    const t = opt.unwrap() as Record<string, { toU8a?: () => Uint8Array; toString(): string }>;
    const account = t.accountId ?? t.account_id;
    const relayBytes = bytesOf(t.relay);
    const pk = bytesOf(t.pk);
    return {
      id,
      accountId: account!.toU8a!(),
      relay: relayBytes ? new TextDecoder().decode(relayBytes) : null,
      pk: pk ? normalisePk(pk) : null,
    };
  }

  /**
   * Calls `onChange(twinId)` for every TwinStored / TwinUpdated / TwinDeleted event, so caches can drop
   * stale records at once instead of waiting for their TTL. Resolves to an unsubscribe function.
   */
  async watchTwins(onChange: (twinId: number) => void): Promise<() => void> {
    const q = this.api.query as unknown as {
      system: { events(cb: (events: unknown) => void): Promise<() => void> };
    };
    return await q.system.events((events) => {
      for (
        const record of events as Iterable<{ event: { section: string; method: string; data: unknown[] } }>
      ) {
        const { section, method, data } = record.event;
        if (section !== "tfgridModule" || !["TwinStored", "TwinUpdated", "TwinDeleted"].includes(method)) {
          continue;
        }
        const first = data[0] as { id?: { toNumber(): number }; toNumber?: () => number };
        const id = first?.id?.toNumber?.() ?? first?.toNumber?.();
        if (typeof id === "number") onChange(id);
      }
    });
  }

  async close(): Promise<void> {
    await this.api.disconnect();
  }
}

/** Some tools store the pk as its hex text rather than raw bytes; accept both. */
function normalisePk(pk: Uint8Array): Uint8Array {
  if (pk.length === 68 || pk.length === 66) {
    const text = new TextDecoder().decode(pk);
    const hex = text.startsWith("0x") ? text : `0x${text}`;
    if (isHex(hex)) return hexToU8a(hex);
  }
  return pk;
}
