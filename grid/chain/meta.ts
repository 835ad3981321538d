// The real TFChain metadata (v14) and everything derived from it: the type registry used to decode
// extrinsics and to encode storage values and events byte-for-byte the way @polkadot/api expects.
// Storage keys are computed from the metadata hashers (twox128(prefix) ‖ twox128(item) ‖ hashed keys).
import { readFileSync } from "node:fs";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { compactToU8a, hexToU8a, u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a, xxhashAsU8a } from "@polkadot/util-crypto";

export const metadataPath = new URL("./tfchain-metadata.scale", import.meta.url);

/** What state_getRuntimeVersion answers. `apis: []` makes polkadot-js use state_getMetadata and RPC fallbacks. */
export const runtimeVersion = {
  specName: "substrate-threefold",
  implName: "zos-ts-dev-chain",
  authoringVersion: 1,
  specVersion: 147,
  implVersion: 0,
  apis: [] as unknown[],
  transactionVersion: 2,
  stateVersion: 0,
};

type Hasher =
  | "Blake2_128"
  | "Blake2_256"
  | "Blake2_128Concat"
  | "Twox128"
  | "Twox256"
  | "Twox64Concat"
  | "Identity";

interface StorageInfo {
  prefix: Uint8Array; // twox128(pallet prefix) ‖ twox128(item)
  hashers: Hasher[];
  keyTypes: string[]; // lookup type names, one per hasher
  valueType: string;
  optional: boolean; // modifier Optional: absent = None; Default: absent = default value
  defaultHex: string;
}

export interface VariantInfo {
  index: number;
  name: string;
  fields: { name: string | null; type: string }[];
}

export interface PalletInfo {
  name: string;
  index: number;
  errors: Map<string, number>;
  events: Map<string, VariantInfo>;
}

function hashKey(hasher: Hasher, data: Uint8Array): Uint8Array {
  switch (hasher) {
    case "Blake2_128":
      return blake2AsU8a(data, 128);
    case "Blake2_256":
      return blake2AsU8a(data, 256);
    case "Blake2_128Concat":
      return u8aConcat(blake2AsU8a(data, 128), data);
    case "Twox128":
      return xxhashAsU8a(data, 128);
    case "Twox256":
      return xxhashAsU8a(data, 256);
    case "Twox64Concat":
      return u8aConcat(xxhashAsU8a(data, 64), data);
    case "Identity":
      return data;
  }
}

/** Registry + lookups over the TFChain metadata. One instance per process is enough (it is immutable). */
export class ChainMeta {
  readonly registry: TypeRegistry;
  readonly metadata: Metadata;
  readonly metadataHex: string;
  readonly pallets = new Map<string, PalletInfo>();
  private readonly storage = new Map<string, StorageInfo>();
  private readonly palletByIndex = new Map<number, string>();

  constructor(bytes: Uint8Array = readFileSync(metadataPath)) {
    this.registry = new TypeRegistry();
    this.metadataHex = u8aToHex(bytes);
    this.metadata = new Metadata(this.registry, bytes);
    this.registry.setMetadata(this.metadata);
    const v14 = this.metadata.asV14;
    const lookup = this.registry.lookup;
    for (const p of v14.pallets) {
      const name = p.name.toString();
      const info: PalletInfo = { name, index: p.index.toNumber(), errors: new Map(), events: new Map() };
      this.palletByIndex.set(info.index, name);
      this.pallets.set(name, info);
      if (p.errors.isSome) {
        for (const v of lookup.getSiType(p.errors.unwrap().type).def.asVariant.variants) {
          info.errors.set(v.name.toString(), v.index.toNumber());
        }
      }
      if (p.events.isSome) {
        for (const v of lookup.getSiType(p.events.unwrap().type).def.asVariant.variants) {
          info.events.set(v.name.toString(), {
            index: v.index.toNumber(),
            name: v.name.toString(),
            fields: v.fields.map((f) => ({
              name: f.name.isSome ? f.name.unwrap().toString() : null,
              type: this.registry.createLookupType(f.type),
            })),
          });
        }
      }
      if (p.storage.isSome) {
        const st = p.storage.unwrap();
        const palletPrefix = xxhashAsU8a(st.prefix.toString(), 128);
        for (const item of st.items) {
          const itemName = item.name.toString();
          const prefix = u8aConcat(palletPrefix, xxhashAsU8a(itemName, 128));
          let hashers: Hasher[] = [];
          let keyTypes: string[] = [];
          let valueId;
          if (item.type.isPlain) {
            valueId = item.type.asPlain;
          } else {
            const m = item.type.asMap;
            hashers = m.hashers.map((h) => h.toString() as Hasher);
            valueId = m.value;
            if (hashers.length === 1) keyTypes = [this.registry.createLookupType(m.key)];
            else keyTypes = lookup.getSiType(m.key).def.asTuple.map((t) => this.registry.createLookupType(t));
          }
          this.storage.set(`${name}.${itemName}`, {
            prefix,
            hashers,
            keyTypes,
            valueType: this.registry.createLookupType(valueId),
            optional: item.modifier.isOptional,
            defaultHex: u8aToHex(item.fallback.toU8a(true)),
          });
        }
      }
    }
  }

  palletName(index: number): string | undefined {
    return this.palletByIndex.get(index);
  }

  private item(pallet: string, item: string): StorageInfo {
    const s = this.storage.get(`${pallet}.${item}`);
    if (!s) throw new Error(`unknown storage item ${pallet}.${item}`);
    return s;
  }

  /** Full storage key (hex) for `pallet.item(keys...)`. */
  key(pallet: string, item: string, ...keys: unknown[]): string {
    const s = this.item(pallet, item);
    if (keys.length !== s.hashers.length) throw new Error(`${pallet}.${item} takes ${s.hashers.length} keys`);
    const parts = keys.map((k, i) =>
      hashKey(s.hashers[i], this.registry.createType(s.keyTypes[i], k).toU8a())
    );
    return u8aToHex(u8aConcat(s.prefix, ...parts));
  }

  /** Key prefix (hex) of a whole storage item, for prefix iteration. */
  prefix(pallet: string, item: string): string {
    return u8aToHex(this.item(pallet, item).prefix);
  }

  /** SCALE-encodes a storage value (hex). */
  encode(pallet: string, item: string, value: unknown): string {
    return u8aToHex(this.registry.createType(this.item(pallet, item).valueType, value).toU8a());
  }

  /** Decodes a stored value to plain JSON-ish data (`toJSON`: numbers, hex strings, camelCase keys). */
  decode(pallet: string, item: string, hex: string | null): unknown {
    const s = this.item(pallet, item);
    if (hex === null) {
      if (s.optional) return null;
      hex = s.defaultHex;
    }
    return this.registry.createType(s.valueType, hexToU8a(hex)).toJSON();
  }

  /** Encoded event body: pallet index ‖ variant index ‖ fields. */
  encodeEvent(pallet: string, event: string, args: unknown[]): Uint8Array {
    const p = this.mustPallet(pallet);
    const v = p.events.get(event);
    if (!v) throw new Error(`unknown event ${pallet}.${event}`);
    if (args.length !== v.fields.length) {
      throw new Error(`${pallet}.${event} takes ${v.fields.length} fields`);
    }
    const data = v.fields.map((f, i) => this.registry.createType(f.type, args[i]).toU8a());
    return u8aConcat(new Uint8Array([p.index, v.index]), ...data);
  }

  /** The event field types (for encoding DispatchError etc. by the exact lookup type). */
  eventField(pallet: string, event: string, i: number): string {
    return this.mustPallet(pallet).events.get(event)!.fields[i].type;
  }

  errorIndex(pallet: string, error: string): number {
    const p = this.mustPallet(pallet);
    const e = p.errors.get(error);
    if (e === undefined) throw new Error(`unknown error ${pallet}.${error}`);
    return e;
  }

  mustPallet(name: string): PalletInfo {
    const p = this.pallets.get(name);
    if (!p) throw new Error(`unknown pallet ${name}`);
    return p;
  }

  /** SCALE Vec<EventRecord> from already-encoded records. */
  static encodeVec(items: Uint8Array[]): Uint8Array {
    return u8aConcat(compactToU8a(items.length), ...items);
  }
}
