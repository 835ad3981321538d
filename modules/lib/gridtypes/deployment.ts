// Deployment: decode from JSON (Go semantics), validate (Go Deployment.Valid), challenge + hash
// (Go Deployment.ChallengeHash, byte for byte), and serialise back to JSON.
import { createHash } from "node:crypto";
import { DecodeError, arr, fields, join, obj, type Occ, raw, str, timestamp, u64, uint, U32, bool } from "./decode.ts";
import { JsonSyntaxError, parseJson, stringifyJson, type JsonValue } from "./json.ts";
import { ChallengeWriter, type WorkloadGetter } from "./handler.ts";
import { HANDLERS } from "./registry.ts";
import { nameError } from "./names.ts";
import { networkLightClientVariant } from "./workloads/network.ts";
import { decodeUtf8Go } from "./utf8.ts";
import { type Capacity, type Deployment, DeploymentError, type Result, type Workload, zeroCapacity } from "./types.ts";


/** Parses and decodes a deployment document. Throws DeploymentError naming the field. */
export function parseDeployment(input: string | Uint8Array): Deployment {
  let text = typeof input === "string" ? input : decodeUtf8Go(input);
  if (typeof text.isWellFormed === "function" && !text.isWellFormed()) text = text.toWellFormed();
  let v: JsonValue;
  try {
    v = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new DeploymentError(e.message);
    throw e;
  }
  return decodeDeployment(v);
}

function decodeResult(v: JsonValue | Occ, path: string): Result {
  const f = fields(v, path);
  return {
    created: timestamp(f, "created", path),
    state: str(f, "state", path),
    message: str(f, "message", path),
    data: raw(f, "data") ?? null,
  };
}

export function decodeDeployment(v: JsonValue): Deployment {
  try {
    // a top-level null is the zero deployment, as in Go
    const f = fields(v, "");
    const sp = "signature_requirement";
    const sf = fields(obj(f, sp), sp);
    return {
      version: uint(f, "version", "", U32),
      twin_id: uint(f, "twin_id", "", U32),
      contract_id: u64(f, "contract_id", ""),
      metadata: str(f, "metadata", ""),
      description: str(f, "description", ""),
      expiration: timestamp(f, "expiration", ""),
      signature_requirement: {
        requests: arr(sf, "requests", sp).map((r, i) => {
          const p = join(join(sp, "requests"), i);
          const x = fields(r, p);
          return { twin_id: uint(x, "twin_id", p, U32), required: bool(x, "required", p), weight: u64(x, "weight", p) };
        }),
        weight_required: u64(sf, "weight_required", sp),
        signatures: arr(sf, "signatures", sp).map((r, i) => {
          const p = join(join(sp, "signatures"), i);
          const x = fields(r, p);
          return { twin_id: uint(x, "twin_id", p, U32), signature: str(x, "signature", p), signature_type: str(x, "signature_type", p) };
        }),
        signature_style: str(sf, "signature_style", sp),
      },
      workloads: arr(f, "workloads", "").map((w, i) => {
        const p = join("workloads", i);
        const x = fields(w, p);
        return {
          version: uint(x, "version", p, U32),
          name: str(x, "name", p),
          type: str(x, "type", p),
          data: raw(x, "data"),
          metadata: str(x, "metadata", p),
          description: str(x, "description", p),
          result: decodeResult(obj(x, "result"), join(p, "result")),
        };
      }),
    };
  } catch (e) {
    if (e instanceof DecodeError) throw new DeploymentError(e.message);
    throw e;
  }
}

function label(wl: Workload): string {
  return `workload '${wl.name}' (${wl.type || "no type"})`;
}

// Decoded data per raw data tree (parsed trees are never mutated; replacing wl.data changes the key),
// so validate + hash + capacity decode each workload once.
const decoded = new WeakMap<object, { type: string; value: unknown }>();

/** Decodes a workload's data with its type handler; DeploymentError names workload and field. */
export function workloadData(wl: Workload): unknown {
  const h = HANDLERS.get(wl.type);
  if (!h) throw new DeploymentError(`${label(wl)}: type: invalid workload type '${wl.type}'`);
  if (wl.data === undefined) throw new DeploymentError(`${label(wl)}: data: missing (unexpected end of JSON input)`);
  const key = typeof wl.data === "object" && wl.data !== null ? wl.data : null;
  const hit = key ? decoded.get(key) : undefined;
  if (hit && hit.type === wl.type) return hit.value;
  try {
    const value = h.decode(wl.data, "data");
    if (key) decoded.set(key, { type: wl.type, value });
    return value;
  } catch (e) {
    if (e instanceof DecodeError) throw new DeploymentError(`${label(wl)}: ${e.message}`);
    throw e;
  }
}

export function workloadCapacity(wl: Workload): Capacity {
  const h = HANDLERS.get(wl.type);
  if (!h || wl.data === undefined) return zeroCapacity();
  return h.capacity(workloadData(wl));
}

function writeWorkload(wl: Workload, w: ChallengeWriter, dataWriter?: (w: ChallengeWriter) => void): void {
  const h = HANDLERS.get(wl.type)!;
  const d = workloadData(wl);
  w.n(wl.version);
  w.s(wl.name);
  w.s(wl.type);
  w.s(wl.metadata);
  w.s(wl.description);
  if (dataWriter) dataWriter(w);
  else h.challenge(d, w);
}

function writeTail(d: Deployment, w: ChallengeWriter): void {
  const r = d.signature_requirement;
  for (const q of r.requests) {
    w.n(q.twin_id);
    w.b(q.required);
    w.n(q.weight);
  }
  w.n(r.weight_required);
  w.s(r.signature_style);
}

/** The challenge text exactly as the Go node renders it. */
export function challenge(d: Deployment): string {
  const w = new ChallengeWriter();
  w.n(d.version);
  w.n(d.twin_id);
  w.s(d.metadata);
  w.s(d.description);
  w.n(d.expiration);
  for (const wl of d.workloads) writeWorkload(wl, w);
  writeTail(d, w);
  return w.text();
}

/**
 * The challenge as grid_client 2.9.2 renders it where it knowingly differs from the node (a
 * network-light without wireguard_listen_port); null when it renders the same as `challenge`.
 */
export function clientChallenge(d: Deployment): string | null {
  let differs = false;
  const w = new ChallengeWriter();
  w.n(d.version);
  w.n(d.twin_id);
  w.s(d.metadata);
  w.s(d.description);
  w.n(d.expiration);
  for (const wl of d.workloads) {
    const variant = wl.type === "network-light" && wl.data !== undefined ? networkLightClientVariant(wl.data, "data") : null;
    if (variant) differs = true;
    writeWorkload(wl, w, variant ?? undefined);
  }
  writeTail(d, w);
  return differs ? w.text() : null;
}

export function md5(text: string): Uint8Array {
  return new Uint8Array(createHash("md5").update(text, "utf8").digest());
}

/** Lowercase hex MD5 of the challenge (what the chain stores as deployment_hash). */
export function challengeHash(d: Deployment): string {
  return createHash("md5").update(challenge(d), "utf8").digest("hex");
}

function getterFor(d: Deployment): WorkloadGetter {
  return {
    get(name) {
      const wl = d.workloads.find((w) => w.name === name);
      return wl ? { type: wl.type, data: wl.data } : undefined;
    },
    byType(type) {
      return d.workloads.filter((w) => w.type === type).map((w) => ({ name: w.name, data: w.data }));
    },
  };
}

/** Go Deployment.Valid. Throws DeploymentError naming the workload and field. */
export function validateDeployment(d: Deployment): void {
  const names = new Set<string>();
  const getter = getterFor(d);
  for (const wl of d.workloads) {
    if (wl.version > d.version) {
      throw new DeploymentError(`${label(wl)}: version: ${wl.version} cannot be higher than deployment version ${d.version}`);
    }
    const ne = nameError(wl.name);
    if (ne) throw new DeploymentError(`${label(wl)}: name: ${ne}`);
    if (names.has(wl.name)) throw new DeploymentError(`${label(wl)}: name: multiple workloads with the same name '${wl.name}'`);
    names.add(wl.name);
    const data = workloadData(wl);
    const err = HANDLERS.get(wl.type)!.validate(data, getter);
    if (err) throw new DeploymentError(`${label(wl)}: data.${err}`);
  }
}

function resultJson(r: Result): string {
  return `{"created":${r.created},"state":${JSON.stringify(r.state)},"message":${JSON.stringify(r.message)},"data":${stringifyJson(r.data)}}`;
}

export function workloadJson(wl: Workload): string {
  return `{"version":${wl.version},"name":${JSON.stringify(wl.name)},"type":${JSON.stringify(wl.type)},` +
    `"data":${wl.data === undefined ? "null" : stringifyJson(wl.data)},"metadata":${JSON.stringify(wl.metadata)},` +
    `"description":${JSON.stringify(wl.description)},"result":${resultJson(wl.result)}}`;
}

/** JSON as the node emits it (field names as Go's tags; u64 values exact). */
export function deploymentJson(d: Deployment): string {
  const r = d.signature_requirement;
  return `{"version":${d.version},"twin_id":${d.twin_id},"contract_id":${d.contract_id},` +
    `"metadata":${JSON.stringify(d.metadata)},"description":${JSON.stringify(d.description)},"expiration":${d.expiration},` +
    `"signature_requirement":{"requests":[${r.requests.map((q) => `{"twin_id":${q.twin_id},"required":${q.required},"weight":${q.weight}}`).join(",")}],` +
    `"weight_required":${r.weight_required},"signatures":[${r.signatures.map((s) => `{"twin_id":${s.twin_id},"signature":${JSON.stringify(s.signature)},"signature_type":${JSON.stringify(s.signature_type)}}`).join(",")}],` +
    `"signature_style":${JSON.stringify(r.signature_style)}},` +
    `"workloads":[${d.workloads.map(workloadJson).join(",")}]}`;
}

export { parseJson };
