// Stream framing: any chunking yields the same frames; limits are enforced from the header alone.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FrameError, FrameReader } from "./framing.ts";

/** A frame with the given segment sizes (words), content bytes = a running counter. */
function makeFrame(sizes: number[], seed: number): Uint8Array {
  const header = (4 + 4 * sizes.length + 7) & ~7;
  const total = header + sizes.reduce((a, b) => a + b * 8, 0);
  const f = new Uint8Array(total);
  const v = new DataView(f.buffer);
  v.setUint32(0, sizes.length - 1, true);
  sizes.forEach((s, i) => v.setUint32(4 + 4 * i, s, true));
  for (let i = header; i < total; i++) f[i] = (i + seed) & 0xff;
  return f;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

const frames = [makeFrame([1], 1), makeFrame([3, 2], 2), makeFrame([1, 1, 1], 3), makeFrame([200], 4), makeFrame([2, 5, 1, 7], 5)];
const stream = concat(frames);

const t = suite("framing");

t("all frames in one chunk", () => {
  const got = new FrameReader().push(stream);
  assert.equal(got.map((f) => Array.from(f)), frames.map((f) => Array.from(f)));
});

t("byte by byte", () => {
  const r = new FrameReader();
  const got: Uint8Array[] = [];
  for (let i = 0; i < stream.byteLength; i++) got.push(...r.push(stream.subarray(i, i + 1)));
  assert.equal(got.map((f) => Array.from(f)), frames.map((f) => Array.from(f)));
  assert.is(r.pendingBytes, 0);
});

t("every split point of two chunks", () => {
  for (let cut = 0; cut <= stream.byteLength; cut++) {
    const r = new FrameReader();
    const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
    assert.is(got.length, frames.length, `cut at ${cut}`);
    assert.equal(Array.from(got[3]), Array.from(frames[3]));
  }
});

t("segment count over the limit is refused from the first word", () => {
  const r = new FrameReader({ maxFrameBytes: 1 << 20, maxSegments: 4 });
  assert.throws(() => r.push(makeFrame([1, 1, 1, 1, 1], 0).subarray(0, 8)), (e: Error) => e instanceof FrameError && /5 segments/.test(e.message));
});

t("frame size over the limit is refused before its body arrives", () => {
  const r = new FrameReader({ maxFrameBytes: 4096, maxSegments: 8 });
  const h = new Uint8Array(8);
  new DataView(h.buffer).setUint32(4, 0xffffffff, true);
  assert.throws(() => r.push(h), (e: Error) => e instanceof FrameError && /larger than 4096/.test(e.message));
});

t("empty frame is refused", () => {
  assert.throws(() => new FrameReader().push(new Uint8Array(8)), /no content/);
});

t.run();
