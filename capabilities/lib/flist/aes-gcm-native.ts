// AES-256-GCM through the host's libcrypto (OpenSSL's EVP interface: AES-NI and carry-less multiply) via
// Deno's FFI. Deno's own AES-GCM (WebCrypto and node:crypto alike) ran at ≈ 25–110 MB/s here, 10–15× below
// libcrypto on the same CPU, and was most of the time of materialising a flist (docs/PERFORMANCE.md, flist).
// Optional: without Deno's FFI, without the permission for this file (a process whose manifest does not
// grant it), or without libcrypto, `nativeAesGcm()` is null and callers keep using WebCrypto/node:crypto.
import { existsSync } from "node:fs";

/** Where libcrypto 3 is on Debian-like systems (the first that exists is opened). */
export const LIBCRYPTO = ["/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/lib64/libcrypto.so.3"];

const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
const TAG = 16;

export interface AesGcm {
  /** ciphertext ‖ 16-byte tag; `iv` is 12 bytes */
  encrypt(key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array;
  /** the plaintext, or null when the tag does not authenticate (wrong key or tampered data) */
  decrypt(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

type Fn = (...args: unknown[]) => unknown;
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, Fn> };
}

let cached: AesGcm | null | undefined;

/** libcrypto's AES-256-GCM, or null when it cannot be used in this process (then use WebCrypto). */
export function nativeAesGcm(): AesGcm | null {
  if (cached === undefined) cached = open();
  return cached;
}

/** Benchmarks: `false` makes nativeAesGcm() null (Deno's own AES-GCM, the path before), `true` back to libcrypto. */
export function setNativeAesGcm(on: boolean): void {
  cached = on ? open() : null;
}

function open(): AesGcm | null {
  const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
  if (!deno?.dlopen) return null;
  const path = LIBCRYPTO.find((p) => {
    try {
      return existsSync(p);
    } catch {
      return false; // not readable in this sandbox: not this one
    }
  });
  if (!path) return null;
  let s: Record<string, Fn>;
  try {
    s = deno.dlopen(path, {
      EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
      EVP_aes_256_gcm: { parameters: [], result: "pointer" },
      EVP_EncryptInit_ex: { parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"], result: "i32" },
      EVP_EncryptUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
      EVP_EncryptFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
      EVP_DecryptInit_ex: { parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"], result: "i32" },
      EVP_DecryptUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
      EVP_DecryptFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
      EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
    }).symbols;
  } catch {
    return null; // no --allow-ffi for libcrypto in this process
  }
  const cipher = s.EVP_aes_256_gcm();
  // one context for the process, re-initialised per call (calls are synchronous: never two at once)
  const ctx = s.EVP_CIPHER_CTX_new();
  if (!cipher || !ctx) return null;
  const outl = new Int32Array(1);
  const outlBytes = new Uint8Array(outl.buffer);
  const checkArgs = (key: Uint8Array, iv: Uint8Array) => {
    if (key.length !== 32 || iv.length !== 12) throw new Error("AES-256-GCM needs a 32-byte key and a 12-byte IV");
  };
  const fail = (call: string): never => {
    throw new Error(`libcrypto: ${call} failed`);
  };
  return {
    encrypt(key, iv, plain) {
      checkArgs(key, iv);
      const out = new Uint8Array(plain.length + TAG);
      if (s.EVP_EncryptInit_ex(ctx, cipher, null, key, iv) !== 1) fail("EVP_EncryptInit_ex");
      outl[0] = 0;
      if (plain.length > 0 && s.EVP_EncryptUpdate(ctx, out, outlBytes, plain, plain.length) !== 1) fail("EVP_EncryptUpdate");
      const n = outl[0];
      if (s.EVP_EncryptFinal_ex(ctx, out.subarray(n), outlBytes) !== 1) fail("EVP_EncryptFinal_ex");
      const tag = new Uint8Array(TAG);
      if (s.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, tag) !== 1) fail("EVP_CTRL_GCM_GET_TAG");
      out.set(tag, plain.length);
      return out;
    },
    decrypt(key, iv, sealed) {
      checkArgs(key, iv);
      if (sealed.length < TAG) return null;
      const body = sealed.subarray(0, sealed.length - TAG);
      const out = new Uint8Array(body.length);
      if (s.EVP_DecryptInit_ex(ctx, cipher, null, key, iv) !== 1) fail("EVP_DecryptInit_ex");
      outl[0] = 0;
      if (body.length > 0 && s.EVP_DecryptUpdate(ctx, out, outlBytes, body, body.length) !== 1) fail("EVP_DecryptUpdate");
      const n = outl[0];
      // the tag is copied: libcrypto reads it from this buffer during the call only
      if (s.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, sealed.slice(sealed.length - TAG)) !== 1) fail("EVP_CTRL_GCM_SET_TAG");
      // 1 = the tag authenticates everything decrypted; 0 = it does not: nothing of `out` may be used
      if (s.EVP_DecryptFinal_ex(ctx, out.subarray(n), outlBytes) !== 1) return null;
      return out;
    },
  };
}
