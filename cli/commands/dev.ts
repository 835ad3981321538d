// `zos dev` (= `npm start`): the local grid (dev chain + RMB relay) and one node on this host, plus a
// funded dev user; writes .zos-dev/endpoints.json once the node is registered and stays in the
// foreground until Ctrl-C. A second start reuses .zos-dev (same node identity, chain state, user).
import { resolve } from "node:path";
import process from "node:process";
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { quietPolkadotNoise } from "./dev/quiet_polkadot.ts";
import { DEFAULT_STATE_DIR } from "./dev/endpoints.ts";
import { startDevGrid } from "./dev/grid.ts";

const USAGE = `usage: zos dev [--state DIR] [--nodes N] [--access-node K] [--block-time MS] [--chain-port P] [--relay-port P] [--disks N]
               [--hdd N] [--disk-size GIB] [--verbose] [--json]

Starts a dev chain, an RMB relay and one node on loopback, registers the node on the chain, funds a
dev user, writes DIR/endpoints.json (chain_url, relay_url, node_twin_id, node_id, user_mnemonic …) and
runs until Ctrl-C, which stops everything. State lives in DIR (default ${DEFAULT_STATE_DIR}); a second
start reuses it: same node identity, chain, deployments and user.

  --state DIR       state folder (default ${DEFAULT_STATE_DIR}; the chain lives in DIR/grid, as for \`zos grid up\`)
  --nodes N         run N nodes in the dev farm (default 1; DIR/node, DIR/node2 …); as root their public
                    namespaces are joined by a private underlay (198.18.0.N, nothing leaves this machine),
                    so network workloads can peer across them; endpoints.json lists them under "nodes"
  --access-node K   as root, node K (default 1; 0 = none) gets the farmer's public config on chain
                    (198.18.0.K/24, 2001:db8:18::K/64, domain nodeK.zos.test) and the farm 4 public IPs for
                    ip workloads; endpoints.json: "access_node", and "lan_netns" (nsenter --net=… reaches them).
                    Its gateway proxy serves :443 of its public namespace, reached from this host at
                    endpoints.json "gateway_url" (https://127.0.0.1:PORT; CA in "gateway".ca_pem); demo
                    backends for examples/gateway-*.json run on the dev LAN. Not root: no access node
  --block-time MS   block time of the dev chain in ms (default 1000; 0 = a block per extrinsic)
  --chain-port P    chain WebSocket port (default: any free port)
  --relay-port P    relay WebSocket port (default: any free port)
  --disks N         data disks for the node (default 2): sparse files DIR/node/disks/diskI.img on loop
                    devices (needs root), attached before the node starts and detached on stop;
                    0 = none (the node then does not register: Zero-OS needs an SSD)
  --hdd N           how many of them (the last ones) count as HDD (default 1; loop devices measure as SSD)
  --disk-size GIB   size of each sparse disk file (default 20; only what is written takes space)
  --verbose         log what every piece does (stderr)
  --json            print one JSON line per event instead of the human summary

Then, as a grid user: zos client deploy FILE | get ID | list | changes ID`;

function portFlag(p: ReturnType<typeof parse>, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UserError(`zos dev: --${name} must be a port number 1-65535, got "${v}"`, 2);
  return n;
}

export const command: Command = {
  summary: "local grid + one node on this host (npm start)",
  async run(argv: string[]): Promise<number> {
    quietPolkadotNoise();
    const p = parse(argv, {
      state: { type: "string" },
      "block-time": { type: "string" },
      "chain-port": { type: "string" },
      "relay-port": { type: "string" },
      disks: { type: "string" },
      hdd: { type: "string" },
      "disk-size": { type: "string" },
      nodes: { type: "string" },
      "access-node": { type: "string" },
      verbose: { type: "boolean" },
    }, "dev");
    if (p.help) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length) throw new UserError(`zos dev: unexpected argument "${p.positionals[0]}"; see zos dev --help`, 2);
    const blockText = str(p, "block-time") ?? "1000";
    const blockTimeMs = Number(blockText);
    if (!/^\d+$/.test(blockText) || blockTimeMs > 60_000) throw new UserError(`zos dev: --block-time must be 0-60000, got "${blockText}"`, 2);
    const stateDir = resolve(str(p, "state") ?? DEFAULT_STATE_DIR);
    const nodesText = str(p, "nodes") ?? "1";
    const nodes = Number(nodesText);
    if (!/^\d+$/.test(nodesText) || nodes < 1 || nodes > 16) throw new UserError(`zos dev: --nodes must be 1-16, got "${nodesText}"`, 2);
    const accessText = str(p, "access-node");
    if (accessText !== undefined && (!/^\d+$/.test(accessText) || Number(accessText) > nodes)) {
      throw new UserError(`zos dev: --access-node must be a node number 1-${nodes} (or 0 for none), got "${accessText}"`, 2);
    }
    const chainPort = portFlag(p, "chain-port");
    const relayPort = portFlag(p, "relay-port");
    const verbose = Boolean(p.values.verbose);
    const intFlag = (name: string, def: number, max: number): number => {
      const v = str(p, name) ?? String(def);
      if (!/^\d+$/.test(v) || Number(v) > max) throw new UserError(`zos dev: --${name} must be a whole number 0-${max}, got "${v}"`, 2);
      return Number(v);
    };
    const diskCount = intFlag("disks", 2, 16);
    const hddCount = intFlag("hdd", Math.min(1, diskCount), diskCount);
    const diskSize = intFlag("disk-size", 20, 4096);
    if (diskCount && diskSize < 1) throw new UserError(`zos dev: --disk-size must be at least 1 (GiB)`, 2);
    const emit = (event: string, fields: Record<string, unknown>) => {
      if (p.json) console.log(JSON.stringify({ event, ...fields }));
    };
    // Installed before anything starts, so a Ctrl-C that races start-up is not lost, and kept until
    // the process exits: removing them re-arms the default action on Deno.
    let stopSignal = "";
    let stopAt = 0;
    let up = false;
    const stopRequested = new Promise<void>((resolveStop) => {
      const onSignal = (sig: string) => {
        if (stopSignal) {
          // In a terminal one Ctrl-C arrives twice (from the tty and forwarded by bin/zos.js): only a
          // second press, a moment later, means "out now".
          if (Date.now() - stopAt < 1000) return;
          console.error(`zos dev: ${sig} again, exiting without a clean stop`);
          process.exit(130);
        }
        stopSignal = sig;
        stopAt = Date.now();
        if (!up) console.error(`zos dev: ${sig}: stopping as soon as start-up is done (again to force)`);
        resolveStop();
      };
      process.on("SIGINT", () => onSignal("SIGINT"));
      process.on("SIGTERM", () => onSignal("SIGTERM"));
    });
    const started = performance.now();
    if (!p.json) console.log(`zos dev: starting the local grid in ${stateDir} …`);
    let grid;
    try {
      grid = await startDevGrid({
        stateDir,
        blockTimeMs,
        chainPort,
        relayPort,
        disks: diskCount ? { count: diskCount, hdd: hddCount, sizeGiB: diskSize } : "none",
        nodes,
        // as root the first node is the access node (a public config with a gateway domain), so the gateway
        // examples serve after a plain `npm start`; not root: no underlay, no access node
        accessNode: accessText === undefined ? (process.getuid?.() === 0 ? 1 : undefined) : Number(accessText),
        log: verbose ? (l) => console.error(l) : undefined,
        onPhase: (phase, ms) => {
          emit("up", { phase, ms: Math.round(ms) });
          if (!p.json && verbose) console.error(`  ${phase} up after ${(ms / 1000).toFixed(1)} s`);
        },
      });
    } catch (err) {
      const msg = (err as Error).message;
      if (/EADDRINUSE|address already in use/i.test(msg)) {
        throw new UserError(`zos dev: a port is already in use (${msg}); pick others with --chain-port/--relay-port`, 1);
      }
      throw new UserError(`zos dev: the local grid did not come up: ${msg}\n(rerun with --verbose for details)`, 1);
    }
    up = true;
    const e = grid.endpoints;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    emit("ready", { ...e, endpoints_file: grid.endpointsFile, node_mode: grid.node.mode, new_node: grid.node.newIdentity, seconds: Number(secs) });
    if (!p.json) {
      console.log([
        `zos dev: ready in ${secs} s`,
        `  chain      ${e.chain_url}`,
        `  relay      ${e.relay_url}`,
        `  explorer   ${e.proxy_url}  (grid proxy API)`,
        `  graphql    ${e.graphql_url}`,
        `  hub        ${e.hub_url}  (flists; npx zos hub push DIR NAME)`,
        `  node       id ${e.node_id}, twin ${e.node_twin_id}, farm ${e.farm_id}${grid.node.newIdentity ? " (new identity)" : " (identity reused)"}`,
        ...(grid.nodes.length > 1 ? grid.nodes.slice(1).map((n) => `  node       id ${n.node_id}, twin ${n.twin_id}${n.public_ip ? `, public ${n.public_ip}` : ""}`) : []),
        ...(grid.accessNode ? [`  access     node ${grid.accessNode.node_id}: ${grid.accessNode.public_ipv4} ${grid.accessNode.public_ipv6}, domain ${grid.accessNode.domain} (nsenter --net=${grid.lanNetns} reaches it)`] : []),
        ...(grid.gateway ? [`  gateway    ${grid.gateway.url} = ${grid.gateway.public_address} (*.${grid.gateway.domain}; CA ${grid.gateway.ca_pem})`] : []),
        `  dev user   twin ${e.user_twin_id} (mnemonic in ${grid.endpointsFile})`,
        "  runs       under the capability kernel (manifests/node.json), one sandboxed process per driver and module",
        "",
        "  try:  npx zos client list     npx zos client deploy <deployment.json>",
        "  Ctrl-C stops everything.",
      ].join("\n"));
    }
    await stopRequested;
    if (!p.json) console.log(`\nzos dev: ${stopSignal}, stopping …`);
    await grid.stop();
    emit("stopped", {});
    if (!p.json) console.log("zos dev: stopped");
    return 0;
  },
};
