// Writes capabilities/identity/tfchain-calls.gen.ts: what the identity driver's chain signer needs to decode the
// extrinsic payloads it may sign, taken from TFChain's metadata (grid/chain/tfchain-metadata.scale) at build time,
// so the driver does not keep @polkadot/types and the whole metadata resident (≈ 28 MiB; docs/PERFORMANCE.md):
// every call's index → `section.method` name (polkadot-js's names, the form allow-lists use), the argument types of
// the signable calls only (SIGNABLE below) as a small type table, and the payload's signed extensions.
//   node_modules/deno/deno run -A tools/gen-tfchain-calls.ts           (rewrites the file)
//   node_modules/deno/deno run -A tools/gen-tfchain-calls.ts --check   (exit 1 when the committed file differs)
// capabilities/identity/tfchain-decoder.test.ts fails when the file is stale. A type this decoder does not know
// (a map, a bit sequence, an opaque wrapper, Option<bool>) stops the generator: extend tfchain-decoder.ts first.
import { readFileSync, writeFileSync } from "node:fs";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { NODE_CHAIN_CALLS } from "../capabilities/chain/node-calls.ts";

/** The calls a chain signer can be granted: the node's own calls, the batches, and system.remark (tests). */
export const SIGNABLE = [...NODE_CHAIN_CALLS, "utility.batch", "utility.batchAll", "utility.forceBatch", "system.remark"];

/** The signed extensions this decoder knows, as polkadot-js lays out the payload after the call (checked below). */
const EXTENSIONS = [
  "CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality", "CheckNonce",
  "CheckWeight", "ChargeTransactionPayment",
];
const EXTRA = { era: "ExtrinsicEra", nonce: "Compact<Index>", tip: "Compact<Balance>" };
const ADDITIONAL = { specVersion: "u32", transactionVersion: "u32", genesisHash: "Hash", blockHash: "Hash" };

const OUT = new URL("../capabilities/identity/tfchain-calls.gen.ts", import.meta.url);
const SCALE = new URL("../grid/chain/tfchain-metadata.scale", import.meta.url);

type Json = string | number | Json[];

export function generate(): string {
  const scale = readFileSync(SCALE);
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, new Uint8Array(scale));
  registry.setMetadata(metadata);
  const latest = metadata.asLatest;
  const lookup = latest.lookup;

  const identifiers = (latest.extrinsic.toJSON() as { transactionExtensions: { identifier: string }[] })
    .transactionExtensions.map((e) => e.identifier);
  if (JSON.stringify(identifiers) !== JSON.stringify(EXTENSIONS)) {
    throw new Error(`signed extensions changed: ${identifiers.join(", ")}; teach tfchain-decoder.ts the new layout`);
  }
  if (JSON.stringify(registry.getSignedExtensionTypes()) !== JSON.stringify(EXTRA) ||
    JSON.stringify(registry.getSignedExtensionExtra()) !== JSON.stringify(ADDITIONAL)) {
    throw new Error("the payload's extension layout (era, nonce, tip, spec/tx version, genesis/block hash) changed");
  }

  // every call's name, and the RuntimeCall type the batches carry
  const names: Record<string, string> = {};
  const argsOf: Record<string, number[]> = {};
  let callType = -1;
  for (const p of latest.pallets) {
    if (p.calls.isNone) continue;
    const t = p.calls.unwrap().type.toNumber();
    for (const v of lookup.getSiType(t).def.asVariant.variants) {
      const meta = registry.findMetaCall(new Uint8Array([p.index.toNumber(), v.index.toNumber()]));
      const name = `${meta.section}.${meta.method}`;
      names[`${p.index.toNumber()}.${v.index.toNumber()}`] = name;
      argsOf[name] = v.fields.map((f) => f.type.toNumber());
    }
  }
  for (const [i, t] of lookup.types.entries()) {
    if (t.type.path.map(String).join("::").endsWith("RuntimeCall")) callType = i;
  }
  if (callType < 0) throw new Error("no RuntimeCall type in the metadata");

  // the argument types of the signable calls, and every type they reach
  const types: Record<number, Json> = {};
  const visit = (id: number): void => {
    if (id in types || id === callType) return;
    const { def, path, params } = lookup.getSiType(id);
    const where = `type ${id} (${path.map(String).join("::") || def.type})`;
    types[id] = "pending";
    if (def.isPrimitive) {
      types[id] = def.asPrimitive.type.toLowerCase();
    } else if (def.isCompact) {
      const inner = lookup.getSiType(def.asCompact.type.toNumber()).def;
      if (!inner.isPrimitive || !/^U(8|16|32|64|128)$/.test(inner.asPrimitive.type)) throw new Error(`${where}: compact of a non-integer`);
      types[id] = ["compact", Number(inner.asPrimitive.type.slice(1))];
    } else if (def.isSequence) {
      const inner = def.asSequence.type.toNumber();
      const innerDef = lookup.getSiType(inner).def;
      if (innerDef.isPrimitive && innerDef.asPrimitive.type === "U8") types[id] = "bytes";
      else if (inner === callType) types[id] = ["seq", "call"];
      else {
        visit(inner);
        types[id] = ["seq", inner];
      }
    } else if (def.isArray) {
      const inner = def.asArray.type.toNumber();
      visit(inner);
      types[id] = ["array", def.asArray.len.toNumber(), inner];
    } else if (def.isTuple) {
      const ids = def.asTuple.map((x) => x.toNumber());
      ids.forEach(visit);
      types[id] = ["tuple", ids];
    } else if (def.isComposite) {
      const name = path.map(String).join("::");
      if (/BTree|WrapperOpaque|WrapperKeepOpaque|Cow|bitvec/i.test(name)) throw new Error(`${where}: not supported by tfchain-decoder.ts`);
      const ids = def.asComposite.fields.map((f) => f.type.toNumber());
      ids.forEach(visit);
      types[id] = ["struct", ids];
    } else if (def.isVariant) {
      const name = path.map(String).join("::");
      if (name === "Option") {
        const inner = params[0].type.unwrap().toNumber();
        const innerDef = lookup.getSiType(inner).def;
        if (innerDef.isPrimitive && innerDef.asPrimitive.type === "Bool") throw new Error(`${where}: Option<bool> (polkadot-js OptionBool) is not supported`);
        visit(inner);
        types[id] = ["option", inner];
      } else {
        if (name === "Result") throw new Error(`${where}: Result is not supported`);
        const variants: Json[] = [];
        for (const v of def.asVariant.variants) {
          const ids = v.fields.map((f) => f.type.toNumber());
          ids.forEach(visit);
          variants.push([v.index.toNumber(), ids]);
        }
        types[id] = ["enum", variants];
      }
    } else {
      throw new Error(`${where}: ${def.type} is not supported by tfchain-decoder.ts`);
    }
  };
  const signable: Record<string, number[]> = {};
  for (const c of SIGNABLE) {
    if (!argsOf[c]) throw new Error(`signable call ${c} is not in the metadata`);
    signable[c] = argsOf[c];
    argsOf[c].forEach(visit);
  }

  const ids = Object.keys(types).map(Number).sort((a, b) => a - b);
  return `// Generated by tools/gen-tfchain-calls.ts from grid/chain/tfchain-metadata.scale (${scale.length} bytes); do not edit.
// What the chain signer's decoder (tfchain-decoder.ts) knows of TFChain: every call's name by [pallet, call] index,
// the argument types of the signable calls, and the types those reach (ids of the metadata's type registry).
import type { TypeDef } from "./tfchain-decoder.ts";

/** "pallet.call" index → polkadot-js's section.method */
export const CALL_NAMES: Readonly<Record<string, string>> = {
${Object.entries(names).map(([k, v]) => `  "${k}": "${v}",`).join("\n")}
};

/** the calls whose arguments this table can decode → their argument type ids */
export const SIGNABLE_CALLS: Readonly<Record<string, readonly number[]>> = {
${Object.entries(signable).map(([k, v]) => `  "${k}": ${JSON.stringify(v)},`).join("\n")}
};

export const TYPES: Readonly<Record<number, TypeDef>> = {
${ids.map((i) => `  ${i}: ${JSON.stringify(types[i])},`).join("\n")}
};
`;
}

if (import.meta.main) {
  const text = generate();
  if (process.argv.includes("--check")) {
    if (readFileSync(OUT, "utf8") !== text) {
      console.error("capabilities/identity/tfchain-calls.gen.ts is stale: run node_modules/deno/deno run -A tools/gen-tfchain-calls.ts");
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT.pathname.split("/").slice(-3).join("/")}`);
  }
}
