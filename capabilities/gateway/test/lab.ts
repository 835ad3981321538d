// Test helper: two namespaces of the test's own joined by a veth pair — `zt-gw…` standing in for the node's
// public namespace (the gateway's "public" address 10.251.0.1) and `zt-gww…`, the world outside: the
// backends (test/backends.ts, started by PID, on 10.251.0.2/.3) and an HTTPS client (curl, the way a user on
// the internet reaches the node). Everything is removed in `close()`.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { denoBinary, repoRoot } from "../../../kernel/sandbox.ts";
import { stripComments, validateManifest } from "../../../kernel/manifest.ts";

export const PUBLIC_IP = "10.251.0.1";
export const BACKEND_IP = "10.251.0.2";
export const BACKEND2_IP = "10.251.0.3";

export class GatewayLab {
  readonly ns: string;
  readonly world: string;
  readonly pin: string;
  readonly dir: string;
  #children: ChildProcess[] = [];
  #pins: string[] = [];

  constructor(dir: string, tag: string) {
    this.dir = dir;
    this.ns = `zt-gw${tag}${process.pid}`.slice(0, 30);
    this.world = `zt-gww${tag}${process.pid}`.slice(0, 30);
    this.pin = `/run/netns/${this.ns}`;
    execFileSync("ip", ["netns", "add", this.ns]);
    execFileSync("ip", ["netns", "add", this.world]);
    const pub = (...a: string[]) => execFileSync("ip", ["-n", this.ns, ...a]);
    const world = (...a: string[]) => execFileSync("ip", ["-n", this.world, ...a]);
    pub("link", "add", "public", "type", "veth", "peer", "name", "world", "netns", this.world);
    pub("link", "set", "lo", "up");
    world("link", "set", "lo", "up");
    pub("addr", "add", `${PUBLIC_IP}/24`, "dev", "public");
    for (const ip of [BACKEND_IP, BACKEND2_IP]) world("addr", "add", `${ip}/24`, "dev", "world");
    pub("link", "set", "public", "up");
    world("link", "set", "world", "up");
  }

  /** Starts test/backends.ts in the world namespace; resolves when every listener is open. */
  async backends(cfg: { http: string[]; tls: { listen: string; cert: string; key: string; name: string }[] }): Promise<ChildProcess> {
    const entry = fileURLToPath(new URL("./backends.ts", import.meta.url));
    const child = spawn("ip", ["netns", "exec", this.world, denoBinary(), "run", "--quiet", "--no-lock", "--allow-net", entry, JSON.stringify(cfg)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.#children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
      child.once("exit", (c) => reject(new Error(`backends exited (${c})`)));
    });
    return child;
  }

  /** curl from the world namespace: HTTPS to `host` at the gateway's public address, trusting `caPem` only. */
  curl(host: string, caPem: string, path = "/", port = 443): { ok: boolean; body: string; error: string } {
    const ca = join(this.dir, `ca-${host}.pem`);
    writeFileSync(ca, caPem);
    try {
      const body = execFileSync("ip", [
        "netns", "exec", this.world, "curl", "-sS", "--max-time", "5", "--cacert", ca,
        "--resolve", `${host}:${port}:${PUBLIC_IP}`, `https://${host}:${port}${path}`,
      ], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { ok: true, body, error: "" };
    } catch (e) {
      return { ok: false, body: "", error: String((e as { stderr?: string }).stderr ?? e) };
    }
  }

  /**
   * Pins the lab's public namespace where the node's netlink driver finds its namespaces (`<state>/netlink/ns/
   * public`, as dev/underlay.ts and PID 1's uplink do), so the driver can share it with the gateway (grant
   * netns); the manifest's ${gatewayns} is then "public". Undone in close().
   */
  pinForNetlink(state: string): string {
    const dir = join(state, "netlink", "ns");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pin = join(dir, "public");
    writeFileSync(pin, "", { mode: 0o444 });
    execFileSync("mount", ["--bind", this.pin, pin]);
    this.#pins.push(pin);
    return "public";
  }

  close(): void {
    for (const c of this.#children) if (c.exitCode === null) c.kill("SIGKILL");
    for (const pin of this.#pins) {
      try {
        execFileSync("umount", ["-l", pin], { stdio: "ignore" });
      } catch { /* the netlink driver unpinned it at its stop */ }
    }
    for (const ns of [this.ns, this.world]) {
      try {
        execFileSync("ip", ["netns", "del", ns]);
      } catch { /* already gone */ }
    }
  }
}

/**
 * The node manifest's gateway and netlink entries (the gateway's grant netns needs its provider) plus a probe
 * module holding a full, a read-only and a widened grant. `ns`: "public" (GatewayLab.pinForNetlink) or a pin file.
 */
export function gatewayManifest(tmp: string, ns: string, listen: string, extra: Record<string, unknown> = {}) {
  const node = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "node.json"), "utf8")));
  const probe = {
    kind: "module", entry: "kernel/test/fixtures/caveat/main.ts",
    grants: {
      gateway: { from: "gateway", cap: "gateway" },
      viewer: { from: "gateway", cap: "gateway", restrictions: { readOnly: true } },
      widened: { from: "gateway", cap: "gateway", restrictions: { listen: "0.0.0.0:80" } },
    },
  };
  const r = validateManifest({ version: 1, root: repoRoot, uidBase: 62400, processes: { netlink: node.processes.netlink, gateway: node.processes.gateway, probe, ...extra } }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { manifest: r.manifest, vars: { gatewaylisten: listen, gatewayns: ns } };
}
