// TFChain's metadata in a @polkadot/types registry, for tests and tools that build or inspect extrinsics with
// polkadot-js (the chain signer itself decodes with tfchain-decoder.ts and never loads this).
import { Metadata, TypeRegistry } from "@polkadot/types";
import { TFCHAIN_METADATA_BASE64 } from "../chain/tfchain-metadata.gen.ts";

let shared: { registry: TypeRegistry; metadata: Metadata } | null = null;

/** The registry (and metadata) of the real TFChain metadata, built once per process (~0.2 s). */
export function tfchain(): { registry: TypeRegistry; metadata: Metadata } {
  if (!shared) {
    const registry = new TypeRegistry();
    const metadata = new Metadata(registry, new Uint8Array(Buffer.from(TFCHAIN_METADATA_BASE64, "base64")));
    registry.setMetadata(metadata);
    shared = { registry, metadata };
  }
  return shared;
}

export function tfchainRegistry(): TypeRegistry {
  return tfchain().registry;
}
