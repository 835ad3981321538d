// The dev grid's flist hub: the Zero-OS hub HTTP API clients use, on loopback, over a folder.
//   GET  /api/flist                         ["user/file", …]
//   GET  /api/repositories                  [{name, official}]
//   GET  /api/flist/<user>                  [{name, size: "x KB", updated, type: "regular"}]
//   GET  /api/flist/<user>/<file>           the contents listing {regular, directory, symlink, special, failure, content:[{path,size}]}
//   GET  /api/flist/<user>/<file>/light     {name, size, updated, type, md5}
//   GET  /<user>/<file>  and  …/<file>.md5  the flist itself and its md5 (32 hex + "\n"), as zos downloads them
//   GET  /api/v1/block/<hex>, /blocks/<hex[0:2]>/<hex>   block bytes (rfs `server://` and `http://` store layouts)
//   PUT  /api/v1/block/<hex>                store a block; refused unless BLAKE2b-256(body) = hex
//   PUT  /api/flist/<user>/<file>           publish an .fl; refused unless it reads cleanly and every block it lists is stored
// Writes are for `zos hub push`; like every dev grid service the hub listens on loopback only.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { blake2b256, hex } from "../../capabilities/lib/flist/block.ts";
import { blake2b128 } from "../../capabilities/lib/flist/legacy/block.ts";
import { openFlist } from "../../capabilities/lib/flist/open.ts";
import { DirStore } from "../../capabilities/lib/flist/store.ts";
import { listen, loopbackOnly } from "../indexer/mod.ts";

export interface HubOptions {
  /** flists under <dir>/flists/<user>/<file>, blocks under <dir>/blocks */
  dir: string;
  host?: string;
  port?: number;
  /** largest upload accepted (default 64 MiB; blocks are ≤ 512 KiB plus overhead) */
  maxUploadBytes?: number;
  log?: (line: string) => void;
}

export interface RunningHub {
  url: string;
  /** the store URL written into pushed flists' routes */
  storeUrl: string;
  /** "user/file" → download URL of every flist on the hub */
  flists(): Record<string, string>;
  stop(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const FILE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\.(fl|flist)$/;
// 64 hex: rfs v2 block ids (BLAKE2b-256); 32 hex: legacy 0-fs block hashes (BLAKE2b-128)
const HEX = /^([0-9a-f]{32}|[0-9a-f]{64})$/;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        fail(new HttpError(413, `body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on("end", () => ok(Buffer.concat(parts)));
    req.on("error", fail);
  });
}

function requestUrl(raw: string): URL {
  try {
    // "//x" would be read as a host: the request target of an origin-form request is always a path
    return new URL(raw.replace(/^\/+/, "/"), "http://hub");
  } catch {
    throw new HttpError(400, `the request path ${JSON.stringify(raw.slice(0, 100))} is not a valid URL path`);
  }
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new HttpError(400, `the path segment ${JSON.stringify(seg.slice(0, 100))} has a broken %-escape`);
  }
}

export async function startHub(o: HubOptions): Promise<RunningHub> {
  const host = o.host ?? "127.0.0.1";
  loopbackOnly(host, "hub");
  const flistDir = join(o.dir, "flists");
  const store = new DirStore(join(o.dir, "blocks"));
  mkdirSync(flistDir, { recursive: true, mode: 0o700 });
  mkdirSync(store.root, { recursive: true, mode: 0o700 });
  const limit = o.maxUploadBytes ?? 64 * 2 ** 20;
  let base = "";

  const users = () => readdirSync(flistDir).filter((u) => NAME.test(u) && statSync(join(flistDir, u)).isDirectory()).sort();
  const files = (user: string) => {
    const d = join(flistDir, user);
    return existsSync(d) ? readdirSync(d).filter((f) => FILE.test(f)).sort() : [];
  };
  const pathOf = (user: string, file: string) => {
    if (!NAME.test(user) || !FILE.test(file)) throw new HttpError(400, `bad flist name ${user}/${file}: use [A-Za-z0-9._-] and end in .fl or .flist`);
    return join(flistDir, user, file);
  };
  const info = (user: string, file: string) => {
    const p = pathOf(user, file);
    if (!existsSync(p)) throw new HttpError(404, `flist ${user}/${file} not found`);
    const st = statSync(p);
    const md5 = createHash("md5").update(readFileSync(p)).digest("hex");
    return { name: file, size: `${(st.size / 1024).toFixed(2)} KB`, updated: Math.floor(st.mtimeMs / 1000), type: "regular", md5 };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // a request line that is no URL, or a path with a broken %-escape, is the client's mistake (400), not ours
    const url = requestUrl(req.url ?? "/");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeSegment);
    const json = (v: unknown, status = 200) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    const bytes = (b: Uint8Array, type = "application/octet-stream") => {
      res.writeHead(200, { "content-type": type, "content-length": b.length });
      res.end(b);
    };
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    if (method === "GET" && url.pathname === "/api/flist") {
      return json(users().flatMap((u) => files(u).map((f) => `${u}/${f}`)));
    }
    if (method === "GET" && url.pathname === "/api/repositories") return json(users().map((name) => ({ name, official: false })));
    if (parts[0] === "api" && parts[1] === "flist" && parts.length >= 3) {
      const [, , user, file, sub] = parts;
      if (method === "GET" && parts.length === 3) {
        if (!NAME.test(user)) throw new HttpError(400, `bad repository name ${user}`);
        return json(files(user).map((f) => {
          const i = info(user, f);
          return { name: i.name, size: i.size, updated: i.updated, type: i.type };
        }));
      }
      if (method === "GET" && parts.length === 5 && sub === "light") return json(info(user, file));
      if (method === "GET" && parts.length === 4) {
        info(user, file);
        const f = openFlist(pathOf(user, file), o.dir, { allowSetId: true });
        const count = (k: string) => f.entries.filter((e) => e.kind === k).length;
        return json({
          regular: count("file"), directory: count("dir"), symlink: count("symlink"), special: 0, failure: 0,
          content: f.entries.filter((e) => e.path !== "").map((e) => ({ path: `/${e.path}`, size: e.size })),
        });
      }
      if (method === "PUT" && parts.length === 4) {
        const p = pathOf(user, file);
        const body = await readBody(req, limit);
        mkdirSync(join(flistDir, user), { recursive: true, mode: 0o700 });
        const tmp = `${p}.upload-${process.pid}-${Date.now()}`;
        writeFileSync(tmp, body);
        try {
          const f = openFlist(tmp, o.dir, { allowSetId: true });
          const missing = f.entries.flatMap((e) => e.blocks).filter((b) => {
            const h = hex(b.id);
            return !existsSync(join(store.root, h.slice(0, 2), h));
          });
          if (missing.length > 0) throw new HttpError(409, `${missing.length} blocks of this flist are not on the hub (first ${hex(missing[0].id)}); upload the blocks first`);
          renameSync(tmp, p);
        } catch (e) {
          rmSync(tmp, { force: true });
          if (e instanceof HttpError) throw e;
          throw new HttpError(400, `not a valid flist: ${(e as Error).message.replace(tmp, file)}`);
        }
        o.log?.(`published ${user}/${file}`);
        return json(info(user, file), 201);
      }
    }
    if (parts[0] === "api" && parts[1] === "v1" && parts[2] === "block" && parts.length === 4) {
      const h = parts[3].toLowerCase();
      if (!HEX.test(h)) throw new HttpError(400, `block id must be 64 (rfs) or 32 (legacy) hex characters`);
      const id = Buffer.from(h, "hex");
      if (method === "GET") return bytes(await store.get(id).catch(() => Promise.reject(new HttpError(404, `block ${h} not found`))));
      if (method === "PUT" || method === "POST") {
        const body = await readBody(req, limit);
        if (hex(h.length === 64 ? blake2b256(body) : blake2b128(body)) !== h) throw new HttpError(400, `block ${h}: body does not hash to its id`);
        await store.put(id, body);
        return json({ hash: h }, 201);
      }
    }
    if (method === "GET" && parts[0] === "blocks" && (parts.length === 3 || parts.length === 2)) {
      const h = parts[parts.length - 1].toLowerCase();
      if (!HEX.test(h)) throw new HttpError(400, `block id must be 64 (rfs) or 32 (legacy) hex characters`);
      return bytes(await store.get(Buffer.from(h, "hex")).catch(() => Promise.reject(new HttpError(404, `block ${h} not found`))));
    }
    if (method === "GET" && parts.length === 2) {
      const [user, name] = parts;
      if (name.endsWith(".md5")) {
        const i = info(user, name.slice(0, -4));
        res.writeHead(200, { "content-type": "text/plain" });
        return res.end(`${i.md5}\n`);
      }
      const p = pathOf(user, name);
      if (!existsSync(p)) throw new HttpError(404, `flist ${user}/${name} not found`);
      return bytes(readFileSync(p));
    }
    throw new HttpError(404, `no route ${method} ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: (e as Error).message }));
    });
  });
  const port = await listen(server, host, o.port ?? 0);
  base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  o.log?.(`hub on ${base}`);
  return {
    url: base,
    storeUrl: `${base}/blocks`,
    flists: () => Object.fromEntries(users().flatMap((u) => files(u).map((f) => [`${u}/${f}`, `${base}/${u}/${f}`]))),
    stop: () => new Promise((ok) => {
      server.close(() => ok());
      server.closeAllConnections?.();
    }),
  };
}
