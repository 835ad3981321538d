// The node seed file in Zero-OS's format (ZOS-REFERENCE §2.1): the JSON string of a version followed
// by the payload. "1.0.0" + 32 raw seed bytes is what we write (mode 0400, atomically); "1.1.0" +
// {"mnemonic": "..."} (seed = the mnemonic's entropy) and an unversioned raw 32-byte seed are read
// too, and rewritten in the 1.0.0 form.
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import { randomBytes } from "node:crypto";
import { mnemonicToEntropy } from "../lib/bip39.ts"; // not @polkadot/util-crypto: it loads @polkadot/util and wasm-crypto

export const SEED_VERSION = "1.0.0";
const HEADER = new TextEncoder().encode(JSON.stringify(SEED_VERSION));

export class SeedError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** Parses a seed file's bytes. Returns the seed and whether the file should be rewritten. */
export function parseSeedFile(path: string, bytes: Uint8Array): { seed: Uint8Array; legacy: boolean } {
  if (bytes.length === 32) return { seed: new Uint8Array(bytes), legacy: true };
  if (bytes[0] !== 0x22) {
    throw new SeedError(path, `not a seed file (${bytes.length} bytes, no version header)`);
  }
  const end = bytes.indexOf(0x22, 1);
  if (end < 0) throw new SeedError(path, "corrupt seed file: unterminated version string");
  const version = new TextDecoder().decode(bytes.subarray(1, end));
  const payload = bytes.subarray(end + 1);
  if (version === "1.0.0") {
    if (payload.length !== 32) {
      throw new SeedError(
        path,
        `corrupt seed file: version 1.0.0 needs 32 seed bytes, found ${payload.length}`,
      );
    }
    return { seed: new Uint8Array(payload), legacy: false };
  }
  if (version === "1.1.0") {
    let mnemonic: unknown;
    try {
      mnemonic = JSON.parse(new TextDecoder().decode(payload)).mnemonic;
    } catch {
      throw new SeedError(path, "corrupt seed file: version 1.1.0 payload is not JSON");
    }
    if (typeof mnemonic !== "string") {
      throw new SeedError(path, "corrupt seed file: version 1.1.0 without a mnemonic");
    }
    const entropy = mnemonicToEntropy(mnemonic);
    if (entropy.length !== 32) {
      throw new SeedError(path, "seed file: the mnemonic must have 24 words (32 bytes of entropy)");
    }
    return { seed: entropy, legacy: true };
  }
  throw new SeedError(path, `unknown seed file version "${version}"`);
}

export function encodeSeedFile(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new Error("a seed is 32 bytes");
  const out = new Uint8Array(HEADER.length + 32);
  out.set(HEADER);
  out.set(seed, HEADER.length);
  return out;
}

/** Atomic write with mode 0400: temp file, fsync, rename, fsync of the folder. */
export function writeSeedFile(path: string, seed: Uint8Array): void {
  writeFileAtomic(path, encodeSeedFile(seed), { mode: 0o400, mkdirMode: 0o700 });
}

/** Reads the seed at `path`, generating and persisting a new one only if the file does not exist. */
export function loadOrCreateSeed(path: string): { seed: Uint8Array; created: boolean } {
  if (!existsSync(path)) {
    const seed = new Uint8Array(randomBytes(32));
    writeSeedFile(path, seed);
    return { seed, created: true };
  }
  const { seed, legacy } = parseSeedFile(path, new Uint8Array(readFileSync(path)));
  if (legacy) writeSeedFile(path, seed);
  return { seed, created: false };
}
