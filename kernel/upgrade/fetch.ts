// Getting a release from the hub as Zero-OS gets its upgrade flist, without the kernel touching the network or
// an flist itself: the flist driver does both, through a reference the kernel holds narrowed to the hub
// (Kernel.kernelGrant: "flist" with {"hubs": [the hub]}). The driver answers the channel's `.md5` (the change
// check), downloads the flist, checks its md5, materialises it with every block checked against its id and
// fetched from that hub only. The kernel then copies the materialised tree into its own folder (files and
// folders only, nothing followed) and verifies the copy against the digest its release.json pins
// (release.ts) — the tree digest is the release's identity — before anything in it is trusted.
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ReleaseError, verifyRelease, type VerifiedRelease } from "./release.ts";

/** A release tree larger than this is refused (the node's whole code is a few MB). */
export const MAX_RELEASE_BYTES = 64 << 20;
export const MAX_RELEASE_FILES = 20_000;

/** What the agent needs of the Flist capability (capabilities/flist/client.ts has this shape). */
export interface ReleaseFlist {
  md5(url: string): Promise<string>;
  prepare(url: string): Promise<{ hash: string; root: string; format: "fl" | "flist" }>;
  release(hash: string): Promise<void>;
}

/** `<hub>/<name>` of a channel name such as `tf-zos/zos-dev.fl`. */
export function channelUrl(hubUrl: string, channel: string): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\.fl$/.test(channel)) {
    throw new ReleaseError(`channel "${channel}" must be <repo>/<name>.fl on the hub, e.g. tf-zos/zos-dev.fl`);
  }
  return `${hubUrl.replace(/\/+$/, "")}/${channel}`;
}

/** host:port of the hub, as the flist driver's `hubs` restriction names it. */
export function hubHostPort(hubUrl: string): string {
  const u = new URL(hubUrl);
  return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
}

/**
 * Copies the driver's tree into `to`, owned by the kernel: folders 0755, files 0644 (0755 when
 * owner-executable, so the tree digest is kept), readable by every process's uid, writable by none.
 * Anything but files and folders (a symlink the driver made, a device) is refused, never followed.
 */
export function copyReleaseTree(from: string, to: string): void {
  let bytes = 0;
  let files = 0;
  const walk = (src: string, dst: string, rel: string) => {
    mkdirSync(dst, { mode: 0o755 });
    chmodSync(dst, 0o755);
    for (const name of readdirSync(src).sort()) {
      const s = join(src, name);
      const d = join(dst, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(s);
      if (st.isDirectory()) walk(s, d, r);
      else if (st.isFile()) {
        bytes += st.size;
        if (++files > MAX_RELEASE_FILES || bytes > MAX_RELEASE_BYTES) {
          throw new ReleaseError(`release tree: more than ${MAX_RELEASE_FILES} files or ${MAX_RELEASE_BYTES} bytes (the node's whole code is a few MB)`);
        }
        copyFileSync(s, d);
        chmodSync(d, st.mode & 0o100 ? 0o755 : 0o644);
      } else throw new ReleaseError(`release tree: ${r} is not a regular file (a release holds only files and folders)`);
    }
  };
  walk(from, to, "");
}

export interface InstalledRelease {
  release: VerifiedRelease;
  /** the release's tree digest (release.json tree_sha256): its identity */
  hash: string;
  /** the md5 of the flist the driver prepared (the hub's change check) */
  md5: string;
}

/**
 * The verified tree of the release flist at `url` under `releases/<tree sha256>`, copied once. The driver's
 * root is given back at once; a tree that fails verification is removed.
 */
export async function installRelease(flist: ReleaseFlist, url: string, upgradeDir: string): Promise<InstalledRelease> {
  const root = await flist.prepare(url);
  const staging = join(upgradeDir, "downloads", `${root.hash}.partial`);
  rmSync(staging, { recursive: true, force: true });
  try {
    if (root.format !== "fl") throw new ReleaseError(`release flist ${url}: a release is an rfs v2 .fl flist`);
    copyReleaseTree(root.root, staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    await flist.release(root.hash).catch(() => {});
  }
  let hash: string;
  try {
    hash = verifyRelease(staging).info.tree_sha256;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const target = join(upgradeDir, "releases", hash);
  let kept = false;
  if (existsSync(target)) {
    try {
      verifyRelease(target, hash);
      kept = true;
    } catch {
      rmSync(target, { recursive: true, force: true }); // a damaged copy of the same release: the new one replaces it
    }
  }
  if (kept) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, target);
  return { release: verifyRelease(target, hash), hash, md5: root.hash };
}
