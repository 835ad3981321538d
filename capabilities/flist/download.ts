// Fetching an flist from a hub as Zero-OS does: GET `<url>.md5` (32 hex), then the flist itself, whose
// md5 must match. Every failure names the URL and what to do about it; nothing is kept on failure.
import { createHash } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";

export class FetchError extends Error {
  override name = "FetchError";
}

async function get(url: string, what: string, limit: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new FetchError(`${what}: cannot reach ${url} (${cause?.code ?? cause?.message ?? (e as Error).message}); is the hub up?`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FetchError(`${what}: ${url} answered HTTP ${res.status}${res.status === 404 ? " (no such flist on the hub)" : ""}`);
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await res.body?.cancel();
    throw new FetchError(`${what}: ${url} is ${declared} bytes, more than the ${limit} allowed`);
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) {
      await reader.cancel();
      throw new FetchError(`${what}: ${url} is more than the ${limit} bytes allowed`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

/** The md5 the hub publishes for `url` (lower-case hex). */
export async function remoteMd5(url: string): Promise<string> {
  const text = new TextDecoder().decode(await get(`${url}.md5`, "flist md5", 4096)).trim().toLowerCase();
  const md5 = text.split(/\s+/)[0];
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new FetchError(`flist md5: ${url}.md5 is not an md5 (got ${JSON.stringify(text.slice(0, 40))})`);
  return md5;
}

/** Downloads `url` to `dest` (atomically) and checks it against `md5`. */
export async function downloadChecked(url: string, md5: string, dest: string, limit: number): Promise<void> {
  const data = await get(url, "flist", limit);
  const got = createHash("md5").update(data).digest("hex");
  if (got !== md5) throw new FetchError(`flist: ${url} has md5 ${got}, the hub's .md5 says ${md5} (corrupt download or tampered flist); nothing was kept`);
  const tmp = `${dest}.${process.pid}.download`;
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: "wx" });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
