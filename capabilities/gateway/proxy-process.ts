// The gateway driver's handle on its proxy process (proxy.ts): started by PID — inside the public network
// namespace through nsenter when the node has one — driven with JSON lines, and killed on stop. The proxy
// gets --allow-net and its interface list only (its job is to listen and dial); what it is told has been validated.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ProxyRoute } from "./proxy.ts";

export interface ProxyOptions {
  deno: string;
  /** a pinned network namespace file, or null to stay in the driver's own */
  netns: string | null;
  /** where the proxy's Deno keeps its transpile cache (the driver's state) */
  cacheDir: string;
  log: (line: string) => void;
  /** the proxy ended without stop() (killed, crashed): the routes it served are down */
  onUnexpectedExit?: (why: string) => void;
}

export const NSENTER = "/usr/bin/nsenter";

export class ProxyProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  #n = 0;
  #exited: string | null = null;
  #stopping = false;

  constructor(o: ProxyOptions) {
    const entry = fileURLToPath(new URL("./proxy.ts", import.meta.url));
    const denoArgs = [
      "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config",
      "--allow-net", "--allow-sys=networkInterfaces", "--deny-read", "--deny-write", "--deny-run", "--deny-env", "--deny-ffi", entry,
    ];
    const [cmd, args] = o.netns ? [NSENTER, [`--net=${o.netns}`, "--", o.deno, ...denoArgs]] : [o.deno, denoArgs];
    this.#child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { DENO_DIR: o.cacheDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    let buf = "";
    this.#child.stdout!.setEncoding("utf8");
    this.#child.stdout!.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line);
        } catch {
          o.log(`gateway proxy: ${line}`);
          continue;
        }
        const w = this.#waiting.get(msg.n as number);
        if (!w) continue;
        this.#waiting.delete(msg.n as number);
        if (msg.ok) w.resolve(msg);
        else w.reject(new Error(String(msg.error)));
      }
    });
    this.#child.stderr!.setEncoding("utf8");
    this.#child.stderr!.on("data", (d: string) => o.log(`gateway proxy: ${d.trimEnd()}`));
    this.#child.on("error", (e) => this.#fail(`cannot start: ${e.message}`));
    this.#child.on("exit", (code, sig) => {
      this.#fail(`exited (${sig ?? code})`);
      if (!this.#stopping) o.onUnexpectedExit?.(`exited (${sig ?? code})`);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #fail(why: string): void {
    this.#exited ??= why;
    for (const w of this.#waiting.values()) w.reject(new Error(`failed: gateway: the proxy process ${why}`));
    this.#waiting.clear();
  }

  get exited(): string | null {
    return this.#exited;
  }

  request(op: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.#exited) return Promise.reject(new Error(`failed: gateway: the proxy process ${this.#exited}`));
    const n = ++this.#n;
    return new Promise((resolve, reject) => {
      this.#waiting.set(n, { resolve, reject });
      this.#child.stdin!.write(JSON.stringify({ n, op, ...body }) + "\n");
    });
  }

  async listen(host: string, port: number): Promise<number> {
    return (await this.request("listen", { host, port })).port as number;
  }
  async set(route: ProxyRoute): Promise<void> {
    await this.request("set", { route });
  }
  /** Every address of the proxy's namespace. */
  async addresses(): Promise<string[]> {
    return (await this.request("addresses")).addresses as string[];
  }
  async delete(id: string): Promise<boolean> {
    return (await this.request("del", { id })).existed as boolean;
  }

  /** Ends the proxy: closing stdin ends it; SIGKILL by PID if it lingers. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#exited) return;
    const gone = new Promise<void>((r) => this.#child.once("exit", () => r()));
    this.#child.stdin!.end();
    const t = setTimeout(() => this.#child.kill("SIGKILL"), 2_000);
    await gone;
    clearTimeout(t);
  }
}
