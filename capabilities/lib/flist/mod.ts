// rfs v2 `.fl` flists: block crypto, the writer, the checking reader, block stores and the safe
// materialiser. See docs/flists.md.
export { BLOCK_SIZE, BlockError, blake2b256, decodeBlock, encodeBlock, hex } from "./block.ts";
export { packFlist, type PackOptions, type PackResult } from "./pack.ts";
export { type FlEntry, type Flist, FlistError, readFlist, type ReadLimits } from "./reader.ts";
export { materialise, type MaterialiseOptions, type MaterialiseResult } from "./materialise.ts";
export { type BlockStore, DirStore, HttpStore, type Route, RoutedStore, storeForUrl, type WritableBlockStore } from "./store.ts";
