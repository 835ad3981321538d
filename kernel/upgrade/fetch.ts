// Getting a release from the hub as Zero-OS gets its upgrade flist: `<hub>/<repo>/<name>.md5` says which
// flist the channel names now; the flist itself is downloaded and checked against that md5, pinned by its
// sha256 (md5 is a change check, not a security hash), and materialised with every block checked against
// its BLAKE2b id, from block stores on the same hub only. The tree is then verified (release.ts).
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { downloadChecked, remoteMd5 } from "../../capabilities/flist/download.ts";
import { materialise, openFlist, RoutedStore } from "../../capabilities/lib/flist/mod.ts";
import { ReleaseError, verifyRelease, type VerifiedRelease } from "./release.ts";

/** A release flist larger than this is refused (the node's whole code is a few MB). */
export const MAX_RELEASE_FLIST = 32 << 20;

export interface ChannelHead {
  url: string;
  md5: string;
}

/** `<hub>/<name>` of a channel name such as `tf-zos/zos-dev.fl`. */
export function channelUrl(hubUrl: string, channel: string): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\.fl$/.test(channel)) {
    throw new ReleaseError(`channel "${channel}" must be <repo>/<name>.fl on the hub, e.g. tf-zos/zos-dev.fl`);
  }
  return `${hubUrl.replace(/\/+$/, "")}/${channel}`;
}

export async function channelHead(hubUrl: string, channel: string): Promise<ChannelHead> {
  const url = channelUrl(hubUrl, channel);
  return { url, md5: await remoteMd5(url) };
}

/** Downloads the flist into `downloads/` and returns its path and sha256. */
export async function downloadRelease(head: ChannelHead, upgradeDir: string): Promise<{ file: string; hash: string }> {
  const file = join(upgradeDir, "downloads", `${head.md5}.fl`);
  if (!existsSync(file)) await downloadChecked(head.url, head.md5, file, MAX_RELEASE_FLIST);
  const hash = createHash("sha256").update(readFileSync(file)).digest("hex");
  return { file, hash };
}

/** Everything readable by every process's uid, nothing writable but by root (the kernel). */
function publish(dir: string): void {
  const walk = (d: string) => {
    chmodSync(d, 0o755);
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) chmodSync(p, 0o644);
    }
  };
  walk(dir);
}

/**
 * The verified tree of the release in `file` (sha256 `hash`) under `releases/<hash>`, materialised once.
 * Its blocks must come from `hubUrl`'s origin; a tree that fails verification is removed.
 */
export async function installRelease(file: string, hash: string, hubUrl: string, upgradeDir: string): Promise<VerifiedRelease> {
  const target = join(upgradeDir, "releases", hash);
  if (!existsSync(target)) {
    const scratch = join(upgradeDir, "downloads", `${hash}.scratch`);
    rmSync(scratch, { recursive: true, force: true });
    const flist = openFlist(file, scratch);
    try {
      if (flist.format !== "fl") throw new ReleaseError(`release flist ${hash}: a release is an rfs v2 .fl flist`);
      const origin = new URL(hubUrl).origin;
      const foreign = flist.routes.filter((r) => new URL(r.url).origin !== origin);
      if (!flist.routes.length || foreign.length) {
        throw new ReleaseError(`release flist ${hash}: its blocks must come from the hub ${origin} (routes: ${flist.routes.map((r) => r.url).join(", ") || "none"})`);
      }
      const staging = `${target}.partial`;
      rmSync(staging, { recursive: true, force: true });
      await materialise({ flist, store: new RoutedStore(flist.routes), target: staging, preserveOwner: false, stripSetId: true });
      publish(staging);
      try {
        verifyRelease(staging);
      } catch (e) {
        rmSync(staging, { recursive: true, force: true });
        throw e;
      }
      renameSync(staging, target);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return verifyRelease(target);
}
