// Test helper: a namespace of the test's own (`zt-gw-<pid>`) standing in for the node's public namespace,
// with addresses (on its lo) for the gateway's "public" address and the backends' addresses, backends started
// inside it (test/backends.ts, by PID), and an HTTPS client inside it (curl, the way a user on the internet
// would reach the node). Everything is removed in `close()`.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { denoBinary } from "../../../kernel/sandbox.ts";

export const PUBLIC_IP = "10.251.0.1";
export const BACKEND_IP = "10.251.0.2";
export const BACKEND2_IP = "10.251.0.3";

export class GatewayLab {
  readonly ns: string;
  readonly pin: string;
  readonly dir: string;
  #children: ChildProcess[] = [];

  constructor(dir: string, tag: string) {
    this.dir = dir;
    this.ns = `zt-gw-${tag}-${process.pid}`.slice(0, 15);
    this.pin = `/run/netns/${this.ns}`;
    execFileSync("ip", ["netns", "add", this.ns]);
    const inNs = (...a: string[]) => execFileSync("ip", ["-n", this.ns, ...a]);
    inNs("link", "set", "lo", "up");
    // the addresses live on the namespace's own lo: no links needed, nothing reaches outside it
    for (const ip of [PUBLIC_IP, BACKEND_IP, BACKEND2_IP]) inNs("addr", "add", `${ip}/32`, "dev", "lo");
  }

  /** Starts test/backends.ts inside the namespace; resolves when every listener is open. */
  async backends(cfg: { http: string[]; tls: { listen: string; cert: string; key: string; name: string }[] }): Promise<ChildProcess> {
    const entry = fileURLToPath(new URL("./backends.ts", import.meta.url));
    const child = spawn("ip", ["netns", "exec", this.ns, denoBinary(), "run", "--quiet", "--no-lock", "--allow-net", entry, JSON.stringify(cfg)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.#children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
      child.once("exit", (c) => reject(new Error(`backends exited (${c})`)));
    });
    return child;
  }

  /** curl inside the namespace: HTTPS to `host` at the gateway's public address, trusting `caPem` only. */
  curl(host: string, caPem: string, path = "/", port = 443): { ok: boolean; body: string; error: string } {
    const ca = join(this.dir, `ca-${host}.pem`);
    writeFileSync(ca, caPem);
    try {
      const body = execFileSync("ip", [
        "netns", "exec", this.ns, "curl", "-sS", "--max-time", "5", "--cacert", ca,
        "--resolve", `${host}:${port}:${PUBLIC_IP}`, `https://${host}:${port}${path}`,
      ], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { ok: true, body, error: "" };
    } catch (e) {
      return { ok: false, body: "", error: String((e as { stderr?: string }).stderr ?? e) };
    }
  }

  close(): void {
    for (const c of this.#children) if (c.exitCode === null) c.kill("SIGKILL");
    try {
      execFileSync("ip", ["netns", "del", this.ns]);
    } catch { /* already gone */ }
  }
}
