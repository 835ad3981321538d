// The image's PID 1 program (bundled by the image build; /init, run as `#!/usr/bin/deno -A`, imports it
// and calls main()). It refuses to do
// anything unless it is PID 1: on a host it would mount filesystems and power the machine off.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { boot, type BootOptions } from "./boot.ts";
import { activationUrls, type BootParams, relayUrls, substrateUrls } from "./cmdline.ts";
import { denoSys } from "./libc.ts";
import { diskVars, prepareWireguard } from "./node-devices.ts";
import { setupUplink } from "./uplink.ts";
import { bootRelease } from "../upgrade/boot.ts";

/** Where the image build puts the bundled capability kernel (exports startKernel). */
export const KERNEL_BUNDLE = "/lib/zos/kernel/mod.js";
export const MANIFEST_PATH = "/lib/zos/manifests/node.json";
/** The extension flists the image pins (rootfs/build.ts writes it): `{ qemu: { name, tree_sha256, … } }`. */
export const EXTENSIONS_PATH = "/lib/zos/extensions.json";
/** Zero-OS's hub (ZOS-REFERENCE §1: bootstrap's fallback) when the command line names none. */
export const DEFAULT_HUB = "https://hub.grid.tf";
/** Where QEMU is on a host; the image has none unless it pins the extension. */
export const HOST_QEMU = "/usr/bin/qemu-system-x86_64";

export interface ExtensionPin {
  name: string;
  tree_sha256: string;
}
/** The readiness timeout floor PID 1 gives the kernel (see startKernel's minHealthTimeoutMs). */
export const PID1_HEALTH_TIMEOUT_MS = 300_000;

/** host:port of a ws(s)/http(s) URL, the default port filled in (a Deno --allow-net entry). */
export function hostPort(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "wss:" || u.protocol === "https:" ? "443" : "80");
  return `${u.hostname}:${port}`;
}

/**
 * Kernel-command-line facts as the manifest's variables (${chainurl} ${chainhost} ${relayurl}
 * ${relayhost} ${farm}, as modules/node.ts passes them on a host), plus a few more for later use.
 */
/** The node's 0-db port, as on Zero-OS: the one listener the manifest declares (the zdb driver's `net`). */
export const ZDB_PORT = 9900;
/** The gateway proxy's port (capabilities/gateway): HTTPS for gateway workloads, as traefik on Zero-OS. */
export const GATEWAY_PORT = 443;

export function kernelVars(p: BootParams, extensions: { qemu?: ExtensionPin } = {}): Record<string, string> {
  const hub = (p.hub ?? "").replace(/\/+$/, "");
  return {
    chainurl: substrateUrls(p)[0],
    chainhost: hostPort(substrateUrls(p)[0]),
    relayurl: relayUrls(p)[0],
    relayhost: hostPort(relayUrls(p)[0]),
    farm: String(p.farmerId ?? 0),
    activationurl: activationUrls(p)[0],
    activationhost: hostPort(activationUrls(p)[0]),
    // the node's 0-db server (capabilities/zdb) on every address, as Zero-OS serves zdb namespaces
    zdblisten: `[::]:${ZDB_PORT}`,
    // the flist driver's hubs: `hub=` (its blocks over HTTP, as the dev hub serves them) or Zero-OS's
    // (legacy .flist blocks come from the hub's 0-db)
    hubhosts: hub ? hostPort(hub) : "hub.threefold.me:443,v4.hub.threefold.me:443,hub.threefold.me:9900",
    hubstore: hub ? `${hub}/blocks` : "zdb://hub.threefold.me:9900",
    // the hypervisor's QEMU: the extension flist the image pins, on the node's hub (capabilities/hypervisor/qemu-extension.ts)
    qemu: extensions.qemu ? `${hub || DEFAULT_HUB}/${extensions.qemu.name}#tree-sha256=${extensions.qemu.tree_sha256}` : HOST_QEMU,
    // the gateway proxy: :443 in the node's public namespace (setupUplink pins it where the netlink driver finds
    // it; the driver shares that pin with the gateway through its grant netns), as Zero-OS runs traefik there
    gatewaylisten: `0.0.0.0:${GATEWAY_PORT}`,
    gatewayns: "public",
    substrate_url: substrateUrls(p)[0],
    substrate_urls: substrateUrls(p).join(" "),
    relay_url: relayUrls(p)[0],
    farmer_id: String(p.farmerId ?? 0),
    runmode: p.runmode,
    flavour: p.version,
  };
}

/** The image's extension pins; none when the image was built without them. */
function imageExtensions(): { qemu?: ExtensionPin } {
  return existsSync(EXTENSIONS_PATH) ? JSON.parse(readFileSync(EXTENSIONS_PATH, "utf8")) : {};
}

/** PID 1's program; the image's /init imports the bundle and calls this (rootfs/build.ts). */
export async function main(): Promise<void> {
  if (process.pid !== 1) {
    console.error("zos init: refusing to run: this is the image's PID 1 program and this process is not PID 1 " +
      `(pid ${process.pid}). Use \`zos kernel run\` on a host.`);
    process.exit(2);
  }
  process.env.PATH = "/usr/bin";
  process.env.HOME = "/run";
  process.env.DENO_DIR = "/run/deno";
  process.env.DENO_NO_UPDATE_CHECK = "1";
  const opts: BootOptions = {
    sys: denoSys(),
    modulesDir: "/lib/modules/current",
    declaredListeners: [{ port: ZDB_PORT, who: "zdb" }, { port: GATEWAY_PORT, who: "gateway" }],
  };
  if (existsSync(KERNEL_BUNDLE)) {
    opts.startKernel = async (ctx) => {
      // Kernel state (process run dirs, Deno cache, the drivers' data) lives on the state disk when
      // there is one. The drivers' folders exist before they start (their sandboxes name them).
      const stateDir = ctx.stateDisk ? `${ctx.stateDisk}/zos/kernel` : "/run/zos/kernel";
      // Live upgrade (kernel/upgrade/, docs/upgrade.md): the active release when its tree verifies, with its kernel.
      const release = bootRelease(stateDir, MANIFEST_PATH);
      if (release.note) ctx.trace.note(`upgrade: ${release.note}`);
      const bundle = release.hash ? `${release.manifest.slice(0, -"manifests/node.json".length)}kernel/mod.js` : KERNEL_BUNDLE;
      // Computed at run time on purpose: the kernel bundle is optional in an image.
      const mod = await import("file://" + bundle);
      for (const d of ["", "chain", "hostfacts", "kv", "identity"]) mkdirSync(`${stateDir}/${d}`, { recursive: true, mode: 0o700 });
      // wireguard-go's control sockets land in the netlink driver's UAPI folder (its manifest args)
      prepareWireguard(`${stateDir}/netlink/wg`);
      // Zero-OS's single-NIC public side (br-pub on zos, the public and ndmz namespaces' uplinks), before the
      // netlink driver starts and finds the namespaces pinned in its folder
      try {
        const u = await setupUplink(opts.sys, { pinDir: `${stateDir}/netlink/ns`, uapiDir: `${stateDir}/netlink/wg`, nicMac: ctx.net.mac });
        ctx.trace.note(`uplink: br-pub on zos; public ${u.public || "no lease"}; ndmz npub4 ${u.npub4 || "no lease"}${u.gateway ? ` via ${u.gateway}` : ""}` +
          (u.stale.length ? `; stale pins removed: ${u.stale.join(",")}` : "") + (u.notes.length ? `; ${u.notes.join("; ")}` : ""));
      } catch (err) {
        ctx.trace.note(`uplink: not made (${(err as Error).message}): the node's networks cannot leave it`);
      }
      const handle = await mod.startKernel({
        manifest: release.manifest,
        stateDir,
        onEvent: (e: unknown) => ctx.trace.event(e),
        // What the node learnt from its command line, for the manifest's ${chainurl} ${farm} …
        // Data disks: every disk but the state disk; no SSD pool → the node does not register (Zero-OS).
        vars: { ...kernelVars(ctx.params, imageExtensions()), ...diskVars(ctx.dataDisks, ctx.params.debugVm) },
        // PID 1 waits this long for every process to be ready, then reports which are not and moves
        // on: the kernel keeps supervising and restarting them.
        bootTimeoutMs: 60_000,
        // Under TCG on one vCPU each Deno start costs 1-2 s and a wave starts several at once, so the
        // manifest's 10 s readiness timeout killed processes that were still starting (all ready only
        // after ≈ 110 s of restarts). A node has no hurry: give each process up to 300 s — on a busy host one
        // TCG vCPU starting a wave of 8 Deno processes at once had none ready after 90 s, and killing them all
        // at 90 s started the same race again (every process restarted, none ever ready).
        minHealthTimeoutMs: PID1_HEALTH_TIMEOUT_MS,
      });
      // hub=URL on the command line: follow the release channel upgrade=REPO/NAME.fl (default tf-zos/zos-<runmode>.fl)
      if (ctx.params.hub && mod.Upgrader) {
        const channel = ctx.params.raw.get("upgrade")?.at(-1) || `tf-zos/zos-${ctx.params.runmode}.fl`;
        try {
          const upgrader = new mod.Upgrader({ kernel: handle.kernel, stateDir, hubUrl: ctx.params.hub, channel, installedVersion: release.version });
          handle.kernel.upgrade = upgrader;
          upgrader.start();
          ctx.trace.note(`upgrade: following ${channel} on ${ctx.params.hub} (release ${release.version})`);
        } catch (err) {
          ctx.trace.note(`upgrade: not following ${channel}: ${(err as Error).message}`);
        }
      }
      const notReady: string[] = handle.notReady ?? [];
      if (notReady.length) ctx.trace.note(`kernel: not ready after start-up: ${notReady.join(", ")}`);
      return { stop: () => handle.stop(), notReady };
    };
  }
  try {
    await boot(opts);
  } catch (err) {
    // Never exit: init exiting panics the kernel. Say what broke, then stay up for a post-mortem.
    console.log(`zos-boot: FATAL ${(err as Error)?.stack ?? err}`);
    setInterval(() => {}, 1 << 30);
  }
}

if (import.meta.main) main();
