/** A bench twin's 32-byte key seed, the same in every process: twin id (u32 LE) then a fixed pattern. */
export function twinSeed(id: number): Uint8Array {
  const s = new Uint8Array(32).fill(0x5a);
  new DataView(s.buffer).setUint32(0, id, true);
  return s;
}
