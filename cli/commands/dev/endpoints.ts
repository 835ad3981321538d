// .zos-dev/endpoints.json: what `npm start` hands a newcomer (and `zos client` reads): where the local
// grid is, who the node is, and a funded user to deploy with.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../../capabilities/lib/fs/atomic.ts";
import type { GatewayAccess } from "./gateway-access.ts";

export interface Endpoints {
  chain_url: string;
  relay_url: string;
  node_twin_id: number;
  node_id: number;
  farm_id: number;
  user_mnemonic: string;
  user_twin_id: number;
  /** key type of user_mnemonic's account */
  user_key_type: "sr25519" | "ed25519";
  /** every node of the dev grid (`zos dev --nodes N`), with its public IP on the dev underlay */
  nodes?: { node_id: number; twin_id: number; public_ip: string | null }[];
  /** the farm's access node (zos dev --access-node, root): its public config on chain and the farm's public IPs */
  access_node?: { node_id: number; public_ipv4: string; gw4: string; public_ipv6: string; gw6: string; domain: string; farm_ips: string[] };
  /** the dev underlay's network namespace: `nsenter --net=<lan_netns>` reaches every node's public address */
  lan_netns?: string;
  /** the access node's gateway :443 as a client on this host reaches it (root, access node): https://127.0.0.1:PORT */
  gateway_url?: string;
  /** the same with its facts: host_port, public_address (IP:443 on the dev LAN), domain, ca_pem (the node's CA), demo_backends */
  gateway?: GatewayAccess;
  /** GridClient's `network` for this grid (it names the KYC host client_env routes): always "dev" */
  network?: "dev";
  /** the explorer (grid proxy REST API): GridClient's proxyURL (no trailing slash) */
  proxy_url?: string;
  /** the indexer's GraphQL endpoint: GridClient's graphqlURL */
  graphql_url?: string;
  /** the activation service: GridClient's activationURL */
  activation_url?: string;
  /** the dev KYC service (HTTPS, dev CA): PUT /api/v1/dev/status {"client_id","status"} marks an account */
  kyc_url?: string;
  /** the flist hub (Zero-OS hub API; `zos hub push DIR NAME` publishes a directory) */
  hub_url?: string;
  /** flists on the hub at start: "user/file.fl" → download URL */
  flists?: Record<string, string>;
  /** environment a program using the official client sets (NODE_OPTIONS preload, NODE_EXTRA_CA_CERTS, NO_PROXY) */
  client_env?: Record<string, string>;
}

export const DEFAULT_STATE_DIR = ".zos-dev";

export function endpointsPath(stateDir: string): string {
  return join(stateDir, "endpoints.json");
}

export function writeEndpoints(stateDir: string, e: Endpoints): string {
  const path = endpointsPath(stateDir);
  // 0600: it holds a (dev-only) mnemonic
  writeFileAtomic(path, JSON.stringify(e, null, 2) + "\n", { mode: 0o600, mkdirMode: 0o700 });
  return path;
}

/** Reads and checks the file; throws an Error whose message says what is wrong and what to do. */
export function readEndpoints(path: string): Endpoints {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`cannot read ${path}: start the local grid with \`npm start\` first (or pass --chain, --relay, --mnemonic, --node)`);
  }
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); delete it and run \`npm start\` again`);
  }
  const need = (k: string, type: "string" | "number") => {
    const actual = typeof v[k];
    if (actual !== type) throw new Error(`${path}: "${k}" is missing or not a ${type}; run \`npm start\` again`);
  };
  need("chain_url", "string");
  need("relay_url", "string");
  need("node_twin_id", "number");
  need("node_id", "number");
  need("user_mnemonic", "string");
  return {
    chain_url: v.chain_url as string,
    relay_url: v.relay_url as string,
    node_twin_id: v.node_twin_id as number,
    node_id: v.node_id as number,
    farm_id: typeof v.farm_id === "number" ? v.farm_id : 0,
    user_mnemonic: v.user_mnemonic as string,
    user_twin_id: typeof v.user_twin_id === "number" ? v.user_twin_id : 0,
    user_key_type: v.user_key_type === "ed25519" ? "ed25519" : "sr25519",
    ...(typeof v.proxy_url === "string" ? { proxy_url: v.proxy_url } : {}),
    ...(typeof v.graphql_url === "string" ? { graphql_url: v.graphql_url } : {}),
    ...(typeof v.activation_url === "string" ? { activation_url: v.activation_url } : {}),
    ...(typeof v.kyc_url === "string" ? { kyc_url: v.kyc_url } : {}),
    ...(v.client_env && typeof v.client_env === "object" ? { client_env: v.client_env as Record<string, string> } : {}),
    ...(v.network === "dev" ? { network: "dev" as const } : {}),
    // the dev hub and its flists: deployment files name flists by these names (cli/commands/client/flists.ts)
    ...(typeof v.hub_url === "string" ? { hub_url: v.hub_url } : {}),
    ...(v.flists && typeof v.flists === "object" && Object.values(v.flists).every((u) => typeof u === "string")
      ? { flists: v.flists as Record<string, string> }
      : {}),
  };
}
