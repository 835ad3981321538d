// A `zdb://` block store (rfs src/store/zdb.rs, 0-flist's backend): RESP over TCP (or a unix socket
// with `zdb:///path/to/socket`), `SELECT <namespace> [password]` once, then `GET <raw id bytes>`.
// URL: zdb://[user:password@]host[:port, default 9900][/namespace]. Replies come back in order, so
// many GETs are pipelined on one connection (the materialiser keeps 8 in flight).
import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";
import { hex } from "./block.ts";
import type { BlockStore, WritableBlockStore } from "./store.ts";

type Reply = Buffer | string | null | Error;

function command(args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

export class ZdbStore implements WritableBlockStore {
  readonly url: string;
  #socket: Socket | null = null;
  #ready: Promise<void> | null = null;
  #pending: { ok: (r: Reply) => void; fail: (e: Error) => void }[] = [];
  #buf: Buffer = Buffer.alloc(0);
  readonly #target: { host?: string; port?: number; path?: string };
  readonly #namespace: string;
  readonly #password: string;

  constructor(url: string) {
    const u = new URL(url);
    if (u.protocol !== "zdb:") throw new Error(`${url}: not a zdb:// URL`);
    this.url = url;
    if (u.hostname === "") {
      this.#target = { path: decodeURIComponent(u.pathname) };
      this.#namespace = "";
    } else {
      this.#target = { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : 9900 };
      this.#namespace = decodeURIComponent(u.pathname.replace(/^\/+/, ""));
    }
    this.#password = decodeURIComponent(u.password || "");
  }

  #open(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => {
      const s = this.#target.path ? connect(this.#target.path) : connect(this.#target.port!, this.#target.host!);
      this.#socket = s;
      s.on("data", (d: Buffer) => this.#onData(d));
      const fail = (e: Error) => {
        const err = new Error(`block store ${this.#safeUrl()}: ${e.message}`);
        for (const p of this.#pending.splice(0)) p.fail(err);
        this.#ready = null;
        this.#socket = null;
        reject(err);
      };
      s.on("error", fail);
      s.on("close", () => fail(new Error("connection closed")));
      s.on("connect", () => {
        if (!this.#namespace) return resolve();
        const args = this.#password ? ["SELECT", this.#namespace, this.#password] : ["SELECT", this.#namespace];
        this.#send(args).then((r) => {
          if (r instanceof Error) reject(new Error(`block store ${this.#safeUrl()}: SELECT ${this.#namespace}: ${r.message}`));
          else resolve();
        }, reject);
      });
    });
    return this.#ready;
  }

  #safeUrl(): string {
    return this.url.replace(/\/\/[^@/]*@/, "//");
  }

  #send(args: (string | Uint8Array)[]): Promise<Reply> {
    return new Promise((ok, fail) => {
      if (!this.#socket) return fail(new Error(`block store ${this.#safeUrl()}: closed`));
      this.#pending.push({ ok, fail });
      this.#socket!.write(command(args));
    });
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
    for (;;) {
      const r = this.#parse();
      if (r === undefined) return;
      this.#pending.shift()?.ok(r.value);
    }
  }

  /** One reply from the buffer, or undefined when it is incomplete. */
  #parse(): { value: Reply } | undefined {
    const b = this.#buf;
    const eol = b.indexOf("\r\n");
    if (eol < 0) return undefined;
    const line = b.subarray(1, eol).toString();
    const rest = () => (this.#buf = b.subarray(eol + 2));
    switch (b[0]) {
      case 0x2b: rest(); return { value: line }; // +
      case 0x2d: rest(); return { value: new Error(line) }; // -
      case 0x3a: rest(); return { value: line }; // :
      case 0x24: { // $
        const n = Number(line);
        if (n < 0) {
          rest();
          return { value: null };
        }
        if (b.length < eol + 2 + n + 2) return undefined;
        const v = Buffer.from(b.subarray(eol + 2, eol + 2 + n));
        this.#buf = b.subarray(eol + 2 + n + 2);
        return { value: v };
      }
      default:
        this.#socket?.destroy(new Error(`unexpected RESP reply type ${JSON.stringify(String.fromCharCode(b[0]))}`));
        return undefined;
    }
  }

  async get(id: Uint8Array): Promise<Uint8Array> {
    await this.#open();
    const r = await this.#send(["GET", id]);
    if (r instanceof Error) throw new Error(`block ${hex(id)}: ${this.#safeUrl()} answered ${r.message}`);
    if (r === null) throw new Error(`block ${hex(id)} is not in store ${this.#safeUrl()}`);
    if (typeof r === "string") throw new Error(`block ${hex(id)}: ${this.#safeUrl()} answered a status, not data`);
    return new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
  }

  async put(id: Uint8Array, data: Uint8Array): Promise<void> {
    await this.#open();
    const r = await this.#send(["SET", id, data]);
    if (r instanceof Error) throw new Error(`block ${hex(id)}: ${this.#safeUrl()} refused SET: ${r.message}`);
  }

  close(): void {
    this.#socket?.end();
    this.#socket?.destroy();
    this.#socket = null;
    this.#ready = null;
  }
}

export function isZdbStore(s: BlockStore): s is ZdbStore {
  return s instanceof ZdbStore;
}
