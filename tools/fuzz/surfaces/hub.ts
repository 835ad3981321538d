// The dev grid's flist hub (grid/hub, what `zos hub push` and nodes talk to) over HTTP on loopback: flist files
// (mutated copies of a real pushed .fl: the SQLite file the hub must read safely before publishing it), block
// uploads whose hash does not match, and random methods and paths (traversal, encodings, unicode, huge names).
// A refused upload publishes nothing and stores no block; the hub keeps serving the real flist.
import { mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../test-tmp.ts";
import { type RunningHub, pushToHub, startHub } from "../../../grid/hub/mod.ts";
import type { Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

/** "relative/path:size" of every file under `root`. */
function files(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(root, p));
    else out.push(`${p.slice(root.length + 1)}:${statSync(p).size}`);
  }
  return out.sort();
}

function path(rng: Rng): string {
  const seg = () => rng.pick(["api", "flist", "v1", "block", "blocks", "tester", "root.fl", "root.fl.md5", "light", "..", "%2e%2e", "%2F", "repositories", "", "ab".repeat(32), rng.text(12)]);
  return "/" + Array.from({ length: 1 + rng.int(5) }, seg).join("/");
}

export const hubSurface: Surface = {
  name: "hub-http",
  what: "flist files (mutated real .fl), bad block uploads and random requests to the flist hub over HTTP",
  async start(): Promise<Target> {
    const dir = tempDir("zt-tests-fuzz-hub-");
    const src = join(dir, "src");
    mkdirSync(join(src, "etc"), { recursive: true });
    writeFileSync(join(src, "etc", "hostname"), "zt-fuzz\n");
    writeFileSync(join(src, "big"), new Uint8Array(300_000).map((_, i) => i * 7));
    symlinkSync("etc/hostname", join(src, "link"));
    const hub: RunningHub = await startHub({ dir: join(dir, "hub"), log: () => {} });
    await pushToHub({ hubUrl: hub.url, source: src, name: "tester/root.fl" });
    const fl = new Uint8Array(await (await fetch(`${hub.url}/tester/root.fl`)).arrayBuffer());
    const accepted = new Set<string>();
    const send = async (method: string, p: string, body?: Uint8Array): Promise<Verdict> => {
      let res: Response;
      try {
        res = await fetch(`${hub.url}${p}`, { method, body: body as Uint8Array<ArrayBuffer> | undefined });
      } catch (e) {
        // the HTTP client itself refuses to send it (e.g. a 70 KB path): nothing reached the hub
        if (e instanceof TypeError && /Invalid URL/.test(e.message)) return { refused: `not sendable: ${e.message.slice(0, 80)}` };
        throw e;
      }
      const text = await res.text();
      if (res.status >= 500) throw new Error(`${method} ${p}: HTTP ${res.status}: ${text.slice(0, 300)}`);
      if (res.status < 300) return { accepted: true };
      return { refused: `${res.status} ${text.slice(0, 300)}` };
    };
    return {
      async feed(rng, i): Promise<Verdict> {
        const r = rng.int(10);
        if (r < 4) {
          const name = `fz/f${i}.fl`;
          const v = await send("PUT", `/api/flist/${name}`, rng.mutate(fl));
          if ("accepted" in v) accepted.add(name);
          return v;
        }
        if (r < 6) return send("PUT", `/api/v1/block/${rng.chance(0.8) ? [...rng.bytes(32)].map((b) => b.toString(16).padStart(2, "0")).join("") : rng.text(70)}`, rng.bytes(rng.int(2000)));
        const method = rng.pick(["GET", "GET", "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"]);
        let p = path(rng);
        try {
          new URL(`${hub.url}${p}`);
        } catch {
          p = encodeURI(p.toWellFormed());
        }
        return send(method, p, method === "PUT" || method === "POST" ? rng.bytes(rng.int(500)) : undefined);
      },
      state: () => {
        const published = Object.fromEntries(Object.entries(hub.flists()).filter(([k]) => !accepted.has(k)));
        // an upload that reads cleanly and lists only stored blocks is a valid flist: published, and left out here
        const stored = files(join(dir, "hub")).filter((f) => !accepted.has(f.slice("flists/".length, f.lastIndexOf(":"))));
        return Promise.resolve(JSON.stringify({ published, stored }));
      },
      async alive() {
        const r = await fetch(`${hub.url}/tester/root.fl`);
        const got = new Uint8Array(await r.arrayBuffer());
        if (r.status !== 200 || got.length !== fl.length || got.some((b, k) => b !== fl[k])) throw new Error(`the real flist is not served as pushed (HTTP ${r.status})`);
      },
      stop: () => hub.stop(),
    };
  },
};
