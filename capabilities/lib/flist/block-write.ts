// One rfs v2 block of a file being materialised: checked, decrypted, decompressed (block.ts: BLAKE2b of the
// stored bytes against the id, the AES-GCM tag, BLAKE2b of the plaintext against the key) and written at its
// offset, on whichever thread runs it — the materialiser's own or a decode-pool worker. The file was created
// by the materialiser in its staging folder; this opens it O_WRONLY|O_NOFOLLOW without O_CREAT: it never
// creates a path and never writes through a symlink (there are none yet: links come after all writes).
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { BlockScratch, decodeBlockAsync, decodeBlockInto } from "./block.ts";

export interface BlockTask {
  id: Uint8Array;
  key: Uint8Array;
  /** where the plaintext goes: absolute paths of files in the staging folder and byte offsets in them —
   * more than one when the flist uses the same block twice (duplicate files, repeated content): it is
   * fetched and checked once, then written at each place */
  writes: { path: string; offset: number }[];
  /** bytes the plaintext must have */
  expected: number;
  /** how the block is named in errors (`/etc/passwd: block 3`) */
  label: string;
}

/** Decodes `data` for `t` (into `scratch` when libcrypto is at hand) and writes it; throws the reason. */
export async function writeBlock(t: BlockTask, data: Uint8Array, scratch: BlockScratch): Promise<void> {
  const plain = decodeBlockInto(t.id, t.key, data, scratch) ?? await decodeBlockAsync(t.id, t.key, data);
  if (plain.length !== t.expected) throw new Error(`${t.label} holds ${plain.length} bytes, the size says ${t.expected}`);
  for (const w of t.writes) {
    const fd = openSync(w.path, constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      for (let off = 0; off < plain.length;) off += writeSync(fd, plain, off, plain.length - off, w.offset + off);
    } finally {
      closeSync(fd);
    }
  }
}
