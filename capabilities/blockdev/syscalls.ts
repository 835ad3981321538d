// System calls the block-device driver makes itself through Deno's FFI (libc only, as its manifest grants):
// - mount(2), umount2(2), chown(2) of a pool root: util-linux mount(8) refuses any caller whose uid is not 0
//   ("must be superuser"), and the driver runs under its own uid with CAP_SYS_ADMIN and CAP_CHOWN;
// - the two btrfs ioctls a volume is made of (BTRFS_IOC_SUBVOL_CREATE, BTRFS_IOC_QGROUP_LIMIT): the same
//   calls `btrfs subvolume create` and `btrfs qgroup limit` make, without starting two processes per volume;
//   then syncfs(2), so the volume is durable before it is reported made;
// - open/pread/posix_fadvise on a data disk for the seek-time probe (seektime.ts); the disk is opened by the
//   uid's `disk` group membership, never through a path a caller sent;
// - a zmount's NOCOW preallocated file: FS_IOC_GETFLAGS/FS_IOC_SETFLAGS (FS_NOCOW_FL, as `chattr +C`) and
//   fallocate(2) (as `fallocate -l`) on one descriptor, without starting two processes per disk.
// Errors carry the errno name.

interface FfiLib {
  symbols: Record<string, (...args: unknown[]) => unknown>;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): FfiLib;
  UnsafePointerView: new (p: unknown) => { getInt32(off?: number): number };
}

export const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"; // absolute: Deno resolves a bare name from the cwd
const MS_NOSUID = 2, MS_NODEV = 4;
const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
const POSIX_FADV_DONTNEED = 4;
const SEEK_END = 2;
// _IOW(0x94, 14, struct btrfs_ioctl_vol_args /* 4096 */), _IOR(0x94, 43, struct btrfs_ioctl_qgroup_limit_args /* 48 */)
const BTRFS_IOC_SUBVOL_CREATE = 0x5000940en;
const BTRFS_IOC_QGROUP_LIMIT = 0x8030942bn;
const BTRFS_IOC_SNAP_DESTROY = 0x5000940fn; // _IOW(0x94, 15, struct btrfs_ioctl_vol_args)
const BTRFS_QGROUP_LIMIT_MAX_RFER = 1n;
// _IOR('f', 1, long), _IOW('f', 2, long): the kernel reads and writes an int through them (as chattr does)
const FS_IOC_GETFLAGS = 0x80086601n;
const FS_IOC_SETFLAGS = 0x40086602n;
const FS_NOCOW_FL = 0x00800000;
export const ENOSPC = 28;
const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 5: "EIO", 9: "EBADF", 13: "EACCES", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 20: "ENOTDIR",
  22: "EINVAL", 25: "ENOTTY", 28: "ENOSPC", 30: "EROFS", 36: "ENAMETOOLONG", 122: "EDQUOT",
};
const cstr = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

type Libc = { s: FfiLib["symbols"]; errno: () => number };
let lib: Libc | null = null;
function libc(): Libc {
  if (lib) return lib;
  const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
  if (!deno?.dlopen) throw new Error("failed: blockdev: system calls need Deno's FFI (the driver runs under Deno)");
  const l = deno.dlopen(LIBC, {
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    chown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
    chmod: { parameters: ["buffer", "u32"], result: "i32" },
    open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
    pread: { parameters: ["i32", "buffer", "u64", "i64"], result: "i64" },
    posix_fadvise: { parameters: ["i32", "i64", "i64", "i32"], result: "i32" },
    lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
    fallocate: { parameters: ["i32", "i32", "i64", "i64"], result: "i32" },
    syncfs: { parameters: ["i32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  lib = { s: l.symbols, errno: () => new deno.UnsafePointerView(l.symbols.__errno_location()).getInt32() };
  return lib;
}

/** A failed system call; `errno` lets a caller tell "no space" from the rest. */
export class SyscallError extends Error {
  readonly errno: number;
  constructor(what: string, errno: number) {
    super(`failed: blockdev: ${what}: ${ERRNO[errno] ?? `errno ${errno}`}`);
    this.errno = errno;
  }
}

function fail(what: string, e = libc().errno()): never {
  throw new SyscallError(what, e);
}

function check(what: string, r: unknown): void {
  if (Number(r) !== 0) fail(what);
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

/** chmod(2) through libc: Deno's chmod would need write permission on paths the driver only manages. */
export function chmod(path: string, mode: number): void {
  check(`chmod ${path}`, libc().s.chmod(cstr(path), mode));
}

function openFd(path: string, flags: number, what: string, mode = 0): number {
  const fd = Number(libc().s.open(cstr(path), flags | O_CLOEXEC, mode));
  if (fd < 0) fail(`${what}: open ${path}`);
  return fd;
}

function withDir<T>(dir: string, what: string, fn: (fd: number) => T): T {
  const fd = openFd(dir, O_RDONLY | O_DIRECTORY, what);
  try {
    return fn(fd);
  } finally {
    libc().s.close(fd);
  }
}

function volArgs(name: string, what: string): Uint8Array {
  const args = new Uint8Array(4096); // struct btrfs_ioctl_vol_args { __s64 fd; char name[4088]; }
  const bytes = new TextEncoder().encode(name);
  if (bytes.length > 4087) fail(what, 36);
  args.set(bytes, 8);
  return args;
}

/** `btrfs subvolume create PARENT/NAME`: one ioctl on the parent folder (NAME is a checked plain name). */
export function subvolumeCreate(parent: string, name: string): void {
  const what = `subvolume create ${name}`;
  withDir(parent, what, (fd) => check(what, libc().s.ioctl(fd, BTRFS_IOC_SUBVOL_CREATE, volArgs(name, what))));
}

/**
 * syncfs(2) on the filesystem holding `dir` (btrfs: a transaction commit, as `btrfs filesystem sync`): what a
 * volume is made of (the subvolume, its qgroup limit, its owner) reaches the disk before the caller is told ok.
 * Without it a power cut seconds after a zdb volume was made brought it back without its limit or its owner.
 */
export function syncFilesystem(dir: string): void {
  withDir(dir, `sync ${dir}`, (fd) => check(`sync ${dir}`, libc().s.syncfs(fd)));
}

/**
 * `btrfs subvolume delete PARENT/NAME`: one ioctl on the parent folder. It never opens the subvolume itself,
 * so a volume handed to another driver (mode 0700, not ours) is deleted too (CAP_SYS_ADMIN).
 */
export function subvolumeDelete(parent: string, name: string): void {
  const what = `subvolume delete ${name}`;
  withDir(parent, what, (fd) => check(what, libc().s.ioctl(fd, BTRFS_IOC_SNAP_DESTROY, volArgs(name, what))));
}

/**
 * `btrfs qgroup limit SIZE|none SUBVOLUME`: the limit on referenced bytes of a subvolume's qgroup — the
 * qgroup of the subvolume `dir` is in, or with `subvolId` that subvolume's (then `dir` is any folder of the pool).
 */
export function qgroupLimit(dir: string, limit: number, subvolId = 0): void {
  const subvolume = dir;
  // struct btrfs_ioctl_qgroup_limit_args { __u64 qgroupid; struct btrfs_qgroup_limit { flags, max_rfer, max_excl, rsv_rfer, rsv_excl } }
  const args = new BigUint64Array(6);
  args[0] = BigInt(subvolId); // level-0 qgroup id = subvolume id; 0 = the subvolume the fd is in
  args[1] = BTRFS_QGROUP_LIMIT_MAX_RFER;
  args[2] = limit > 0 ? BigInt(limit) : 0xffffffffffffffffn; // (u64)-1 clears the limit, as btrfs-progs "none"
  const buf = new Uint8Array(args.buffer);
  withDir(subvolume, `qgroup limit ${subvolume}`, (fd) => check(`qgroup limit ${subvolume}`, libc().s.ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, buf)));
}

/**
 * A NOCOW preallocated file, as `touch F; chattr +C F; fallocate -l SIZE F`: created (mode 0600) when absent;
 * NOCOW set while the file is empty (btrfs only takes it then; a non-empty file keeps what it has); then
 * space for `size` bytes allocated (mode 0: the size grows, never shrinks). ENOSPC surfaces as a SyscallError.
 */
export function nocowAllocate(path: string, size: number): void {
  const { s } = libc();
  const fd = openFd(path, O_WRONLY | O_CREAT, "zmount file", 0o600);
  try {
    const end = Number(s.lseek(fd, 0n, SEEK_END)); // the current size, without a stat buffer's layout
    if (end < 0) fail(`zmount file: size of ${path}`);
    if (end === 0) {
      const flags = new Int32Array(2);
      check(`chattr +C ${path}`, s.ioctl(fd, FS_IOC_GETFLAGS, new Uint8Array(flags.buffer)));
      if (!(flags[0] & FS_NOCOW_FL)) {
        flags[0] |= FS_NOCOW_FL;
        check(`chattr +C ${path}`, s.ioctl(fd, FS_IOC_SETFLAGS, new Uint8Array(flags.buffer)));
      }
    }
    if (size > end) check(`fallocate ${path} to ${size} bytes`, s.fallocate(fd, 0, 0n, BigInt(size)));
  } finally {
    s.close(fd);
  }
}

/** Timed 512-byte reads at the given offsets of a device, after dropping its cached pages (seektime's probe). */
export function timedReads(device: string, offsets: number[]): number[] {
  const { s } = libc();
  const fd = openFd(device, O_RDONLY, "seek-time probe");
  try {
    s.posix_fadvise(fd, 0n, 0n, POSIX_FADV_DONTNEED);
    const buf = new Uint8Array(512);
    const out: number[] = [];
    for (const off of offsets) {
      const t0 = performance.now();
      const n = Number(s.pread(fd, buf, 512n, BigInt(off)));
      const dt = performance.now() - t0;
      if (n < 0) fail(`seek-time probe: read ${device} at ${off}`);
      out.push(dt);
    }
    return out;
  } finally {
    s.close(fd);
  }
}
