// rfs v2 `.fl` and legacy 0-fs `.flist` flists: block crypto, the writer, the checking reader, block stores and the safe
// materialiser. See docs/flists.md.
export { BLOCK_SIZE, BlockError, blake2b256, decodeBlock, encodeBlock, hex } from "./block.ts";
export { packFlist, type PackOptions, type PackResult } from "./pack.ts";
export { type FlEntry, type Flist, FlistError, readFlist, type ReadLimits } from "./reader.ts";
export { materialise, type MaterialiseOptions, type MaterialiseResult } from "./materialise.ts";
export { type BlockStore, DirStore, HttpStore, type Route, RoutedStore, storeForUrl, type WritableBlockStore } from "./store.ts";
export { type HttpStoreOptions, MAX_STORED_BLOCK } from "./http-store.ts";
export { ZdbStore } from "./zdb-store.ts";
export { isLegacyFlist, readLegacyFlist } from "./legacy/reader.ts";
export { packLegacyFlist } from "./legacy/writer.ts";
export { openFlist } from "./open.ts";
