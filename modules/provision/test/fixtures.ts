// Shared pieces for the engine tests: deterministic ed25519 twins, signed deployments, a chain
// stand-in (the tfchain node is not part of these tests: contracts live in a Map and are checked by
// the same rules the chain capability applies), and managers whose effects are files on disk
// (the real storage/network/vm managers are other modules; these do real, observable I/O instead).
import { createPrivateKey, createPublicKey, sign as edSign, createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { challengeHash, parseDeployment, type Workload, workloadData } from "../../lib/gridtypes/mod.ts";
import type { CapacitySource, ContractChecker, TwinKeys, WorkloadContext, WorkloadManager } from "../interfaces.ts";
import { UnchangedError } from "../interfaces.ts";

export interface Twin {
  id: number;
  /** "ed25519" unless said otherwise */
  type?: "ed25519" | "sr25519";
  pub: Uint8Array;
  sign(msg: Uint8Array): string;
}

export function twinFromSeed(id: number, seedByte: number): Twin {
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, seedByte)]);
  const priv = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const pub = new Uint8Array(createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(12));
  return { id, pub, sign: (m) => Buffer.from(edSign(null, m, priv)).toString("hex") };
}

export function keysOf(twins: Twin[]): TwinKeys {
  const m = new Map(twins.map((t) => [t.id, t.pub]));
  return { getKey: (id) => m.get(id) ?? Promise.reject(new Error(`twin ${id} not found`)) };
}

export interface DocOptions {
  version?: number;
  metadata?: string;
  /** Rewrites the JSON text before hashing (e.g. to write integers beyond 2^53 exactly). */
  text?: (json: string) => string;
}

/** A deployment document signed by `owner`; also registers its contract on `chain` when given. */
export function signedDoc(owner: Twin, contract: number, workloads: unknown[], opts: DocOptions = {}, chain?: ChainContracts): string {
  const o = {
    version: opts.version ?? 0,
    twin_id: owner.id,
    contract_id: contract,
    metadata: opts.metadata ?? "",
    description: "",
    expiration: 0,
    workloads,
    signature_requirement: { requests: [{ twin_id: owner.id, required: false, weight: 1 }], weight_required: 1, signatures: [] as unknown[] },
  };
  const t = opts.text ?? ((x: string) => x);
  const d = parseDeployment(t(JSON.stringify(o)));
  const hash = challengeHash(d);
  o.signature_requirement.signatures = [{ twin_id: owner.id, signature: owner.sign(new Uint8Array(Buffer.from(hash, "hex"))), signature_type: owner.type ?? "ed25519" }];
  chain?.set(BigInt(contract), hash);
  return t(JSON.stringify(o));
}

export function wl(name: string, type: string, data: unknown, version = 0) {
  return { version, name, type, data, metadata: "", description: "" };
}

/** Contracts as the chain would hold them: id → deployment_hash, all on this node. */
export class ChainContracts implements ContractChecker {
  readonly hashes = new Map<bigint, string>();
  rented = false;
  set(id: bigint, hash: string): void {
    this.hashes.set(id, hash);
  }
  check(id: bigint, hash: string): Promise<{ rented: boolean }> {
    const h = this.hashes.get(id);
    if (h === undefined) return Promise.reject(new Error(`contract ${id} not found on chain`));
    if (h !== hash) return Promise.reject(new Error(`deployment hash ${hash} does not match contract ${id} hash ${h}`));
    return Promise.resolve({ rented: this.rented });
  }
}

export const GiB = 1024n ** 3n;

export function fixedCapacity(memGiB: number): CapacitySource {
  return {
    total: () => ({ cru: 8n, sru: 1000n * GiB, hru: 4000n * GiB, mru: BigInt(memGiB) * GiB, ipv4u: 0n }),
    reserved: () => ({ cru: 0n, sru: 5n * GiB, hru: 0n, mru: 2n * GiB, ipv4u: 0n }),
  };
}

/**
 * A manager whose workloads are files `<dir>/<workload id>` holding the workload data; every call is
 * appended to `<dir>/calls.log` ("<op> <workload id>"). Sizes may only grow (like zmount).
 */
export class FileEffectManager implements WorkloadManager {
  readonly dir: string;
  readonly type: string;
  constructor(dir: string, type: string) {
    this.dir = dir;
    this.type = type;
    mkdirSync(dir, { recursive: true });
  }
  private log(op: string, ctx: WorkloadContext): void {
    appendFileSync(join(this.dir, "calls.log"), `${op} ${ctx.workloadId}\n`);
  }
  private write(ctx: WorkloadContext, wl: Workload): void {
    const tmp = join(this.dir, `${ctx.workloadId}.tmp`);
    writeFileSync(tmp, JSON.stringify(workloadData(wl), (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    renameSync(tmp, join(this.dir, ctx.workloadId));
  }
  provision(ctx: WorkloadContext, wl: Workload): Promise<unknown> {
    this.log("provision", ctx);
    this.write(ctx, wl);
    return Promise.resolve({ id: ctx.workloadId });
  }
  deprovision(ctx: WorkloadContext): Promise<void> {
    this.log("deprovision", ctx);
    rmSync(join(this.dir, ctx.workloadId), { force: true });
    return Promise.resolve();
  }
  update(ctx: WorkloadContext, wl: Workload): Promise<unknown> {
    this.log("update", ctx);
    const path = join(this.dir, ctx.workloadId);
    const old = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    const next = workloadData(wl) as { size?: bigint };
    if (old.size !== undefined && next.size !== undefined && BigInt(old.size) > next.size) {
      return Promise.reject(new UnchangedError("not safe to shrink a disk"));
    }
    this.write(ctx, wl);
    return Promise.resolve({ id: ctx.workloadId });
  }
  pause(ctx: WorkloadContext): Promise<void> {
    this.log("pause", ctx);
    return Promise.resolve();
  }
  resume(ctx: WorkloadContext): Promise<void> {
    this.log("resume", ctx);
    return Promise.resolve();
  }
  calls(): string[] {
    const p = join(this.dir, "calls.log");
    return existsSync(p) ? readFileSync(p, "utf8").trim().split("\n").filter(Boolean) : [];
  }
}

export function md5(s: string): string {
  return createHash("md5").update(s).digest("hex");
}
