// The farm's network checks (vm-tests/farm.ts, inside the farm's namespace): the first node becomes the
// access node (the farmer's public config on chain, on the farm's bridge), a user network with an NR on
// every node (the hidden ones peer with the access node, whose endpoint is its public address), and a
// "laptop": a WireGuard peer of that network on the test host, as a user's machine is an access point of
// its network on Zero-OS. Its device lives in a namespace of its own (the farm's namespace has the bridge's
// subnet on-link, so nothing there could prove a path through an NR); its UDP socket stays in the farm's
// namespace (wireguard-go started there and the device moved, as the node does with an NR's). From the
// laptop: a ping of every NR's gateway over the mesh, and a redis-cli session with a 0-db namespace
// deployed on a hidden node, routed through the access node's NR (its uplink through ndmz to the LAN).
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { NetOps } from "../capabilities/netlink/ops.ts";
import { denoSys } from "../capabilities/netlink/sys.ts";
import type { ChainClient } from "../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../capabilities/rmb/signer.ts";
import { workloadViews } from "../cli/commands/client/deploy.ts";
import { FARM_GATEWAY, FARM_SUBNET } from "./lib/farm-netns.ts";
import type { NodeUser } from "./lib/workloads.ts";

/** The access node's public config: an address on the farm's bridge, the bridge's gateway as gw4. */
export const ACCESS_IP = `${FARM_SUBNET}.201`;
export const accessConfig = () => ({
  ip4: { ip: `${ACCESS_IP}/24`, gw: FARM_GATEWAY },
  ip6: { ip: "2001:db8:99::c9/64", gw: "2001:db8:99::fe" },
  domain: "node1.farm.test",
});

/** The user network: one /24 per node of 10.60.0.0/16, the laptop's after them. */
export const NET_RANGE = "10.60.0.0/16";
export const subnetOf = (i: number): string => `10.60.${i + 1}.0/24`;
/** WireGuard address of subnet 10.60.K.0/24 (modules/network/nr.ts wgAddress) */
export const wgIpOf = (i: number): string => `100.64.60.${i + 1}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function wgKeys(): { priv: string; pub: string } {
  const k = generateKeyPairSync("x25519");
  const j = k.privateKey.export({ format: "jwk" }) as { d: string; x: string };
  const b64 = (u: string) => Buffer.from(u, "base64url").toString("base64");
  return { priv: b64(j.d), pub: b64(j.x) };
}

/** Signs the access node's public config as the farm's twin; waits until the node applied it (zos.network.public_config_get). */
export async function makeAccessNode(client: ChainClient, farmerMnemonic: string, farmId: number, nodeId: number, u: NodeUser, timeoutMs: number): Promise<unknown> {
  const submitter = client.submitter(await signerFromMnemonic(farmerMnemonic, "sr25519"));
  await submitter.submit("tfgridModule", "addNodePublicConfig", farmId, nodeId, accessConfig());
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const pc = (await u.call("zos.network.public_config_get")) as { ipv4?: string };
      if (pc?.ipv4 === `${ACCESS_IP}/24`) return pc;
      last = JSON.stringify(pc);
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`node ${nodeId} did not apply its public config within ${timeoutMs / 1000} s: ${last}`);
    await sleep(2000);
  }
}

export interface Member {
  keys: { priv: string; pub: string };
  subnet: string;
  port: number;
}

/** The `network` deployment of member `me` of `members` (index 0 = the access node; last = the laptop). */
export function networkOn(me: number, members: Member[], accessEndpoint: string): string {
  const m = members[me];
  const cover = (i: number) => [members[i].subnet, `${wgIpOf(i)}/32`];
  // the access node peers with everyone (no endpoints: the hidden nodes and the laptop call in); a hidden
  // node peers with the access node only, reaching every other member through it
  const peers = me === 0
    ? members.slice(1).map((p, j) => ({ subnet: p.subnet, wireguard_public_key: p.keys.pub, allowed_ips: cover(j + 1), endpoint: "" }))
    : [{
      subnet: members[0].subnet,
      wireguard_public_key: members[0].keys.pub,
      allowed_ips: members.flatMap((_, i) => (i === me ? [] : cover(i))),
      endpoint: accessEndpoint,
    }];
  return JSON.stringify({
    version: 0,
    metadata: "",
    description: "farm: a network across the farm's nodes",
    expiration: 0,
    workloads: [{
      version: 0,
      name: "farmnet",
      type: "network",
      metadata: "",
      description: "",
      data: { ip_range: NET_RANGE, subnet: m.subnet, wireguard_private_key: m.keys.priv, wireguard_listen_port: m.port, peers },
    }],
  });
}

export function failIfNotOk(what: string, r: { ok: boolean; deployment: unknown }): void {
  const bad = workloadViews(r.deployment).filter((w) => w.state !== "ok");
  if (!r.ok || bad.length) throw new Error(`${what} did not reach ok: ${bad.map((w) => `${w.name}=${w.state} ${w.message}`).join("; ") || "no workloads"}`);
}

export interface Laptop {
  /** the laptop namespace's pin (nsenter --net=<pin>) */
  pin: string;
  /** runs argv inside the laptop's namespace; resolves with stdout, rejects with stderr */
  run(argv: string[], input?: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * The laptop: namespace `lap` pinned under `work`, WireGuard `zt-lap` with its address, one peer (the access
 * node's NR) for the network's range and the `via` host routes, which go through that NR too.
 */
export async function startLaptop(work: string, o: { me: number; member: Member; access: Member; endpoint: string; via: string[] }): Promise<Laptop> {
  const ops = new NetOps(denoSys(), join(work, "lap-ns"), join(work, "lap-wg"));
  try {
    ops.nsAdd("lap");
    const routes = [NET_RANGE, ...o.via.map((ip) => `${ip}/32`)];
    await ops.wgUp({
      listenNs: "", into: "lap", name: "zt-lap", address: `${wgIpOf(o.me)}/16`,
      config: {
        private_key: o.member.keys.priv, listen_port: o.member.port,
        peers: [{ public_key: o.access.keys.pub, endpoint: o.endpoint, allowed_ips: [...routes, "100.64.0.0/16"], persistent_keepalive: 5 }],
      },
    });
    for (const dst of routes) ops.routeAdd("lap", { dst, dev: "zt-lap" });
  } catch (err) {
    await ops.teardown().catch(() => {});
    throw err;
  }
  const pin = ops.pin("lap");
  return {
    pin,
    run: (argv, input, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const c = execFile("nsenter", [`--net=${pin}`, "--", ...argv], { encoding: "utf8", timeout: timeoutMs }, (err, out, stderr) => {
          if (err) reject(new Error(`${argv.join(" ")} in the laptop's namespace: ${(stderr || err.message).trim()}`));
          else resolve(out);
        });
        c.stdin?.end(input ?? "");
      }),
    close: () => ops.teardown(),
  };
}

/** Pings `ip` from the laptop until it answers (WireGuard handshakes take a few seconds). */
export async function pingUntil(lap: Laptop, ip: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  let last = "";
  for (;;) {
    try {
      await lap.run(["ping", "-n", "-c", "1", "-W", "2", ip]);
      return Date.now() - t0;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${ip} did not answer a ping from the laptop within ${timeoutMs / 1000} s: ${last}`);
    await sleep(1000);
  }
}

/** A redis-cli session with a 0-db namespace: SELECT with its password, SET, GET; returns what GET answered. */
export async function zdbSession(lap: Laptop, o: { ip: string; port: number; ns: string; password: string }): Promise<string> {
  const key = `farm-${randomBytes(4).toString("hex")}`;
  const value = `through-the-nr-${randomBytes(4).toString("hex")}`;
  const out = await lap.run(["redis-cli", "-h", o.ip, "-p", String(o.port)], `PING\nSELECT ${o.ns} ${o.password}\nSET ${key} ${value}\nGET ${key}\n`, 20_000);
  const lines = out.trim().split("\n").map((l) => l.trim());
  if (lines[0] !== "PONG" || lines[1] !== "OK" || lines.at(-1) !== value) {
    throw new Error(`redis-cli against ${o.ip}:${o.port} (namespace ${o.ns}) answered ${JSON.stringify(lines)}; expected PONG, OK, …, ${value}`);
  }
  return value;
}
