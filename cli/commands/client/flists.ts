// Deployment files may name a flist of the dev hub by its name there ("zos/debian-guest.fl", a key of
// endpoints.json `flists`) instead of its URL, so examples deploy as they are on any dev grid; the client
// writes the URL in before the deployment is hashed and signed. Anything else must already be a URL.
export function resolveFlists(text: string, flists: Record<string, string>): string {
  let raw: { workloads?: { type?: unknown; data?: { flist?: unknown } }[] };
  try {
    raw = JSON.parse(text);
  } catch {
    return text; // the deploy step reports bad JSON
  }
  let changed = false;
  for (const w of raw?.workloads ?? []) {
    if ((w.type !== "zmachine" && w.type !== "zmachine-light") || typeof w.data?.flist !== "string") continue;
    const f = w.data.flist;
    if (/^https?:\/\//.test(f)) continue;
    const url = flists[f];
    if (!url) {
      const known = Object.keys(flists);
      throw new Error(`flist "${f}" is neither a URL nor a flist of the dev hub (${known.length ? `it has ${known.join(", ")}` : "it has none; push one with `npx zos hub push DIR NAME`"})`);
    }
    w.data.flist = url;
    changed = true;
  }
  return changed ? JSON.stringify(raw) : text;
}
