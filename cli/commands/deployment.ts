// `zos deployment hash|verify|validate F`: the node's challenge hash, signature check and validation
// on a deployment JSON file ("-" reads stdin). Exit 0 ok, 1 the deployment was checked and said no,
// 2 unreadable input or bad usage.
import { readFileSync } from "node:fs";
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import {
  challengeHash,
  type Deployment,
  DeploymentError,
  parseDeployment,
  type TwinKeys,
  validateDeployment,
  verifyDeployment,
} from "../../modules/lib/gridtypes/mod.ts";

const USAGE = `usage: zos deployment <hash|verify|validate> FILE [options]

  hash FILE                      print the 32-char challenge hash (MD5, lowercase hex) the chain contract must hold
  verify FILE --twins T.json     check every signature request; T maps twin id to
                                 {"key_type": "ed25519"|"sr25519", "public_key_hex": "<64 hex chars>"}
  validate FILE                  check the deployment with the node's rules (names, versions, each workload's data)

FILE is a deployment JSON document as sent to zos.deployment.deploy; "-" reads stdin.
options: --json (machine-readable output), --help
exit codes: 0 ok / valid, 1 invalid (the reason is printed), 2 unreadable input or bad usage`;

function readInput(file: string, what: string): Uint8Array {
  try {
    return file === "-" ? readFileSync(0) : readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new UserError(`zos deployment: cannot read ${what} ${file}: ${why}`, 2);
  }
}

function load(file: string): Deployment {
  const bytes = readInput(file, "deployment file");
  try {
    return parseDeployment(bytes);
  } catch (e) {
    if (e instanceof DeploymentError) throw new UserError(`zos deployment: ${file}: ${e.message}`, 2);
    throw e;
  }
}

function hashOf(d: Deployment, file: string): string {
  try {
    return challengeHash(d);
  } catch (e) {
    if (e instanceof DeploymentError) throw new UserError(`zos deployment: ${file}: cannot compute the hash: ${e.message}`, 2);
    throw e;
  }
}

/** Reads the twins file: { "<twin id>": { key_type, public_key_hex } }. */
export function loadTwins(file: string): TwinKeys {
  const text = new TextDecoder().decode(readInput(file, "twins file"));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`zos deployment: twins file ${file}: invalid JSON (${(e as Error).message})`, 2);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UserError(`zos deployment: twins file ${file}: expected an object mapping twin id to {"key_type","public_key_hex"}`, 2);
  }
  const keys = new Map<number, Uint8Array>();
  for (const [id, v] of Object.entries(raw as Record<string, unknown>)) {
    const where = `twins file ${file}: twin "${id}"`;
    if (!/^[0-9]+$/.test(id) || Number(id) > 4294967295) throw new UserError(`zos deployment: ${where}: the key must be a twin id (0..4294967295)`, 2);
    const e = v as { key_type?: unknown; public_key_hex?: unknown };
    if (!e || typeof e !== "object") throw new UserError(`zos deployment: ${where}: expected {"key_type","public_key_hex"}`, 2);
    if (e.key_type !== "ed25519" && e.key_type !== "sr25519") {
      throw new UserError(`zos deployment: ${where}: key_type must be "ed25519" or "sr25519"`, 2);
    }
    const hex = typeof e.public_key_hex === "string" ? e.public_key_hex.replace(/^0x/, "") : "";
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UserError(`zos deployment: ${where}: public_key_hex must be 64 hex characters (32 bytes)`, 2);
    keys.set(Number(id), new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16))));
  }
  return {
    getKey(twin) {
      const k = keys.get(twin);
      if (!k) throw new Error(`twin ${twin} is not in ${file}`);
      return k;
    },
  };
}

async function run(argv: string[]): Promise<number> {
  const p = parse(argv, { twins: { type: "string" } }, "deployment");
  const [sub, file, ...extra] = p.positionals;
  if (p.help || !sub) {
    console.log(USAGE);
    return p.help ? 0 : 2;
  }
  if (!["hash", "verify", "validate"].includes(sub)) {
    throw new UserError(`zos deployment: unknown subcommand "${sub}" (use hash, verify or validate). Run \`zos deployment --help\`.`, 2);
  }
  if (!file) throw new UserError(`zos deployment ${sub}: missing FILE (a deployment JSON file, or - for stdin)`, 2);
  if (extra.length) throw new UserError(`zos deployment ${sub}: unexpected argument "${extra[0]}"`, 2);
  const twinsFile = str(p, "twins");
  if (sub !== "verify" && twinsFile !== undefined) throw new UserError(`zos deployment ${sub}: --twins only applies to verify`, 2);

  if (sub === "hash") {
    const d = load(file);
    const hash = hashOf(d, file);
    console.log(p.json ? JSON.stringify({ file, hash, twin_id: d.twin_id, version: d.version }) : hash);
    return 0;
  }
  if (sub === "validate") {
    const d = load(file);
    try {
      validateDeployment(d);
    } catch (e) {
      if (!(e instanceof DeploymentError)) throw e;
      if (p.json) console.log(JSON.stringify({ file, valid: false, reason: e.message }));
      else console.error(`zos deployment validate: ${file}: invalid: ${e.message}`);
      return 1;
    }
    if (p.json) console.log(JSON.stringify({ file, valid: true, workloads: d.workloads.length }));
    else console.log(`${file}: valid (${d.workloads.length} workloads)`);
    return 0;
  }
  if (twinsFile === undefined) throw new UserError("zos deployment verify: --twins T.json is required (twin id → key_type, public_key_hex)", 2);
  const keys = loadTwins(twinsFile);
  const d = load(file);
  hashOf(d, file);
  const r = await verifyDeployment(d, keys);
  if (r.ok) {
    if (p.json) console.log(JSON.stringify({ file, valid: true, hash: r.hash, rendering: r.rendering }));
    else console.log(`${file}: signatures valid (hash ${r.hash}${r.rendering === "client" ? ", grid_client rendering" : ""})`);
    return 0;
  }
  if (p.json) console.log(JSON.stringify({ file, valid: false, hash: r.hash, reason: r.reason }));
  else console.error(`zos deployment verify: ${file}: invalid: ${r.reason}`);
  return 1;
}

export const command: Command = { summary: "hash, verify and validate deployments", run };
