// `zos grid up`: the local grid on loopback — the dev chain, the RMB relay when this build has one, and the
// activation service that funds new node accounts (what `activation=` points a node at).
// With --json the first stdout line is one JSON object (chain_url, relay_url, user_mnemonic, ...).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";

const HELP = `zos grid up — run the local grid (dev chain + RMB relay) on loopback until Ctrl-C

usage: zos grid up [--json] [--state DIR] [--port N] [--relay-port N] [--activation-port N] [--proxy-port N]
                  [--graphql-port N] [--kyc-port N] [--block-time MS] [--host H]

  --state DIR        state folder (chain blocks + dev accounts); default .zos-dev/grid
  --port N           chain JSON-RPC port (WebSocket and HTTP POST); default 9944, 0 = any free port
  --relay-port N     relay port; default 0 = any free port
  --activation-port N  activation service port (POST /activation/activate funds a new node account
                     with 10 TFT from the dev account bob); default 0 = any free port
  --proxy-port N     explorer (grid proxy REST API) port; default 0 = any free port
  --graphql-port N   indexer (GraphQL, at /graphql) port; default 0 = any free port
  --kyc-port N       KYC service (HTTPS) port; default 0 = any free port
  --block-time MS    block time in ms; 0 = a block as soon as an extrinsic arrives; default 1000
  --host H           127.0.0.1 (default) or ::1
  --json             first stdout line: {"chain_url","chain_http_url","relay_url","activation_url","proxy_url",
                     "graphql_url","hub_url","flists","client_env","user_mnemonic",...}

The chain keeps its state in the state folder and resumes from it on the next start. Its genesis has
funded sr25519 dev accounts (alice, bob, charlie, farmer; mnemonics printed) and farm 1 owned by farmer.
Around the chain run what the official GridClient needs: the explorer (grid proxy API), the indexer
(GraphQL) and a KYC service; client_env lists the variables a program using the official client sets
so its fixed KYC host reaches the local one (see docs/dev-chain.md).`;

function intFlag(v: string | undefined, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UserError(`zos grid up: --${name} must be an integer ${min}..${max} (got "${v}")`, 2);
  }
  return Number(v);
}

async function up(argv: string[]): Promise<number> {
  const p = parse(argv, {
    state: { type: "string" },
    port: { type: "string" },
    "relay-port": { type: "string" },
    "activation-port": { type: "string" },
    "proxy-port": { type: "string" },
    "graphql-port": { type: "string" },
    "kyc-port": { type: "string" },
    "block-time": { type: "string" },
    host: { type: "string" },
  }, "grid up");
  if (p.help) {
    console.log(HELP);
    return 0;
  }
  if (p.positionals.length) {
    throw new UserError(
      `zos grid up: unexpected argument "${p.positionals[0]}". Run \`zos grid up --help\`.`,
      2,
    );
  }
  const host = str(p, "host") ?? "127.0.0.1";
  if (host !== "127.0.0.1" && host !== "::1") {
    throw new UserError(
      `zos grid up: --host must be 127.0.0.1 or ::1 (the local grid never listens beyond loopback)`,
      2,
    );
  }
  const port = intFlag(str(p, "port"), "port", 0, 65535, 9944);
  const relayPort = intFlag(str(p, "relay-port"), "relay-port", 0, 65535, 0);
  const activationPort = intFlag(str(p, "activation-port"), "activation-port", 0, 65535, 0);
  const proxyPort = intFlag(str(p, "proxy-port"), "proxy-port", 0, 65535, 0);
  const graphqlPort = intFlag(str(p, "graphql-port"), "graphql-port", 0, 65535, 0);
  const kycPort = intFlag(str(p, "kyc-port"), "kyc-port", 0, 65535, 0);
  const blockTimeMs = intFlag(str(p, "block-time"), "block-time", 0, 600_000, 1000);
  const stateDir = resolve(str(p, "state") ?? ".zos-dev/grid");
  const started = performance.now();

  const { startChain } = await import("../../grid/chain/mod.ts");
  let chain;
  try {
    chain = await startChain({ stateDir, host, port, blockTimeMs });
  } catch (e) {
    const msg = (e as Error).message;
    if (/EADDRINUSE|address already in use/i.test(msg)) {
      throw new UserError(
        `zos grid up: port ${port} on ${host} is in use; pass --port 0 for any free port or stop the other process`,
        1,
      );
    }
    throw new UserError(`zos grid up: the dev chain did not start: ${msg}`, 1);
  }
  let relay: { url: string; stop(): Promise<void> } | null = null;
  const relayMod = new URL("../../grid/relay/mod.ts", import.meta.url);
  if (existsSync(relayMod)) {
    try {
      const { startRelay } = await import(relayMod.href);
      relay = await startRelay({
        chainUrl: chain.url,
        host,
        port: relayPort,
        stateDir: resolve(stateDir, "relay"),
      });
    } catch (e) {
      await chain.stop();
      throw new UserError(`zos grid up: the relay did not start: ${(e as Error).message}`, 1);
    }
  }
  // bob funds nodes, so the user account (devAccounts[0]) never races the service for a nonce
  const funderAccount = chain.devAccounts.find((a) => a.name === "bob") ?? chain.devAccounts[1];
  let activation: { url: string; stop(): Promise<void> };
  try {
    const { startActivation } = await import("../../grid/activation/mod.ts");
    activation = await startActivation({ chainUrl: chain.url, funderMnemonic: funderAccount.mnemonic, host, port: activationPort });
  } catch (e) {
    await relay?.stop();
    await chain.stop();
    const msg = (e as Error).message;
    if (/EADDRINUSE|address already in use/i.test(msg)) {
      throw new UserError(`zos grid up: activation port ${activationPort} on ${host} is in use; pass --activation-port 0 for any free port`, 1);
    }
    throw new UserError(`zos grid up: the activation service did not start: ${msg}`, 1);
  }
  let services: import("../../grid/services.ts").GridServices;
  let explorerRmb: { close(): Promise<void> } | null = null;
  try {
    const { startGridServices } = await import("../../grid/services.ts");
    services = await startGridServices({ chain: chain.chain, stateDir, host, proxyPort, graphqlPort, kycPort });
  } catch (e) {
    await activation.stop();
    await relay?.stop();
    await chain.stop();
    const msg = (e as Error).message;
    if (/EADDRINUSE|address already in use/i.test(msg)) {
      throw new UserError(`zos grid up: an explorer/indexer/KYC port on ${host} is in use; pass --proxy-port 0 --graphql-port 0 --kyc-port 0 for any free ports`, 1);
    }
    throw new UserError(`zos grid up: the explorer services did not start: ${msg}`, 1);
  }
  if (relay) {
    // the explorer asks nodes over RMB with a twin of its own, funded by farmer (which nothing else signs with)
    try {
      const { ChainClient } = await import("../../capabilities/chain/mod.ts");
      const { signerFromMnemonic } = await import("../../capabilities/rmb/signer.ts");
      const { DevFaucet } = await import("./dev/faucet.ts");
      const { connectExplorerRmb } = await import("./dev/explorer_rmb.ts");
      const funder = chain.devAccounts.find((a) => a.name === "farmer") ?? chain.devAccounts[3];
      const c = await ChainClient.connect({ urls: [chain.url] });
      try {
        const rmb = await connectExplorerRmb(stateDir, chain.url, relay.url, c, new DevFaucet(c, await signerFromMnemonic(funder.mnemonic, "sr25519")));
        services.setAsk(rmb.ask);
        explorerRmb = rmb;
      } finally {
        await c.close();
      }
    } catch (e) {
      console.error(`zos grid up: the explorer has no RMB session (${(e as Error).message}); node features and statistics stay empty`);
    }
  }
  await services.guests; // the ready-made guests on the hub (built once, cached in rootfs/cache)
  const readyMs = Math.round(performance.now() - started);
  const user = chain.devAccounts[0];
  const info = {
    chain_url: chain.url,
    chain_http_url: chain.httpUrl,
    relay_url: relay?.url ?? null,
    activation_url: activation.url,
    proxy_url: services.proxyUrl,
    graphql_url: services.graphqlUrl,
    kyc_url: services.kyc.url,
    hub_url: services.hub.url,
    flists: services.hub.flists(),
    network: "dev",
    client_env: services.clientEnv,
    user_mnemonic: user.mnemonic,
    user_address: user.address,
    dev_accounts: chain.devAccounts,
    farm_id: 1,
    state_dir: stateDir,
    block_time_ms: blockTimeMs,
    ready_ms: readyMs,
  };
  if (p.json) {
    console.log(JSON.stringify(info));
  } else {
    console.log(
      `dev chain  ${chain.url}  (HTTP ${chain.httpUrl}, block time ${blockTimeMs || "instant"}${
        blockTimeMs ? " ms" : ""
      })`,
    );
    console.log(`relay      ${relay ? relay.url : "(not in this build)"}`);
    console.log(`activation ${activation.url}  (funds new node accounts from ${funderAccount.name})`);
    console.log(`explorer   ${services.proxyUrl}  (grid proxy API)`);
    console.log(`graphql    ${services.graphqlUrl}`);
    console.log(`kyc        ${services.kyc.url}  (every account VERIFIED; client_env routes kyc.dev.grid.tf here)`);
    console.log(`hub        ${services.hub.url}  (flists; \`zos hub push DIR NAME\` adds one)`);
    console.log(`state      ${stateDir}`);
    console.log(`farm 1 "zt-dev-farm" owned by farmer`);
    console.log("dev accounts (sr25519, 1,000,000 TFT at genesis):");
    for (const a of chain.devAccounts) console.log(`  ${a.name.padEnd(8)} ${a.address}  ${a.mnemonic}`);
    console.log(`ready in ${readyMs} ms — Ctrl-C to stop`);
  }

  return await new Promise<number>((done) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      try {
        await explorerRmb?.close();
        await services.stop();
        await activation.stop();
        await relay?.stop();
      } finally {
        await chain.stop();
      }
      if (!p.json) console.error("grid stopped");
      done(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export const command: Command = {
  summary: "run the local grid (dev chain + RMB relay)",
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
      console.log(HELP);
      return sub ? 0 : 2;
    }
    if (sub === "up") return await up(rest);
    throw new UserError(`zos grid: unknown subcommand "${sub}". Run \`zos grid --help\`.`, 2);
  },
};
