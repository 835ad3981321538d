// One rtnetlink conversation inside one namespace: a request and its ack (errors become NetlinkError
// with the kernel's errno and extended-ack text), or a dump collected until NLMSG_DONE.
import type { NetlinkFd } from "./sys.ts";
import { errnoName } from "./sys.ts";
import { errorOf, NLMSG_DONE, NLMSG_ERROR, type RawMessage, splitMessages } from "../lib/netlink/codec.ts";

export class NetlinkError extends Error {
  readonly errno: number;
  constructor(what: string, errno: number, text: string) {
    super(`${what}: ${errnoName(errno)}${text ? ` (${text})` : ""}`);
    this.errno = errno;
  }
}

export const EEXIST = 17, ENOENT = 2, ENODEV = 19, ESRCH = 3, EADDRNOTAVAIL = 99;

let nextSeq = 1;
export const seq = (): number => (nextSeq = (nextSeq + 1) >>> 0 || 1);

export class RtnlSocket {
  readonly #fd: NetlinkFd;
  constructor(fd: NetlinkFd) {
    this.#fd = fd;
  }

  /** Sends a request with NLM_F_ACK and waits for its ack; `ok` lists errnos that count as success. */
  request(what: string, msg: Uint8Array, ok: number[] = []): RawMessage[] {
    const s = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    this.#fd.send(msg);
    const got: RawMessage[] = [];
    for (;;) {
      const d = this.#fd.recv();
      if (!d) throw new Error(`${what}: no answer from the kernel within 5 s`);
      for (const m of splitMessages(d)) {
        if (m.seq !== s) continue; // a late answer to an earlier, timed-out request
        if (m.type === NLMSG_ERROR) {
          const e = errorOf(m.body);
          if (e.errno && !ok.includes(e.errno)) throw new NetlinkError(what, e.errno, e.text);
          return got;
        }
        got.push(m);
      }
    }
  }

  /** A request answered with data (GETLINK by name): the first message, or null when `missing` errno. */
  get(what: string, msg: Uint8Array, missing: number[]): RawMessage | null {
    const s = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    this.#fd.send(msg);
    for (;;) {
      const d = this.#fd.recv();
      if (!d) throw new Error(`${what}: no answer from the kernel within 5 s`);
      for (const m of splitMessages(d)) {
        if (m.seq !== s) continue;
        if (m.type === NLMSG_ERROR) {
          const e = errorOf(m.body);
          if (missing.includes(e.errno)) return null;
          throw new NetlinkError(what, e.errno, e.text);
        }
        return m;
      }
    }
  }

  dump(what: string, msg: Uint8Array): RawMessage[] {
    const s = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    this.#fd.send(msg);
    const out: RawMessage[] = [];
    for (;;) {
      const d = this.#fd.recv();
      if (!d) throw new Error(`${what}: no answer from the kernel within 5 s`);
      for (const m of splitMessages(d)) {
        if (m.seq !== s) continue;
        if (m.type === NLMSG_DONE) return out;
        if (m.type === NLMSG_ERROR) {
          const e = errorOf(m.body);
          throw new NetlinkError(what, e.errno, e.text);
        }
        out.push(m);
      }
    }
  }

  close(): void {
    this.#fd.close();
  }
}
