// A QMP client over QEMU's unix socket: JSON objects one per line; the greeting first, then
// `qmp_capabilities`, then commands answered in order ({"return"} or {"error"}) with events in between.
import { connect, type Socket } from "node:net";

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

export class Qmp {
  #sock: Socket;
  #buf = "";
  #waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  onEvent: (e: QmpEvent) => void = () => {};
  onClose: () => void = () => {};

  private constructor(sock: Socket) {
    this.#sock = sock;
  }

  /**
   * Connects and negotiates capabilities; rejects after `timeoutMs`. `connected` (when given) is told once
   * the socket is connected or has failed to: the path is no longer looked at from then on.
   */
  static async connect(path: string, timeoutMs = 5000, connected?: () => void): Promise<Qmp> {
    const sock = connect(path);
    if (connected) {
      sock.once("connect", connected);
      sock.once("error", connected);
    }
    const q = new Qmp(sock);
    const greeting = new Promise<unknown>((resolve, reject) => q.#waiting.push({ resolve, reject }));
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => q.#data(d));
    sock.on("error", (e) => q.#fail(e));
    sock.on("close", () => q.#fail(new Error("QMP socket closed")));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QMP at ${path} did not greet within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([greeting, timeout]);
      await Promise.race([q.execute("qmp_capabilities"), timeout]);
    } catch (e) {
      q.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return q;
  }

  get closed(): boolean {
    return this.#closed;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("QMP socket closed"));
    const p = new Promise<unknown>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    this.#sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + "\n");
    return p;
  }

  close(): void {
    this.#sock.destroy();
  }

  #data(d: string): void {
    this.#buf += d;
    let nl: number;
    while ((nl = this.#buf.indexOf("\n")) >= 0) {
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      if (!line) continue;
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof m.event === "string") {
        this.onEvent({ event: m.event, data: m.data as Record<string, unknown> | undefined });
        continue;
      }
      const w = this.#waiting.shift();
      if (!w) continue;
      if (m.error) {
        const e = m.error as { class?: string; desc?: string };
        w.reject(new Error(`QMP: ${e.desc ?? e.class ?? "error"}`));
      } else w.resolve("QMP" in m ? m.QMP : m.return);
    }
  }

  #fail(e: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w.reject(e);
    this.onClose();
  }
}
