// Where the hypervisor's QEMU comes from. On a host: a binary path (`/usr/bin/qemu-system-x86_64`). On the
// netboot image, as Zero-OS does with its "zos packages": QEMU is not in the image but an extension flist
// on the hub (rootfs/extensions/qemu.ts builds it from the Debian packages), fetched through the flist
// driver and run read-only from its root. The image pins the extension by the sha256 of its tree
// (capabilities/lib/flist/tree-digest.ts), so a hub can neither swap nor alter it: a root with another
// digest is released and no QEMU runs. `${qemu}` in the manifest is either form:
//   /usr/bin/qemu-system-x86_64                                   a binary on the host
//   http(s)://hub/extensions/qemu.fl#tree-sha256=<64 hex>         the pinned extension
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { treeDigest } from "../lib/flist/tree-digest.ts";

/** The extension's layout: its own loader and libraries, so it runs on an image that has neither. */
export const QEMU_LAYOUT = {
  loader: "lib64/ld-linux-x86-64.so.2",
  libs: "lib/x86_64-linux-gnu",
  /** QEMU's accelerator modules; QEMU finds them relative to the loader it runs under (exec dir/../lib/…/qemu) */
  modules: "lib/x86_64-linux-gnu/qemu",
  binary: "usr/bin/qemu-system-x86_64",
  /** firmware (SeaBIOS, PVH and linuxboot option ROMs, virtio-net's ROM), given to QEMU with -L */
  data: "usr/share/qemu",
} as const;

export type QemuSource = { kind: "path"; path: string } | { kind: "flist"; url: string; treeSha256: string };

export function parseQemuSource(arg: string): QemuSource {
  if (isAbsolute(arg) && !arg.includes("#")) return { kind: "path", path: arg };
  const m = /^(https?:\/\/[^#\s]+\.fl)#tree-sha256=([0-9a-f]{64})$/.exec(arg);
  if (!m) {
    throw new Error(
      `invalid: qemu: ${JSON.stringify(arg)} is neither an absolute path to QEMU nor an extension flist pinned as <http(s) URL of an .fl>#tree-sha256=<64 hex>`,
    );
  }
  return { kind: "flist", url: m[1], treeSha256: m[2] };
}

/** The command that runs the extension's QEMU from its root: its loader with its libraries, its firmware. */
export function extensionCommand(root: string): string[] {
  return [
    join(root, QEMU_LAYOUT.loader), "--library-path", join(root, QEMU_LAYOUT.libs),
    join(root, QEMU_LAYOUT.binary), "-L", join(root, QEMU_LAYOUT.data),
  ];
}

export interface ExtensionFlist {
  prepare(url: string): Promise<{ hash: string; root: string }>;
  release(hash: string): Promise<void>;
}

/**
 * The QEMU command for a source: a path as it is; an extension prepared once through the flist capability
 * and checked against its pin (a mismatch releases the root and fails every start with the reason, until
 * the driver restarts). `command()` may be called early (at driver start) to fetch before the first VM.
 */
export class QemuProvider {
  readonly source: QemuSource;
  readonly #flist: ExtensionFlist | null;
  #pending: Promise<string[]> | null = null;

  constructor(source: QemuSource, flist: ExtensionFlist | null) {
    this.source = source;
    this.#flist = flist;
  }

  command(): Promise<string[]> {
    const s = this.source;
    if (s.kind === "path") return Promise.resolve([s.path]);
    this.#pending ??= this.#prepare(s).catch((e) => {
      const msg = (e as Error).message;
      // a hub that is not reachable yet is retried at the next start; a wrong digest never is
      if (!/does not match its pin/.test(msg)) this.#pending = null;
      throw e;
    });
    return this.#pending;
  }

  async #prepare(s: { url: string; treeSha256: string }): Promise<string[]> {
    if (!this.#flist) throw new Error(`failed: qemu: the extension ${s.url} needs a flist grant, and this hypervisor has none`);
    const info = await this.#flist.prepare(s.url);
    const digest = treeDigest(info.root);
    if (digest !== s.treeSha256) {
      await this.#flist.release(info.hash).catch(() => {});
      throw new Error(
        `failed: qemu: the extension ${s.url} (flist ${info.hash}) has tree sha256 ${digest}, which does not match its pin ${s.treeSha256}; no QEMU from it will run (the image pins the extension it was built with: publish that one on the hub)`,
      );
    }
    const argv = extensionCommand(info.root);
    for (const p of [argv[0], argv[3]]) if (!existsSync(p)) throw new Error(`failed: qemu: the extension ${s.url} has no ${p.slice(info.root.length + 1)}`);
    return argv;
  }
}
