// Test helper (run under Node with endpoints.json's client_env, as a user's program): the official
// @threefold/grid_client deploys a gateway name (GatewayNameModel → name contract + node contract +
// gateway-name-proxy workload) or deletes it. Prints one line `RESULT <json>`.
//   node gateway-gridclient.test-helper.mjs ENDPOINTS deploy|delete NAME [BACKEND]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [file, mode, name, backend] = process.argv.slice(2);
const ep = JSON.parse(readFileSync(file, "utf8"));
const { GridClient } = createRequire(import.meta.url)("@threefold/grid_client");
const grid = new GridClient({
  mnemonic: ep.user_mnemonic, network: ep.network ?? "dev", substrateURL: ep.chain_url, relayURL: ep.relay_url,
  proxyURL: ep.proxy_url, graphqlURL: ep.graphql_url, activationURL: ep.activation_url, deploymentTimeoutMinutes: 2,
});
let out;
try {
  await grid.connect();
  if (mode === "deploy") {
    const r = await grid.gateway.deploy_name({ name, node_id: ep.node_id, tls_passthrough: false, backends: [backend] });
    const got = await grid.gateway.get_name({ name });
    out = { contracts: r.contracts, workloads: got.flatMap((d) => d.workloads).map((w) => ({ type: w.type, state: w.result.state, message: w.result.message, data: w.result.data })) };
  } else {
    await grid.gateway.delete_name({ name });
    out = { deleted: true };
  }
} catch (e) {
  out = { error: String(e?.message ?? e) };
} finally {
  await grid.disconnect().catch(() => {});
}
console.log(`RESULT ${JSON.stringify(out)}`);
process.exit(0);
