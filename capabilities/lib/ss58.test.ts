// capabilities/lib/ss58.ts against polkadot-js (the reference every grid tool uses), over random keys and
// prefixes of both lengths; bad checksums, lengths and characters are refused.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { base58Encode as pjsBase58, decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { base58Decode, base58Encode, ss58Decode, ss58Encode } from "./ss58.ts";

test("encode and decode match polkadot-js for random keys, prefixes 0, 42, 63, 64, 255, 16383", () => {
  for (let i = 0; i < 50; i++) {
    const key = new Uint8Array(randomBytes(32));
    if (i === 0) key.fill(0); // leading zero bytes: base58's "1"s
    for (const prefix of [0, 42, 63, 64, 255, 16383]) {
      const text = ss58Encode(key, prefix);
      assert.is(text, encodeAddress(key, prefix), `prefix ${prefix}`);
      assert.equal(ss58Decode(text), key);
      assert.equal(ss58Decode(text), decodeAddress(text));
    }
    assert.is(base58Encode(key), pjsBase58(key));
    assert.equal(base58Decode(base58Encode(key)), key);
  }
  const hex = "0x" + "ab".repeat(32);
  assert.equal(ss58Decode(hex), decodeAddress(hex));
});

test("a wrong checksum, length or character is refused", () => {
  const good = ss58Encode(new Uint8Array(32).fill(7));
  const last = good.at(-1) === "a" ? "b" : "a";
  assert.throws(() => ss58Decode(good.slice(0, -1) + last), /checksum|SS58/);
  assert.throws(() => ss58Decode(good.slice(0, -4)), /not an SS58 address/);
  assert.throws(() => ss58Decode(good.replace(/.$/, "0")), /not a base58 character/);
  assert.throws(() => ss58Encode(new Uint8Array(31)), /32-byte/);
});

test.run();
