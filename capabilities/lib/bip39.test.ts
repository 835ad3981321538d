// Our BIP39 mnemonic → entropy against @polkadot/util-crypto's (JS and WASM paths): the same entropy for valid
// mnemonics of every length, and the same refusal for bad words, lengths and checksums.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cryptoWaitReady, mnemonicGenerate, mnemonicToEntropy as polkadot } from "@polkadot/util-crypto";
import { mnemonicToEntropy } from "./bip39.ts";

const t = suite("bip39");

function outcome(f: () => Uint8Array): string {
  try {
    return Buffer.from(f()).toString("hex");
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

t("the same entropy as polkadot-js for generated mnemonics of 12, 15, 18, 21 and 24 words", async () => {
  await cryptoWaitReady();
  for (const n of [12, 15, 18, 21, 24] as const) {
    for (let k = 0; k < 20; k++) {
      const m = mnemonicGenerate(n);
      assert.is(outcome(() => mnemonicToEntropy(m)), outcome(() => polkadot(m, undefined, true)), m);
      assert.is(outcome(() => mnemonicToEntropy(m)), outcome(() => polkadot(m)), m);
    }
  }
  // the BIP39 test vector: all-zero entropy
  const zero = Array(23).fill("abandon").concat("art").join(" ");
  assert.is(Buffer.from(mnemonicToEntropy(zero)).toString("hex"), "00".repeat(32));
});

t("the same refusals: unknown word, bad length, bad checksum, double spaces", () => {
  const m = mnemonicGenerate(24);
  const words = m.split(" ");
  const cases = [
    "",
    words.slice(0, 23).join(" "),
    [...words.slice(0, 23), words[23] === "zoo" ? "zone" : "zoo"].join(" "),
    [...words.slice(0, 23), "notaword"].join(" "),
    m.replace(" ", "  "),
    m.toUpperCase(),
    Array(24).fill("abandon").join(" "),
    Array(33).fill("abandon").join(" "),
  ];
  for (const c of cases) {
    const mine = outcome(() => mnemonicToEntropy(c));
    assert.ok(mine.startsWith("error: "), c);
    assert.is(mine, outcome(() => polkadot(c, undefined, true)), c);
  }
});

t.run();
