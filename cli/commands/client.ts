// `zos client deploy F | get ID | list | changes ID | logs ID NAME`: a grid user's view of one node, over the chain
// (contracts) and RMB (the node's zos.* API). Targets come from .zos-dev/endpoints.json unless flags
// say otherwise.
import { readFileSync } from "node:fs";
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { quietPolkadotNoise } from "./dev/quiet_polkadot.ts";
import { DEFAULT_STATE_DIR, endpointsPath, readEndpoints } from "./dev/endpoints.ts";
import { type ClientTarget, openSession, SessionError, type UserSession } from "./client/session.ts";
import { deploy, DeployInputError, workloadViews } from "./client/deploy.ts";
import { ChainTxError } from "./client/chain_tx.ts";
import { resolveFlists } from "./client/flists.ts";

const USAGE = `usage: zos client <deploy F | get ID | list | changes ID | logs ID NAME> [options]

  deploy F      create the node contract for deployment file F, sign it, send it to the node over RMB
                and follow its workloads until they settle (exit 1 if any ends in error)
  get ID        the deployment of contract ID, with each workload's result
  list          your deployments on the node
  changes ID    the workload transaction log of contract ID
  logs ID NAME  the console log of VM NAME (a zmachine) of contract ID (--offset N: from byte N)

options:
  --endpoints F   endpoints file (default ${DEFAULT_STATE_DIR}/endpoints.json, written by \`npm start\`)
  --chain URL     chain WebSocket URL          --relay URL     relay WebSocket URL
  --mnemonic M    the user's BIP39 mnemonic    --key-type T    sr25519 (default) or ed25519
  --node ID       node id on chain             --timeout S     deploy: seconds to wait for workloads (120)
  --json          machine-readable output (progress of deploy goes to stderr)

The deployment file is Zero-OS deployment JSON; twin_id, contract_id and signatures are filled in.`;

const flags = {
  endpoints: { type: "string" },
  chain: { type: "string" },
  relay: { type: "string" },
  mnemonic: { type: "string" },
  "key-type": { type: "string" },
  node: { type: "string" },
  timeout: { type: "string" },
  offset: { type: "string" },
} as const;

/** The dev hub's flists by name (endpoints.json `flists`), {} when there is no endpoints file. */
function devFlists(p: ReturnType<typeof parse>): Record<string, string> {
  try {
    return (readEndpoints(str(p, "endpoints") ?? endpointsPath(DEFAULT_STATE_DIR)) as { flists?: Record<string, string> }).flists ?? {};
  } catch {
    return {};
  }
}

function target(p: ReturnType<typeof parse>): ClientTarget {
  const file = str(p, "endpoints") ?? endpointsPath(DEFAULT_STATE_DIR);
  const explicit = str(p, "chain") && str(p, "relay") && str(p, "mnemonic") && str(p, "node");
  let base: Partial<ClientTarget> = {};
  if (!explicit) {
    try {
      const e = readEndpoints(file);
      base = { chainUrl: e.chain_url, relayUrl: e.relay_url, mnemonic: e.user_mnemonic, keyType: e.user_key_type, nodeId: e.node_id };
    } catch (err) {
      throw new UserError(`zos client: ${(err as Error).message}`, 2);
    }
  }
  const keyType = str(p, "key-type") ?? base.keyType ?? "sr25519";
  if (keyType !== "sr25519" && keyType !== "ed25519") {
    throw new UserError(`zos client: --key-type must be sr25519 or ed25519, got "${keyType}"`, 2);
  }
  const nodeText = str(p, "node");
  const nodeId = nodeText !== undefined ? Number(nodeText) : base.nodeId;
  if (!Number.isInteger(nodeId) || (nodeId as number) <= 0) {
    throw new UserError(`zos client: --node must be a positive node id, got "${nodeText}"`, 2);
  }
  return {
    chainUrl: str(p, "chain") ?? base.chainUrl!,
    relayUrl: str(p, "relay") ?? base.relayUrl!,
    mnemonic: str(p, "mnemonic") ?? base.mnemonic!,
    keyType,
    nodeId: nodeId as number,
  };
}

function contractArg(sub: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UserError(`zos client ${sub}: expected a contract id (a positive integer), got ${v === undefined ? "nothing" : `"${v}"`}`, 2);
  }
  return n;
}

function table(dep: unknown): string {
  const rows = workloadViews(dep);
  if (!rows.length) return "  (no workloads)";
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const t = Math.max(4, ...rows.map((r) => r.type.length));
  return rows.map((r) => {
    const detail = r.state === "error" ? r.message : r.data ? JSON.stringify(r.data) : "";
    return `  ${r.name.padEnd(w)}  ${r.type.padEnd(t)}  ${r.state.padEnd(9)}  ${detail}`;
  }).join("\n");
}

async function withSession<T>(t: ClientTarget, fn: (s: UserSession) => Promise<T>): Promise<T> {
  let s: UserSession;
  try {
    s = await openSession(t);
  } catch (err) {
    if (err instanceof SessionError) throw new UserError(`zos client: ${err.message}`, 1);
    throw err;
  }
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

function remote(sub: string, err: unknown): never {
  if (err instanceof DeployInputError) throw new UserError(`zos client ${sub}: invalid deployment: ${err.message}`, 2);
  if (err instanceof ChainTxError) throw new UserError(`zos client ${sub}: chain refused: ${err.message}`, 1);
  const e = err as { name?: string; message?: string; origin?: string };
  if (e?.name === "RmbError") {
    if (e.origin === "remote") throw new UserError(`zos client ${sub}: the node said no: ${e.message}`, 1);
    if (e.origin === "relay") throw new UserError(`zos client ${sub}: the relay could not deliver to the node (${e.message}); is the node running?`, 1);
    if (e.origin === "timeout") throw new UserError(`zos client ${sub}: ${e.message}; is the node running and registered?`, 1);
    throw new UserError(`zos client ${sub}: RMB failed: ${e.message}`, 1);
  }
  throw err;
}

export const command: Command = {
  summary: "deploy to a node as a grid user",
  async run(argv: string[]): Promise<number> {
    quietPolkadotNoise();
    const p = parse(argv, flags, "client");
    const [sub, arg, ...extra] = p.positionals;
    if (p.help) {
      console.log(USAGE);
      return 0;
    }
    if (!sub) {
      console.error(USAGE);
      return 2;
    }
    const known = ["deploy", "get", "list", "changes", "logs"];
    if (!known.includes(sub)) throw new UserError(`zos client: unknown subcommand "${sub}" (expected ${known.join(", ")})`, 2);
    if (sub === "logs") {
      const name = extra[0];
      if (!arg || !name || extra.length > 1) throw new UserError("zos client logs: usage: zos client logs ID NAME [--offset N] [--json]", 2);
      const id = contractArg(sub, arg);
      const offset = Number(str(p, "offset") ?? "0");
      if (!Number.isInteger(offset) || offset < 0) throw new UserError("zos client logs: --offset must be a byte offset (0 or more)", 2);
      return await withSession(target(p), async (s) => {
        try {
          const r = await s.peer.request(s.nodeTwinId, "zos.vm.logs", { contract_id: id, name, offset }) as { log: string; next: number; state: string };
          if (p.json) console.log(JSON.stringify(r));
          else process.stdout.write(r.log.endsWith("\n") || !r.log ? r.log : r.log + "\n");
          return 0;
        } catch (err) {
          remote(sub, err);
        }
      });
    }
    if (extra.length || (sub === "list" && arg !== undefined)) {
      throw new UserError(`zos client ${sub}: unexpected argument "${sub === "list" ? arg : extra[0]}"`, 2);
    }
    if (sub === "deploy") {
      if (!arg) throw new UserError("zos client deploy: which file? usage: zos client deploy F", 2);
      let text: string;
      try {
        text = readFileSync(arg, "utf8");
      } catch (err) {
        throw new UserError(`zos client deploy: cannot read ${arg}: ${(err as Error).message}`, 2);
      }
      const timeoutS = Number(str(p, "timeout") ?? "120");
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UserError("zos client deploy: --timeout must be a positive number of seconds", 2);
      const t = target(p);
      try {
        text = resolveFlists(text, devFlists(p));
      } catch (err) {
        throw new UserError(`zos client deploy: ${(err as Error).message}`, 2);
      }
      const progress = (event: string, fields: Record<string, unknown>) => {
        if (p.json) return console.error(JSON.stringify({ event, ...fields }));
        if (event === "contract") console.log(`creating node contract on node ${fields.node_id} (hash ${fields.hash}) …`);
        else if (event === "name_contract") {
          console.log(fields.owner !== undefined
            ? `name "${fields.name}" is held by twin ${fields.owner} (name contract ${fields.contract_id}): the node will refuse it`
            : `name "${fields.name}": name contract ${fields.contract_id}${fields.created ? " created" : " (yours)"}`);
        } else if (event === "contract_created") console.log(`contract ${fields.contract_id} created; signing and sending to the node …`);
        else if (event === "accepted") console.log(`node accepted contract ${fields.contract_id}; provisioning:`);
        else if (event === "workload") console.log(`  ${fields.name} (${fields.type}): ${fields.state}${fields.message ? ` — ${fields.message}` : ""}`);
        else if (event === "deploy_refused") console.log(`node refused: ${fields.reason}; cancelling contract ${fields.contract_id}`);
        else if (event === "timeout") console.log(`still waiting for ${(fields.waiting_for as string[]).join(", ")}; check later with \`zos client get\``);
        else console.log(`${event}: ${JSON.stringify(fields)}`);
      };
      return await withSession(t, async (s) => {
        try {
          const r = await deploy(s, text, timeoutS * 1000, progress);
          if (p.json) console.log(JSON.stringify(r));
          else console.log(`\ncontract ${r.contract_id}:\n${table(r.deployment)}`);
          return r.ok ? 0 : 1;
        } catch (err) {
          remote("deploy", err);
        }
      });
    }
    const id = sub === "list" ? 0 : contractArg(sub, arg);
    const t = target(p);
    return await withSession(t, async (s) => {
      try {
        if (sub === "get") {
          const d = await s.peer.request(s.nodeTwinId, "zos.deployment.get", { contract_id: id });
          console.log(p.json ? JSON.stringify(d) : `contract ${id} (version ${(d as { version?: number }).version}):\n${table(d)}`);
        } else if (sub === "list") {
          const list = await s.peer.request(s.nodeTwinId, "zos.deployment.list", null) as unknown[];
          if (p.json) console.log(JSON.stringify(list));
          else if (!list.length) console.log(`no deployments of twin ${s.twinId} on node ${s.nodeId}`);
          else {
            for (const d of list) console.log(`contract ${(d as { contract_id?: number }).contract_id}:\n${table(d)}`);
          }
        } else {
          const changes = await s.peer.request(s.nodeTwinId, "zos.deployment.changes", { contract_id: id }) as Record<string, unknown>[];
          if (p.json) console.log(JSON.stringify(changes));
          else {
            for (const c of changes) {
              const r = (c.result ?? {}) as Record<string, unknown>;
              const when = typeof r.created === "number" ? new Date(r.created * 1000).toISOString() : "";
              console.log(`${when}  ${c.name} (${c.type}) v${c.version}: ${r.state}${r.message ? ` — ${r.message}` : ""}`);
            }
          }
        }
        return 0;
      } catch (err) {
        remote(sub, err);
      }
    });
  },
};


