// The seed file formats byte for byte (ZOS-REFERENCE §2.1): what each form parses to, whether it is
// rewritten as 1.0.0 (and a 1.0.0 file is left alone: same inode), and the exact refusal of every corrupt form.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mnemonicGenerate, mnemonicToEntropy } from "@polkadot/util-crypto";
import { encodeSeedFile, loadOrCreateSeed, parseSeedFile, SeedError } from "./seed.ts";
import { tempDir } from "../../tools/test-tmp.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const seed = new Uint8Array(32).map((_, i) => 200 - i);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function refusal(bytes: Uint8Array): string {
  try {
    parseSeedFile("/s", bytes);
  } catch (e) {
    assert.instance(e, SeedError);
    assert.is((e as SeedError).path, "/s");
    return (e as Error).message;
  }
  throw new Error("parsed a corrupt seed file");
}

test("each form parses to its seed; only 1.0.0 is not legacy", () => {
  assert.equal(parseSeedFile("/s", seed), { seed, legacy: true }, "raw 32 bytes");
  assert.equal(parseSeedFile("/s", cat(enc('"1.0.0"'), seed)), { seed, legacy: false });
  const mnemonic = mnemonicGenerate(24);
  assert.equal(parseSeedFile("/s", enc('"1.1.0"' + JSON.stringify({ mnemonic }))), { seed: mnemonicToEntropy(mnemonic), legacy: true });
  assert.equal(encodeSeedFile(seed), cat(enc('"1.0.0"'), seed));
  assert.throws(() => encodeSeedFile(seed.subarray(1)), (e: Error) => e.message === "a seed is 32 bytes");
});

test("every corrupt form is refused with the path and what is wrong", () => {
  const cases: Array<[Uint8Array, string]> = [
    [enc("hello"), "/s: not a seed file (5 bytes, no version header)"],
    [new Uint8Array(33), "/s: not a seed file (33 bytes, no version header)"],
    [enc('"1.0.0'), "/s: corrupt seed file: unterminated version string"],
    [enc('"'), "/s: corrupt seed file: unterminated version string"],
    [cat(enc('"1.0.0"'), seed.subarray(2)), "/s: corrupt seed file: version 1.0.0 needs 32 seed bytes, found 30"],
    [enc('"1.1.0"{nope'), "/s: corrupt seed file: version 1.1.0 payload is not JSON"],
    [enc('"1.1.0"{"words": "a b"}'), "/s: corrupt seed file: version 1.1.0 without a mnemonic"],
    [enc('"1.1.0"' + JSON.stringify({ mnemonic: mnemonicGenerate(12) })), "/s: seed file: the mnemonic must have 24 words (32 bytes of entropy)"],
    [cat(enc('"9.9.9"'), seed), '/s: unknown seed file version "9.9.9"'],
    [cat(enc('""'), seed), '/s: unknown seed file version ""'],
  ];
  for (const [bytes, want] of cases) assert.is(refusal(bytes), want, want);
});

test("loading rewrites a legacy file as 1.0.0, and leaves a 1.0.0 file alone (same inode)", () => {
  const dir = tempDir("zt-tests-seed-");
  const cur = join(dir, "current");
  writeFileSync(cur, cat(enc('"1.0.0"'), seed), { mode: 0o400 });
  const before = statSync(cur).ino;
  assert.equal(loadOrCreateSeed(cur), { seed, created: false });
  assert.is(statSync(cur).ino, before, "not rewritten");
  const raw = join(dir, "raw");
  writeFileSync(raw, seed);
  assert.equal(loadOrCreateSeed(raw), { seed, created: false });
  assert.equal(new Uint8Array(readFileSync(raw)), encodeSeedFile(seed));
  assert.is(statSync(raw).mode & 0o777, 0o400);
});

test.run();
