// BIP39 mnemonic → entropy (English word list), as @polkadot/util-crypto's mnemonicToEntropy does it (NFKD, words
// split on single spaces, 11 bits a word, the SHA-256 checksum), without that package: its mnemonic module loads
// @polkadot/util and @polkadot/wasm-crypto, ≈ 9 MiB resident in a process that reads a seed file once (the
// identity driver; docs/PERFORMANCE.md). bip39.test.ts compares the two.
import { createHash } from "node:crypto";
import WORDS from "@polkadot/util-crypto/mnemonic/wordlists/en";

let index: Map<string, number> | null = null;

/** The entropy a 12…24-word English mnemonic encodes; throws on an unknown word, a bad length or checksum. */
export function mnemonicToEntropy(mnemonic: string): Uint8Array {
  index ??= new Map(WORDS.map((w, i) => [w, i]));
  const words = (mnemonic || "").normalize("NFKD").split(" ");
  if (words.length % 3 !== 0) throw new Error("Invalid mnemonic");
  let bits = "";
  for (const w of words) {
    const i = index.get(w);
    if (i === undefined) throw new Error("Invalid mnemonic");
    bits += i.toString(2).padStart(11, "0");
  }
  const divider = Math.floor(bits.length / 33) * 32;
  const entropyBits = bits.slice(0, divider);
  const bytes = entropyBits.match(/(.{1,8})/g)?.map((b) => parseInt(b, 2));
  if (!bytes || bytes.length % 4 !== 0 || bytes.length < 16 || bytes.length > 32) throw new Error("Invalid entropy");
  const entropy = new Uint8Array(bytes);
  const hash = createHash("sha256").update(entropy).digest();
  const checksum = [...hash].map((x) => x.toString(2).padStart(8, "0")).join("").slice(0, (entropy.length * 8) / 32);
  if (checksum !== bits.slice(divider)) throw new Error("Invalid mnemonic checksum");
  return entropy;
}
