// The node under the capability kernel: starts the kernel with manifests/node.json (identity, chain, rmb
// and hostfacts drivers; provision, registrar and api modules, each its own sandboxed process) and waits
// until the registrar has put the node on chain. `zos dev` and the end-to-end test use it.
import { ensureTunNode } from "./node/tun-node.ts";
import { chmodSync, mkdirSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StatusReport$Client } from "../capabilities/schema/gen/node.ts";
import { type KernelEvent, type KernelHandle, startKernel } from "../kernel/mod.ts";
import { bootRelease } from "../kernel/upgrade/boot.ts";
import { Upgrader } from "../kernel/upgrade/agent.ts";
import { attachDevDisks, canAttachLoops, type DevDiskOptions, type DevDisks, unmountBelow } from "./node/dev-disks.ts";

export const NODE_MANIFEST = fileURLToPath(new URL("../manifests/node.json", import.meta.url));

export interface NodeOptions {
  /** the kernel's state dir: the seed (identity/), kv data, the dev faucet file */
  stateDir: string;
  chainUrl: string;
  relayUrl: string;
  farmId: number;
  onEvent?: (e: KernelEvent) => void;
  /** the activation service (grid/activation, `zos grid up`'s activation_url) that funds the node account */
  activationUrl?: string;
  /** dev grids without an activation service: a funded account's mnemonic the chain driver transfers from */
  faucetMnemonic?: string;
  /** HOST:PORT the node's 0-db server listens on (default "127.0.0.1:0": loopback, any free port) */
  zdbListen?: string;
  /** the flist hub (the dev grid's hub_url); default the Zero-OS hubs (hub.threefold.me, legacy blocks on its 0-db) */
  hubUrl?: string;
  /** HOST:PORT of the gateway proxy (default 127.0.0.1:0: loopback, any free port) */
  gatewayListen?: string;
  /** the namespace the gateway proxy runs in: "public" (the netlink driver shares its pin through the gateway's
   * grant netns), a pin file, or "-" (default: the kernel's own) */
  gatewayNs?: string;
  /** how long to wait for registration (default 120 s) */
  registerTimeoutMs?: number;
  manifest?: string;
  /**
   * Live upgrade from `hubUrl` (kernel/upgrade/, docs/upgrade.md): the release channel to follow, e.g.
   * `tf-zos/zos-dev.fl`; checked every intervalMs (default 60 min; 0 = only on demand). Without `manifest`,
   * the node starts from the active release when one was installed.
   */
  upgrade?: { channel: string; intervalMs?: number; settleMs?: number; healthTimeoutMs?: number };
  /**
   * The node's data disks. Default (as root): sparse files under `${stateDir}/disks` on loop devices, two
   * of 20 GiB, the last one HDD (`DevDiskOptions` changes that); "none" gives no disk (the node then
   * does not register: no SSD); or given devices and the names of those to treat as HDD.
   */
  disks?: Partial<DevDiskOptions> | "none" | { devices: string[]; hdd: string[] };
}

export interface RunningNode {
  nodeId: number;
  twinId: number;
  kernel: KernelHandle["kernel"];
  /** the loop devices this node got (empty when given devices or none) */
  disks: string[];
  /** the live upgrade agent (null without `upgrade`) */
  upgrader: Upgrader | null;
  /** the release the node started from: its version and hash (null: the installed one) */
  release: { version: string; hash: string | null };
  /** the registrar's state (zos.system.diagnostics shows the same) */
  registration(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function hostOf(url: string, what: string, protocols = ["ws:", "wss:"]): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${what} "${url}" is not a URL (expected ${protocols.map((p) => p + "//host:port").join(" or ")})`);
  }
  if (!protocols.includes(u.protocol)) throw new Error(`${what} "${url}" must be a ${protocols.map((p) => p + "//").join(" or ")} URL`);
  return u.port ? u.host : `${u.hostname}:${u.protocol === "wss:" || u.protocol === "https:" ? 443 : 80}`;
}

function writeSecret(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The flist driver's hubs (${hubhosts}: host:port list its net permission and policy allow) and the block
 * store of legacy `.flist`s (${hubstore}): the dev hub serves both over HTTP; Zero-OS uses its hubs and 0-db. */
export function flistHubVars(hubUrl?: string): { hubhosts: string; hubstore: string } {
  if (!hubUrl) return { hubhosts: ZOS_HUB_HOSTS, hubstore: "zdb://hub.threefold.me:9900" };
  const u = new URL(hubUrl);
  return { hubhosts: `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`, hubstore: `${hubUrl.replace(/\/+$/, "")}/blocks` };
}
export const ZOS_HUB_HOSTS = "hub.threefold.me:443,v4.hub.threefold.me:443,hub.threefold.me:9900";

/** `npm start`'s 0-db address: loopback on 0-db's usual port 9900 when it is free, else any free port. */
export function devZdbListen(): Promise<string> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve("127.0.0.1:0"));
    probe.listen(9900, "127.0.0.1", () => probe.close(() => resolve("127.0.0.1:9900")));
  });
}

export async function startNode(o: NodeOptions): Promise<RunningNode> {
  if (!Number.isInteger(o.farmId) || o.farmId <= 0) throw new Error(`farm id must be a positive integer, got ${o.farmId}`);
  const stateDir = resolve(o.stateDir);
  const vars = {
    chainurl: o.chainUrl,
    chainhost: hostOf(o.chainUrl, "chain URL"),
    relayurl: o.relayUrl,
    relayhost: hostOf(o.relayUrl, "relay URL"),
    farm: String(o.farmId),
    // no activation service: "" (the chain driver falls back to the faucet file) and no extra host
    activationurl: o.activationUrl ?? "",
    activationhost: o.activationUrl ? hostOf(o.activationUrl, "activation URL", ["http:", "https:"]) : hostOf(o.chainUrl, "chain URL"),
    zdblisten: o.zdbListen ?? "127.0.0.1:0",
    ...flistHubVars(o.hubUrl),
    gatewaylisten: o.gatewayListen ?? "127.0.0.1:0",
    gatewayns: o.gatewayNs ?? "-",
    // the hypervisor's QEMU: the host's (the netboot image fetches it as a pinned extension flist instead)
    qemu: "/usr/bin/qemu-system-x86_64",
  };
  for (const d of ["", "chain", "hostfacts", "kv", "zdb"]) mkdirSync(join(stateDir, d), { recursive: true, mode: 0o700 });
  ensureTunNode(stateDir);
  ensureTunNode(stateDir, "hypervisor"); // QEMU opens VM taps through it (capabilities/hypervisor)
  if (o.faucetMnemonic) writeSecret(join(stateDir, "chain", "faucet"), o.faucetMnemonic);
  // Ready means what a user needs: registered on chain and the api serving its zos.* commands through the
  // rmb driver (it says so once its serve call succeeded), so the first request after start is answered.
  let apiServing = false;
  const onEvent = (e: KernelEvent) => {
    if (e.event === "output" && e.process === "api" && /serving \d+ zos\.\* commands/.test(String(e.line))) apiServing = true;
    o.onEvent?.(e);
  };
  let dev: DevDisks | null = null;
  let devices: string[] = [];
  let hdd: string[] = [];
  if (o.disks && o.disks !== "none" && "devices" in o.disks) {
    devices = o.disks.devices;
    hdd = o.disks.hdd;
  } else if (o.disks !== "none" && canAttachLoops()) {
    dev = await attachDevDisks({ dir: join(stateDir, "disks"), ...(o.disks ?? {}) });
    devices = dev.devices;
    hdd = dev.hdd;
  }
  const diskVars = { disks: devices.join(",") || "-", hdd: hdd.join(",") || "-", requiressd: "yes" };
  // A reboot boots the active release (the last upgrade that held), else the installed one.
  const boot = bootRelease(stateDir, NODE_MANIFEST);
  if (boot.note) onEvent({ t: 0, event: "upgrade-boot-fallback", note: boot.note });
  let handle: KernelHandle;
  try {
    handle = await startKernel({ manifest: o.manifest ?? boot.manifest, stateDir, onEvent, vars: { ...vars, ...diskVars }, bootTimeoutMs: 60_000 });
  } catch (err) {
    await dev?.detach().catch(() => {}); // the start's own error is the one to report
    throw err;
  }
  let upgrader: Upgrader | null = null;
  if (o.upgrade) {
    if (!o.hubUrl) throw new Error("upgrade: a release channel needs the hub (hubUrl) to follow it on");
    upgrader = new Upgrader({
      kernel: handle.kernel, stateDir, hubUrl: o.hubUrl, channel: o.upgrade.channel, intervalMs: o.upgrade.intervalMs,
      settleMs: o.upgrade.settleMs, healthTimeoutMs: o.upgrade.healthTimeoutMs, installedVersion: boot.version,
    });
    handle.kernel.upgrade = upgrader;
  }
  const stopAll = async (ms: number) => {
    try {
      await upgrader?.stop();
      await handle.stop(ms);
    } finally {
      // what the drivers left mounted below the state dir (the netlink driver's namespace pins, among them the
      // mount namespace wireguard-go shares, which holds a copy of the pool mounts): unmounted deepest first, or
      // the loop devices stay busy after the node stopped (found by the fault suite), as PID 1 does at reboot
      if (dev) unmountBelow(stateDir);
      await dev?.detach();
    }
  };
  const registration = async (): Promise<Record<string, unknown>> => {
    const cap = await handle.kernel.grantFor("api", "registration");
    const r = await new StatusReport$Client(cap).status().promise();
    return JSON.parse(r.json) as Record<string, unknown>;
  };
  try {
    const timeout = o.registerTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeout;
    let last: Record<string, unknown> = {};
    upgrader?.start();
    for (;;) {
      try {
        last = await registration();
        if (last.state === "registered" && typeof last.node_id === "number" && typeof last.twin_id === "number" && apiServing) break;
        if (last.state === "registered") last = { ...last, state: "registered, api not serving yet" };
      } catch (err) {
        last = { error: (err as Error).message };
      }
      if (Date.now() > deadline) {
        throw new Error(`node not registered within ${timeout / 1000} s: ${String(last.last_error ?? last.error ?? last.state ?? "no answer")}`);
      }
      await sleep(250);
    }
    return {
      nodeId: last.node_id as number,
      twinId: last.twin_id as number,
      kernel: handle.kernel,
      disks: dev?.devices ?? [],
      upgrader,
      release: { version: boot.version, hash: o.manifest ? null : boot.hash },
      registration,
      stop: () => stopAll(10_000),
    };
  } catch (err) {
    await stopAll(5000).catch(() => {});
    throw err;
  }
}
