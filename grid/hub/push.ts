// `zos hub push`: packs a directory into an `.fl` whose route points at the hub's block store, uploads
// the blocks the hub does not have yet, then publishes the `.fl` (the hub checks it and its blocks).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirStore } from "../../capabilities/lib/flist/store.ts";
import { packFlist, type PackResult } from "../../capabilities/lib/flist/pack.ts";
import { packLegacyFlist } from "../../capabilities/lib/flist/legacy/writer.ts";

export interface PushOptions {
  hubUrl: string;
  source: string;
  /** "user/file.fl" */
  name: string;
  /** parallel block uploads (default 8) */
  concurrency?: number;
  /** the hub as the flist's readers reach it, written into the `.fl`'s route (default hubUrl): a node in QEMU
   * reaches the host's hub at another address than the pusher does */
  readerHubUrl?: string;
}

export interface PushResult extends PackResult {
  name: string;
  url: string;
  md5: string;
  uploaded: number;
}

async function check(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  if (!res.ok) {
    const msg = typeof body === "object" && body && "error" in body ? String((body as { error: unknown }).error) : text;
    throw new Error(`${what}: hub answered HTTP ${res.status}: ${msg}`);
  }
  return body;
}

export async function pushToHub(o: PushOptions): Promise<PushResult> {
  const hub = o.hubUrl.replace(/\/+$/, "");
  const [user, file] = o.name.split("/");
  const work = mkdtempSync(join(tmpdir(), "zos-hub-push-"));
  try {
    const store = new DirStore(join(work, "blocks"));
    const fl = join(work, file);
    // a legacy `.flist` carries no routes: readers get its blocks from their configured store (the hub's)
    const packed: PackResult = file.endsWith(".flist")
      ? { ...await packLegacyFlist({ source: o.source, output: fl, store, scratch: work }), uniqueBlocks: 0 }
      : await packFlist({
        source: o.source,
        output: fl,
        store,
        routes: [{ start: 0, end: 255, url: `${(o.readerHubUrl ?? hub).replace(/\/+$/, "")}/blocks` }],
        tags: { author: user, description: `pushed by zos hub push` },
      });
    const blocks: string[] = [];
    for (const d of existsSync(store.root) ? readdirSync(store.root, { withFileTypes: true }) : []) {
      if (d.isDirectory()) for (const f of readdirSync(join(store.root, d.name))) blocks.push(join(d.name, f));
    }
    if (packed.uniqueBlocks === 0) packed.uniqueBlocks = blocks.length;
    let uploaded = 0;
    let next = 0;
    const worker = async () => {
      while (next < blocks.length) {
        const rel = blocks[next++];
        const id = rel.split("/")[1];
        const head = await fetch(`${hub}/blocks/${id.slice(0, 2)}/${id}`, { method: "HEAD" });
        await head.body?.cancel();
        if (head.ok) continue; // the hub has it already (dedup across pushes)
        await check(await fetch(`${hub}/api/v1/block/${id}`, { method: "PUT", body: readFileSync(join(store.root, rel)) }), `uploading block ${id}`);
        uploaded++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 8) }, worker));
    const info = await check(await fetch(`${hub}/api/flist/${user}/${file}`, { method: "PUT", body: readFileSync(fl) }), `publishing ${user}/${file}`) as { md5: string };
    return { ...packed, name: `${user}/${file}`, url: `${hub}/${user}/${file}`, md5: info.md5, uploaded };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
