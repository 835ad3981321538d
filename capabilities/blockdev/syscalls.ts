// mount(2), umount2(2) and chown(2) of a pool root through Deno's FFI. util-linux mount(8) refuses any caller
// whose uid is not 0 ("must be superuser"), and the driver runs under its own uid with CAP_SYS_ADMIN (mount)
// and CAP_CHOWN (a fresh pool's root belongs to root; the driver takes it over once) — so it calls libc itself.
// Errors carry the errno name. The manifest grants FFI to libc only.

interface FfiLib {
  symbols: Record<string, (...args: unknown[]) => unknown>;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): FfiLib;
  UnsafePointerView: new (p: unknown) => { getInt32(off?: number): number };
}

export const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"; // absolute: Deno resolves a bare name from the cwd
const MS_NOSUID = 2, MS_NODEV = 4;
const ERRNO: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 13: "EACCES", 16: "EBUSY", 19: "ENODEV", 20: "ENOTDIR", 22: "EINVAL" };
const cstr = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

let lib: { s: FfiLib["symbols"]; errno: () => number } | null = null;
function libc(): { s: FfiLib["symbols"]; errno: () => number } {
  if (lib) return lib;
  const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
  if (!deno?.dlopen) throw new Error("failed: blockdev: mounting needs Deno's FFI (the driver runs under Deno)");
  const l = deno.dlopen(LIBC, {
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    chown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  lib = { s: l.symbols, errno: () => new deno.UnsafePointerView(l.symbols.__errno_location()).getInt32() };
  return lib;
}

function check(what: string, r: unknown): void {
  if (Number(r) === 0) return;
  const e = libc().errno();
  throw new Error(`failed: blockdev: ${what}: ${ERRNO[e] ?? `errno ${e}`}`);
}

/** mount -t btrfs -o nodev,nosuid DEVICE TARGET */
export function mountBtrfs(device: string, target: string): void {
  const { s } = libc();
  check(`mount ${device} on ${target}`, s.mount(cstr(device), cstr(target), cstr("btrfs"), BigInt(MS_NODEV | MS_NOSUID), null));
}

export function unmount(target: string): void {
  check(`umount ${target}`, libc().s.umount2(cstr(target), 0));
}

export function chown(path: string, uid: number, gid: number): void {
  check(`chown ${path}`, libc().s.chown(cstr(path), uid, gid));
}
