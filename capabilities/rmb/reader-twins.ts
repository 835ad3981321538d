// TwinLookup over the chain driver's read facet (TfgridModule.Twins as toPrimitive JSON): what the rmb
// driver uses to check senders' signatures and encrypt replies, without a chain connection of its own.
import { Buffer } from "node:buffer";
import { ss58Decode } from "../lib/ss58.ts"; // not @polkadot/util-crypto: its module graph costs ≈ 25 MiB

const hexToU8a = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), "hex"));
const isHex = (v: string) => /^0x([0-9a-fA-F]{2})*$/.test(v);
import type { Twin, TwinLookup } from "./twins.ts";

export interface TwinReads {
  twin(id: number): Promise<unknown>;
}

/** Option<Bytes> as toPrimitive gives it: the text when printable UTF-8, else 0x-hex. */
function bytesOf(v: unknown): Uint8Array | null {
  if (typeof v !== "string" || v === "") return null;
  if (/^0x([0-9a-fA-F]{2})+$/.test(v)) return hexToU8a(v);
  return new TextEncoder().encode(v);
}

/** The pk is 33 raw bytes, or (some tools) its hex text. */
function pkOf(v: unknown): Uint8Array | null {
  const b = bytesOf(v);
  if (!b) return null;
  if (b.length === 66 || b.length === 68) {
    const text = new TextDecoder().decode(b);
    const hex = text.startsWith("0x") ? text : `0x${text}`;
    if (isHex(hex)) return hexToU8a(hex);
  }
  return b;
}

export class ReaderTwins implements TwinLookup {
  readonly #read: TwinReads;
  constructor(read: TwinReads) {
    this.#read = read;
  }
  async get(id: number): Promise<Twin | null> {
    if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) return null;
    const t = (await this.#read.twin(id)) as { accountId?: string; relay?: unknown; pk?: unknown } | null;
    if (!t || typeof t.accountId !== "string") return null;
    const relay = bytesOf(t.relay);
    return {
      id,
      accountId: ss58Decode(t.accountId),
      relay: relay ? new TextDecoder().decode(relay) : null,
      pk: pkOf(t.pk),
    };
  }
}
