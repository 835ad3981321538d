// The dev farm's access node (`zos dev --access-node K`): what a farmer does on a real grid, done on the dev
// chain with the farm's own twin — the node's public config (TfgridModule.add_node_public_config) on the
// private underlay, and a few farm public IPs (add_farm_ip) that node contracts reserve for `ip` workloads.
// Then it waits until the node's network module applied the config on its `public` namespace.
import type { ChainClient } from "../../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { accessConfigOf, FARM_IPS, LAN_GATEWAY, waitForPublicAddress } from "./underlay.ts";

export interface AccessNode {
  node_id: number;
  public_ipv4: string;
  gw4: string;
  public_ipv6: string;
  gw6: string;
  domain: string;
  /** the farm's public IPs on the underlay (reserved by contracts with public_ips > 0) */
  farm_ips: string[];
}

const text = (v: unknown): string => {
  const s = String(v ?? "");
  return /^0x([0-9a-f]{2})+$/i.test(s) ? Buffer.from(s.slice(2), "hex").toString("utf8") : s;
};

export async function setUpAccessNode(
  client: ChainClient,
  o: { farmId: number; nodeId: number; index: number; nodeDir: string; farmerMnemonic: string },
): Promise<AccessNode> {
  const submitter = client.submitter(await signerFromMnemonic(o.farmerMnemonic, "sr25519"));
  const reader = client.read;
  const pc = accessConfigOf(o.index);
  const node = await reader.node(o.nodeId);
  const now = node?.publicConfig;
  // a second start finds it set already: nothing to submit (and the node keeps its config)
  if (!now || text(now.ip4?.ip) !== pc.ip4.ip || text(now.ip6?.ip) !== pc.ip6.ip || text(now.domain) !== pc.domain) {
    await submitter.submit("tfgridModule", "addNodePublicConfig", o.farmId, o.nodeId, pc);
  }
  const farm = await reader.farm(o.farmId);
  const have = new Set(((farm?.publicIps ?? []) as { ip: unknown }[]).map((x) => text(x.ip)));
  for (const ip of FARM_IPS) if (!have.has(ip)) await submitter.submit("tfgridModule", "addFarmIp", o.farmId, ip, LAN_GATEWAY);
  await waitForPublicAddress(o.nodeDir, pc.ip4.ip);
  return {
    node_id: o.nodeId, public_ipv4: pc.ip4.ip, gw4: pc.ip4.gw, public_ipv6: pc.ip6.ip, gw6: pc.ip6.gw, domain: pc.domain, farm_ips: FARM_IPS,
  };
}
