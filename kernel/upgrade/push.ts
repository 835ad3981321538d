// `zos release push`: a verified release tree onto a hub as an rfs v2 flist — under the channel's name the
// nodes follow (e.g. tf-zos/zos-dev.fl) and, the same bytes, under its version (tf-zos/zos-<version>.fl), as
// the Zero-OS hub keeps one flist per release and a name per run mode. Prints the release's tree sha256
// (release.json's tree_sha256): what nodes pin and the farmer approves when the release widens authority.
import { pushToHub } from "../../grid/hub/push.ts";
import { channelUrl } from "./fetch.ts";
import { verifyRelease } from "./release.ts";

export interface PushReleaseResult {
  version: string;
  channel: string;
  url: string;
  versioned: string;
  md5: string;
  /** the release's tree sha256 (release.json): what nodes pin and what approvals name, whichever hub serves it */
  hash: string;
  files: number;
  bytes: number;
  uploaded: number;
}

/** `readerHubUrl`: the hub as nodes reach it, when that differs from `hubUrl` (grid/hub/push.ts). */
export async function pushRelease(o: { hubUrl: string; dir: string; channel: string; readerHubUrl?: string }): Promise<PushReleaseResult> {
  const r = verifyRelease(o.dir);
  const hub = o.hubUrl.replace(/\/+$/, "");
  const url = channelUrl(hub, o.channel);
  const pushed = await pushToHub({ hubUrl: hub, source: r.dir, name: o.channel, readerHubUrl: o.readerHubUrl });
  const res = await fetch(url);
  if (!res.ok) throw new Error(`the hub does not serve ${url} after publishing it (HTTP ${res.status})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const repo = o.channel.split("/")[0];
  const versioned = `${repo}/zos-${r.info.version}.fl`;
  if (versioned !== o.channel) {
    const put = await fetch(`${hub}/api/flist/${versioned}`, { method: "PUT", body: bytes });
    if (!put.ok) throw new Error(`publishing ${versioned}: hub answered HTTP ${put.status}: ${await put.text()}`);
    await put.body?.cancel().catch(() => {});
  }
  return {
    version: r.info.version, channel: o.channel, url, versioned: `${hub}/${versioned}`, md5: pushed.md5,
    hash: r.info.tree_sha256, files: pushed.files, bytes: pushed.bytes, uploaded: pushed.uploaded,
  };
}
