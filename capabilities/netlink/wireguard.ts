// WireGuard devices through wireguard-go (this host's kernel has no WireGuard module): the process is
// started inside the namespace whose UDP socket it should own, in a private mount namespace where
// /run/wireguard is bind-mounted from the driver's own UAPI folder, so its control socket lands there.
// Configuration goes over that UAPI socket (text protocol, keys in hex).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { bin } from "./bins.ts";
import type { Sys } from "./sys.ts";
import { dropMountsSnippet } from "../lib/fs/drop-mounts.ts";

export interface WgPeer {
  public_key: string;
  endpoint?: string;
  allowed_ips: string[];
  persistent_keepalive?: number;
}

export interface WgConfig {
  private_key: string;
  listen_port: number;
  peers: WgPeer[];
}

/** A base64 WireGuard key as the 64 hex characters UAPI wants; throws a readable error when malformed. */
export function keyHex(b64: string, what: string): string {
  const clean = String(b64).trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(clean)) throw new Error(`${what} "${clean.slice(0, 60)}" is not a WireGuard key (44 base64 characters)`);
  const bin = atob(clean);
  let hex = "";
  for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return hex;
}

export function uapiSet(c: WgConfig): string {
  const lines = ["set=1", `private_key=${keyHex(c.private_key, "wireguard private key")}`, `listen_port=${c.listen_port}`, "replace_peers=true"];
  for (const p of c.peers) {
    lines.push(`public_key=${keyHex(p.public_key, "peer public key")}`);
    if (p.endpoint) lines.push(`endpoint=${p.endpoint}`);
    if (p.persistent_keepalive) lines.push(`persistent_keepalive_interval=${p.persistent_keepalive}`);
    lines.push("replace_allowed_ips=true");
    for (const a of p.allowed_ips) lines.push(`allowed_ip=${a}`);
  }
  return lines.join("\n") + "\n\n";
}

/** One UAPI exchange: writes `req`, returns the key=value lines before the closing blank line. */
export function uapi(sys: Sys, socket: string, req: string): string[] {
  const text = sys.unixExchange(socket, req, 5000);
  const lines = text.split("\n\n")[0].split("\n").filter((l) => l);
  const err = lines.find((l) => l.startsWith("errno="));
  if (err && err !== "errno=0") throw new Error(`wireguard rejected the configuration (${err})`);
  return lines.filter((l) => !l.startsWith("errno="));
}

export interface WgProcess {
  child: ChildProcess;
  socket: string;
}

// "$3", when given, is a TUN device node the driver owns: bound over /dev/net/tun in wireguard-go's private
// mount namespace, so it needs no access to the host's (root-only without udev) /dev/net/tun.
const SCRIPT = '{ [ -z "$3" ] || mount --bind "$3" /dev/net/tun; } && ' +
  '{ mount --bind "$1" /run/wireguard 2>/dev/null || { mount -t tmpfs zos-wg /run && mkdir -p /run/wireguard && mount --bind "$1" /run/wireguard; }; } && ' +
  'exec wireguard-go -f "$2"';

// The same mounts made once, in a mount namespace pinned at "$3" that every wireguard-go of the driver enters.
const MNT_SCRIPT = '{ [ -z "$2" ] || mount --bind "$2" /dev/net/tun; } && ' +
  '{ mount --bind "$1" /run/wireguard 2>/dev/null || { mount -t tmpfs zos-wg /run && mkdir -p /run/wireguard && mount --bind "$1" /run/wireguard; }; }';

/**
 * What a wireguard-go namespace drops before its own mounts: everything its programs (wireguard-go, ip and their
 * libraries under the system trees, /dev/net/tun, the UAPI folder) do not need. A pinned one lives as long as the
 * driver, and a copy of another node's pool mount or namespace pin there would hold it past that node's stop.
 */
function dropForeign(uapiDir: string, tunNode: string): string {
  return dropMountsSnippet({
    trees: ["/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"],
    paths: [uapiDir, tunNode, "/run/wireguard"],
  });
}

/**
 * Makes the mount namespace wireguard-go processes share (UAPI folder on /run/wireguard, the TUN node on
 * /dev/net/tun), pinned at `pin`: one `unshare` for the driver's life instead of unshare + sh + mounts per
 * device (≈ 80 ms of process starts per NR on a busy host). False when this host cannot pin one (a shared
 * mount under the pin): callers then use the per-process mounts.
 */
export function pinWgMountNamespace(pin: string, uapiDir: string, tunNode = ""): Promise<boolean> {
  return new Promise((resolve) => {
    const argv = ["unshare", `--mount=${pin}`, "--propagation", "private", "--", "sh", "-c", `${dropForeign(uapiDir, tunNode)}; ${MNT_SCRIPT}`, "zos-wg", uapiDir, tunNode];
    const c = spawn(bin(argv[0]), argv.slice(1), { stdio: "ignore", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    c.on("error", () => resolve(false));
    c.on("exit", (code) => resolve(code === 0));
  });
}

/**
 * Set once a launch through the shell found no shell: on the image (no shell by design) PID 1 makes
 * /run/wireguard a link to the driver's UAPI folder and /dev/net/tun 0666, so wireguard-go runs as is.
 */
let noShell = false;

class NoShellError extends Error {}

/**
 * Starts wireguard-go for `name` inside the namespace pinned at nsPath ("" = ours), in the shared mount
 * namespace `mntPin` when given (else its own, mounted by a shell; without a shell, as is: see noShell);
 * resolves once its socket exists.
 */
export async function startWireguardGo(nsPath: string, uapiDir: string, name: string, tunNode = "", mntPin = ""): Promise<WgProcess> {
  const enter = [...(nsPath ? [`--net=${nsPath}`] : []), ...(mntPin ? [`--mount=${mntPin}`] : [])];
  const launchIn = (inner: string[]) => launch(enter.length ? ["nsenter", ...enter, "--", ...inner] : inner, uapiDir, name);
  if (mntPin || noShell) return await launchIn(["wireguard-go", "-f", name]);
  try {
    return await launchIn(["unshare", "-m", "--propagation", "private", "--", "sh", "-c", `${dropForeign(uapiDir, tunNode)}; ${SCRIPT}`, "zos-wg", uapiDir, name, tunNode]);
  } catch (err) {
    if (!(err instanceof NoShellError)) throw err;
    noShell = true;
    return await launchIn(["wireguard-go", "-f", name]);
  }
}

async function launch(argv: string[], uapiDir: string, name: string): Promise<WgProcess> {
  const child = spawn(bin(argv[0]), argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LOG_LEVEL: "error" } });
  let stderr = "";
  const keep = (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000));
  child.stderr?.on("data", keep);
  child.stdout?.on("data", keep); // wireguard-go logs to stdout
  const socket = join(uapiDir, `${name}.sock`);
  const t0 = Date.now();
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? -1));
  while (!existsSync(socket)) {
    if (exited !== null) {
      await new Promise((r) => setTimeout(r, 20)); // the last output
      if (exited === 127 && /failed to execute sh\b/.test(stderr)) throw new NoShellError("no shell");
      // (box-drawing │┌└ lines are wireguard-go's banner; escaped: the image's bundles are ASCII, rootfs/lib/bundle.ts)
      const msg = stderr.split("\n").filter((l) => /ERROR|error|denied|fail/i.test(l) && !/[\u2502\u250c\u2514]/.test(l)).join("; ").trim();
      const hint = /TUN device: permission denied/.test(msg)
        ? " — /dev/net/tun is not open to the driver's uid (it is 0666 on the image; on this host it is root-only: make it 0666 or run the kernel as non-root)"
        : "";
      throw new Error(`wireguard-go for ${name} exited (${exited}): ${msg || "no message"}${hint}`);
    }
    if (Date.now() - t0 > 5000) {
      child.kill("SIGKILL");
      throw new Error(`wireguard-go for ${name}: no UAPI socket after 5 s`);
    }
    await new Promise((r) => setTimeout(r, 3));
  }
  return { child, socket };
}
