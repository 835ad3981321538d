// Workloads on a booted image, deployed as a grid user does it: our client (`zos client deploy`'s code: a
// node contract on the dev chain with the deployment's hash, the deployment signed and sent over the relay,
// followed with zos.deployment.get until it settles), then read back through the node's own API.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deploy, type DeployResult, workloadViews } from "../../cli/commands/client/deploy.ts";
import { openSession, type UserSession } from "../../cli/commands/client/session.ts";

const EXAMPLES = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "examples");
export const GiB = 1024 ** 3;

export interface NodeUser {
  session: UserSession;
  /** zos.* call to the node over the relay */
  call(command: string, payload?: unknown): Promise<unknown>;
  deploy(text: string, timeoutMs: number): Promise<DeployResult>;
  close(): Promise<void>;
}

export async function nodeUser(chainUrl: string, relayUrl: string, mnemonic: string, nodeId: number): Promise<NodeUser> {
  const session = await openSession({ chainUrl, relayUrl, mnemonic, keyType: "sr25519", nodeId }, 30_000);
  return {
    session,
    call: (command, payload) => session.peer.request(session.nodeTwinId, command, payload ?? "", { timeoutMs: 30_000 }),
    deploy: (text, timeoutMs) => deploy(session, text, timeoutMs, () => {}),
    close: () => session.close(),
  };
}

export interface Pool {
  name: string;
  type: string;
  size: number;
  used?: number;
}

/** A one-node network (no peers) with a fresh WireGuard key: the NR (namespace, bridge, wireguard-go, nft). */
export function networkDeployment(port: number): string {
  const key = randomBytes(32);
  key[0] &= 248; // a Curve25519 private key as `wg genkey` clamps it
  key[31] = (key[31] & 127) | 64;
  return JSON.stringify({
    version: 0,
    metadata: "",
    description: "vm-test: one-node network",
    expiration: 0,
    workloads: [{
      version: 0,
      name: "vmnet",
      type: "network",
      metadata: "",
      description: "",
      data: {
        ip_range: "10.40.0.0/16",
        subnet: "10.40.1.0/24",
        wireguard_private_key: key.toString("base64"),
        wireguard_listen_port: port,
        peers: [],
      },
    }],
  });
}

function failIfNotOk(what: string, r: DeployResult): void {
  const bad = workloadViews(r.deployment).filter((w) => w.state !== "ok");
  if (!r.ok || bad.length) throw new Error(`${what} did not reach ok: ${bad.map((w) => `${w.name}=${w.state} ${w.message}`).join("; ") || "no workloads"}`);
}

export interface StorageAndNetwork {
  pools: Pool[];
  zmount: { contract: number; volumeId: string };
  volume: { contract: number };
  network: { contract: number; port: number };
  usedSruDelta: number;
  notes: string[];
}

/**
 * On the booted node: its pools (one per data disk, `minPoolBytes` at least), then examples/zmount.json and
 * examples/volume.json as they are (1 GiB each) and a one-node network, each reaching ok; the node's used
 * SRU grows by the two sizes and the network's WireGuard port is in zos.network.list_wg_ports.
 */
export async function deployStorageAndNetwork(u: NodeUser, o: { minPoolBytes: number; timeoutMs: number }): Promise<StorageAndNetwork> {
  const notes: string[] = [];
  const pools = (await u.call("zos.storage.pools")) as Pool[];
  const big = pools.filter((p) => p.type === "ssd" && p.size >= o.minPoolBytes);
  if (!big.length) throw new Error(`no SSD pool of at least ${o.minPoolBytes} bytes on the node's data disk: zos.storage.pools = ${JSON.stringify(pools)}`);
  notes.push(`pools: ${pools.map((p) => `${p.name} ${p.type} ${(p.size / GiB).toFixed(2)} GiB`).join(", ")}`);
  const usedSru = async () => Number(((await u.call("zos.statistics.get")) as { used: { sru: number } }).used.sru);
  const before = await usedSru();

  const z = await u.deploy(readFileSync(join(EXAMPLES, "zmount.json"), "utf8"), o.timeoutMs);
  failIfNotOk("examples/zmount.json", z);
  const zw = workloadViews(z.deployment).find((w) => w.type === "zmount")!;
  const volumeId = String((zw.data as { volume_id?: string })?.volume_id ?? "");
  if (!volumeId.startsWith(`${u.session.twinId}-${z.contract_id}-`)) throw new Error(`zmount result carries no volume id of this twin and contract: ${JSON.stringify(zw.data)}`);
  const v = await u.deploy(readFileSync(join(EXAMPLES, "volume.json"), "utf8"), o.timeoutMs);
  failIfNotOk("examples/volume.json", v);
  const after = await usedSru();
  if (after - before !== 2 * GiB) throw new Error(`used SRU grew by ${after - before} bytes after a 1 GiB zmount and a 1 GiB volume (expected ${2 * GiB})`);
  notes.push(`zmount ${volumeId} and volume (contract ${v.contract_id}) ok: used SRU +${(after - before) / GiB} GiB`);

  const port = 3400 + Math.floor(Math.random() * 500);
  const n = await u.deploy(networkDeployment(port), o.timeoutMs);
  failIfNotOk("the one-node network", n);
  const ports = (await u.call("zos.network.list_wg_ports")) as number[];
  if (!ports.includes(port)) throw new Error(`zos.network.list_wg_ports ${JSON.stringify(ports)} lacks the network's port ${port}`);
  notes.push(`network ok (contract ${n.contract_id}): wireguard port ${port} listed by zos.network.list_wg_ports`);
  return {
    pools,
    zmount: { contract: z.contract_id, volumeId },
    volume: { contract: v.contract_id },
    network: { contract: n.contract_id, port },
    usedSruDelta: after - before,
    notes,
  };
}

/** zos.deployment.get of a contract: every workload's state by name. */
export async function workloadStates(u: NodeUser, contract: number): Promise<Record<string, string>> {
  const d = await u.call("zos.deployment.get", { contract_id: contract });
  return Object.fromEntries(workloadViews(d).map((w) => [w.name, w.state]));
}

/**
 * examples/zdb.json as it is: the node's 0-db server starts on demand for it (manifests/node.json), so from
 * then on it listens on 9900 (the port probe's positive control). Its result is Zero-OS's: Namespace, IPs, Port.
 */
export async function deployZdb(u: NodeUser, timeoutMs: number): Promise<{ contract: number; namespace: string; port: number; note: string }> {
  const r = await u.deploy(readFileSync(join(EXAMPLES, "zdb.json"), "utf8"), timeoutMs);
  failIfNotOk("examples/zdb.json", r);
  const z = workloadViews(r.deployment).find((w) => w.type === "zdb")!.data as { Namespace: string; IPs: string[]; Port: number };
  return { contract: r.contract_id, namespace: z.Namespace, port: z.Port, note: `zdb ok (contract ${r.contract_id}): namespace ${z.Namespace} on port ${z.Port}` };
}
