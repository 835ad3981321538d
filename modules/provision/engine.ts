// The provisioning engine (provisiond): accepts deployments and updates (validate, verify signatures,
// persist, queue — all before answering), then processes a durable FIFO job queue one job at a time:
// chain contract check, install in type order / uninstall in reverse, pause/resume, a transaction log
// per workload, capacity admission. Every state change is committed to the DurableStore before the
// next step, and each workload remembers the last job that stored its result, so a job replayed after
// kill -9 skips what it already did (managers themselves must be idempotent, as on zos).
import {
  type Deployment,
  DeploymentError,
  deploymentJson,
  INSTALL_ORDER,
  parseDeployment,
  parseJson,
  type Result,
  SHARABLE_TYPES,
  upgradeOps,
  validateDeployment,
  verifyDeployment,
  type Workload,
  workloadCapacity,
  workloadId,
  addCapacity,
  zeroCapacity,
  type Capacity,
  type JsonValue,
} from "../lib/gridtypes/mod.ts";
import {
  type CapacitySource,
  type Clock,
  type ContractChecker,
  NO_ACTION,
  systemClock,
  type TwinKeys,
  UnchangedError,
  type WorkloadContext,
  type WorkloadManager,
} from "./interfaces.ts";
import { clearTimeout, setTimeout } from "node:timers";
import type { DurableStore, StoreOp } from "./store.ts";
import { BOOT_KEY, cloneWorkload, decodeRecord, depKey, type DeploymentRecord, encodeRecord, type Job, type JobOp, jobKey, SEQ_KEY } from "./records.ts";
import { capacityJson, type CapacityJson, isOkay, usableMemory } from "./capacity.ts";
import { OneJobAtATime, oneJobKey } from "./one-job.ts";

export interface EngineOptions {
  store: DurableStore;
  keys: TwinKeys;
  contracts: ContractChecker;
  managers: ReadonlyMap<string, WorkloadManager>;
  capacity: CapacitySource;
  clock?: Clock;
  /** Called with every error a job hit (the job itself goes on). */
  onError?: (e: unknown) => void;
  /** How long after a failed delete it is tried again (default 30 s; again after each failure). */
  deleteRetryMs?: number;
}

/** Why a workload goes when an update drops it (it then leaves the deployment, not only its state). */
const REMOVED_BY_UPDATE = "deleted by an update";

export interface Statistics {
  total: CapacityJson;
  used: CapacityJson;
  system: CapacityJson;
  users: { deployments: number; workloads: number; last_deployment_timestamp: number };
}

const rank = new Map(INSTALL_ORDER.map((t, i) => [t, i]));

/** Forward install order: by type, then zmount/volume largest first, then document order. */
function installOrder(wls: Workload[]): Workload[] {
  const size = (w: Workload): bigint => {
    if (w.type !== "zmount" && w.type !== "volume") return 0n;
    try {
      return workloadCapacity(w).sru;
    } catch {
      return 0n;
    }
  };
  return wls
    .map((w, i) => ({ w, i, r: rank.get(w.type) ?? INSTALL_ORDER.length, s: size(w) }))
    .sort((a, b) => a.r - b.r || (b.s > a.s ? 1 : b.s < a.s ? -1 : 0) || a.i - b.i)
    .map((x) => x.w);
}

function toJsonValue(v: unknown): JsonValue {
  if (v === undefined || v === null) return null;
  return parseJson(JSON.stringify(v));
}

export class Engine {
  private readonly o: EngineOptions;
  private readonly clock: Clock;
  private readonly records = new Map<string, DeploymentRecord>();
  /** "<twin>/<network name>" → record key (see checkSharable) */
  private readonly sharable = new Map<string, string>();
  /** capacity each okay workload currently counts for, by "<record key>/<name>"; kept in step with results */
  private readonly counted = new Map<string, Capacity>();
  private usedTotal: Capacity = zeroCapacity();
  private queue: number[] = [];
  private seq = 1;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** record key → the pending retry of its failed deletes */
  private readonly retries = new Map<string, ReturnType<typeof setTimeout>>();
  /** deployments with a deprovision() job and workloads with a decommission() job queued or running */
  private readonly oneJob = new OneJobAtATime();

  private constructor(o: EngineOptions) {
    this.o = o;
    this.clock = o.clock ?? systemClock;
  }

  /** Loads every deployment and the queue from the store. */
  static async open(o: EngineOptions): Promise<Engine> {
    const e = new Engine(o);
    const keys = await o.store.list("dep/");
    const texts = await readMany(o.store, keys);
    for (const [i, k] of keys.entries()) {
      const text = texts[i];
      if (text === undefined) continue;
      const rec = decodeRecord(text);
      e.records.set(k, rec);
      e.indexSharable(k, rec.deployment);
      for (const wl of rec.deployment.workloads) e.recount(k, wl);
    }
    // deletes that failed before the restart are tried again (with start(), like any job)
    for (const [k, rec] of e.records) if (rec.deleting && Object.keys(rec.deleting).length) e.retryDeletes(k, rec);
    e.queue = (await o.store.list("job/")).map((k) => Number(k.slice(4)));
    const seq = await o.store.get(SEQ_KEY);
    e.seq = Math.max(seq ? Number(seq) : 1, (e.queue.at(-1) ?? 0) + 1);
    return e;
  }

  // ---------------------------------------------------------------- accept side (RMB handlers)

  private async check(input: string | Uint8Array, sender: number | undefined): Promise<{ d: Deployment; hash: string }> {
    const d = parseDeployment(input);
    if (sender !== undefined && sender !== d.twin_id) {
      throw new DeploymentError(`twin_id: the deployment belongs to twin ${d.twin_id} but was sent by twin ${sender}`);
    }
    validateDeployment(d);
    const v = await verifyDeployment(d, this.o.keys);
    if (!v.ok) throw new DeploymentError(`signature_requirement: ${v.reason}`);
    return { d, hash: v.hash };
  }

  private initResult(now = this.clock.now()): Result {
    return { created: BigInt(now), state: "init", message: "", data: null };
  }

  private enqueueOps(job: Omit<Job, "id">, extra: StoreOp[]): StoreOp[] {
    const id = this.seq++;
    const full: Job = { id, ...job };
    return [...extra, { op: "put", key: jobKey(id), value: JSON.stringify(full) }, { op: "put", key: SEQ_KEY, value: String(this.seq) }];
  }

  private afterEnqueue(ops: StoreOp[]): void {
    for (const o of ops) if (o.op === "put" && o.key.startsWith("job/")) this.queue.push(Number(o.key.slice(4)));
    this.wake?.();
  }

  /**
   * zos.deployment.deploy: resolves once the deployment is stored and queued (durably); rejects with
   * DeploymentError (nothing stored) when it is malformed, invalid, badly signed or conflicts.
   */
  async deploy(input: string | Uint8Array, sender?: number): Promise<void> {
    const { d, hash } = await this.check(input, sender);
    if (d.version !== 0) throw new DeploymentError(`version: must be 0 when a deployment is created, got ${d.version}`);
    // From here to store.commit nothing awaits, so concurrent deploys cannot interleave their checks;
    // the commit joins the store's next group commit and is awaited outside this section.
    const key = depKey(d.twin_id, d.contract_id);
    if (this.records.has(key)) throw new DeploymentError(`contract_id: deployment with contract ${d.contract_id} already exists`);
    this.checkSharable(d);
    const now = this.clock.now();
    for (const wl of d.workloads) wl.result = this.initResult(now);
    const rec: DeploymentRecord = { deployment: d, hash, created: now, applied: {}, changes: d.workloads.map(cloneWorkload) };
    const ops = this.enqueueOps({ op: "provision", twin: d.twin_id, contract: String(d.contract_id) }, [
      { op: "put", key, value: encodeRecord(rec) },
    ]);
    this.records.set(key, rec);
    this.indexSharable(key, d);
    try {
      await this.o.store.commit(ops);
    } catch (e) {
      this.records.delete(key);
      throw e;
    }
    this.afterEnqueue(ops);
  }

  /** A twin cannot have two live network workloads with the same name (ErrDeploymentConflict). */
  private checkSharable(d: Deployment, except?: string): void {
    for (const w of d.workloads) {
      if (!SHARABLE_TYPES.has(w.type)) continue;
      const owner = this.sharable.get(`${d.twin_id}/${w.name}`);
      if (owner === undefined || owner === except) continue;
      // the index is maintained lazily: confirm the owner still has that network alive
      const live = this.records.get(owner)?.deployment.workloads.find((x) => x.name === w.name && SHARABLE_TYPES.has(x.type) && x.result.state !== "deleted");
      if (!live) {
        this.sharable.delete(`${d.twin_id}/${w.name}`);
        continue;
      }
      throw new DeploymentError(`workload '${w.name}': name: a network named '${w.name}' already exists in contract ${this.records.get(owner)!.deployment.contract_id}`);
    }
  }

  private indexSharable(key: string, d: Deployment): void {
    for (const w of d.workloads) if (SHARABLE_TYPES.has(w.type)) this.sharable.set(`${d.twin_id}/${w.name}`, key);
  }

  /** zos.deployment.update. Version, metadata, description and signature requirement are stored at once. */
  async update(input: string | Uint8Array, sender?: number): Promise<void> {
    const { d, hash } = await this.check(input, sender);
    // synchronous until the commit is queued (see deploy); the record is changed in place so a job
    // that is processing it at the same time persists the new fields too
    const key = depKey(d.twin_id, d.contract_id);
    const rec = this.records.get(key);
    if (!rec) throw new DeploymentError(`contract_id: no deployment with contract ${d.contract_id} for twin ${d.twin_id}`);
    const ops = upgradeOps(rec.deployment, d);
    for (const u of ops) {
      if (u.op === "update" && !this.o.managers.get(u.workload.type)?.update && this.o.managers.has(u.workload.type)) {
        throw new DeploymentError(`workload '${u.workload.name}': workload '${u.workload.type}' does not support upgrade`);
      }
    }
    this.checkSharable(d, key);
    const nd = rec.deployment;
    rec.hash = hash;
    nd.version = d.version;
    nd.metadata = d.metadata;
    nd.description = d.description;
    nd.expiration = d.expiration;
    nd.signature_requirement = d.signature_requirement;
    const now = this.clock.now();
    for (const u of ops) {
      if (u.op === "add") {
        const w = cloneWorkload(u.workload);
        w.result = this.initResult(now);
        nd.workloads.push(w);
        rec.changes.push(cloneWorkload(w));
      }
    }
    // the job carries the new workload definitions (applied when the job runs)
    const jobOps = this.enqueueOps(
      { op: "update", twin: d.twin_id, contract: String(d.contract_id), next: deploymentJson(d), ops: ops.map((u) => ({ op: u.op, name: u.workload.name })) },
      [{ op: "put", key, value: encodeRecord(rec) }],
    );
    this.indexSharable(key, nd);
    await this.o.store.commit(jobOps);
    this.afterEnqueue(jobOps);
  }

  private async enqueue(op: JobOp, twin: number, contract: bigint, reason?: string): Promise<void> {
    const ops = this.enqueueOps({ op, twin, contract: String(contract), reason }, []);
    await this.o.store.commit(ops);
    this.afterEnqueue(ops);
  }

  /**
   * Contract cancelled on chain (event or sync): uninstall everything, in reverse order. One such job per
   * deployment at a time: the contract sync asks again every 5 s while the deployment still has workloads
   * that are not deleted, and a VM's teardown alone takes longer than that (its power-down grace). Without
   * this every sync queued another job, and a delete that kept failing queued one per sync for ever, each
   * trying the delete again, so a deployment sent meanwhile (a gateway right after a VM's delete) waited
   * behind all of them. A failed delete is tried again by its own timer (retryDeletes), so the sync leaves
   * a deployment whose remaining workloads all wait for that timer.
   */
  async deprovision(twin: number, contract: bigint, reason: string): Promise<void> {
    const key = depKey(twin, contract);
    const guard = oneJobKey({ op: "deprovision", twin, contract: String(contract) })!;
    if (this.oneJob.has(guard)) return;
    const rec = this.records.get(key);
    const retried = rec && this.retries.has(key) &&
      rec.deployment.workloads.every((w) => w.result.state === "deleted" || rec.deleting?.[w.name] !== undefined);
    if (retried) return;
    await this.oneJob.once(guard, () => this.enqueue("deprovision", twin, contract, reason));
  }

  /** Grace period started / ended. */
  pause(twin: number, contract: bigint): Promise<void> {
    return this.enqueue("pause", twin, contract);
  }

  resume(twin: number, contract: bigint): Promise<void> {
    return this.enqueue("resume", twin, contract);
  }

  /**
   * Zero-OS's DecommissionCached: a workload that died on its own (a VM its hypervisor marked failed after
   * crashing 4 times in 2 minutes) is taken down and its result becomes `error` with `reason`. Queued like
   * every other change, so it is durable and never races a job on the same deployment. Returns false (and
   * queues nothing) when no such workload is up: unknown, already deleted or in error, or already queued.
   */
  async decommission(workloadId: string, reason: string): Promise<boolean> {
    const m = /^(\d+)-(\d+)-(.+)$/.exec(workloadId);
    if (!m) return false;
    const [twin, contract, name] = [Number(m[1]), BigInt(m[2]), m[3]];
    const wl = this.records.get(depKey(twin, contract))?.deployment.workloads.find((w) => w.name === name);
    if (!wl || wl.result.state === "deleted" || wl.result.state === "error") return false;
    return await this.oneJob.once(oneJobKey({ op: "decommission", twin, contract: String(contract), name })!, async () => {
      const ops = this.enqueueOps({ op: "decommission", twin, contract: String(contract), name, reason }, []);
      await this.o.store.commit(ops);
      this.afterEnqueue(ops);
    });
  }

  /**
   * First start after a reboot: re-provision all active deployments without chain validation (networks
   * first: a VM of another deployment needs its NR). Jobs already queued (a deployment the reboot cut
   * mid-provision) run before these.
   */
  async replayAll(extra: StoreOp[] = []): Promise<number> {
    const recs = [...this.records.values()].filter((r) => r.deployment.workloads.some((w) => w.result.state !== "deleted"));
    const hasNet = (r: DeploymentRecord) => r.deployment.workloads.some((w) => w.type === "network") ? 0 : 1;
    recs.sort((a, b) => hasNet(a) - hasNet(b));
    // one commit for every job and `extra` (the boot mark): a crash half-way replays all again, never half
    const ops: StoreOp[] = [...extra];
    for (const r of recs) ops.push(...this.enqueueOps({ op: "replay", twin: r.deployment.twin_id, contract: String(r.deployment.contract_id) }, []));
    if (!ops.length) return 0;
    await this.o.store.commit(ops);
    this.afterEnqueue(ops);
    return recs.length;
  }

  /**
   * Zero-OS's provisiond re-provisions everything once per boot (a module restart is not a boot: what it
   * made is still there). `bootId` names this boot (the kernel's /proc/sys/kernel/random/boot_id, or one
   * per start of a node on a host); the last one replayed is stored, so only the first start of a boot
   * replays. Returns how many deployments were queued (0: not a new boot).
   */
  async replayAfterBoot(bootId: string): Promise<number> {
    if (!bootId || (await this.o.store.get(BOOT_KEY)) === bootId) return 0;
    return await this.replayAll([{ op: "put", key: BOOT_KEY, value: bootId }]);
  }

  // ---------------------------------------------------------------- read side

  get(twin: number, contract: bigint): Deployment | undefined {
    return this.records.get(depKey(twin, contract))?.deployment;
  }

  list(twin?: number): Deployment[] {
    return [...this.records.values()].map((r) => r.deployment).filter((d) => twin === undefined || d.twin_id === twin);
  }

  changes(twin: number, contract: bigint): Workload[] {
    return this.records.get(depKey(twin, contract))?.changes ?? [];
  }

  pending(): number {
    return this.queue.length;
  }

  /** Σ capacity of okay workloads (without the reserved part). */
  used(): Capacity {
    return { ...this.usedTotal };
  }

  /** Keeps usedTotal in step with one workload's current state and data. */
  private recount(key: string, wl: Workload): void {
    const id = `${key}/${wl.name}`;
    const prev = this.counted.get(id);
    if (prev) {
      this.usedTotal = addCapacity(this.usedTotal, { cru: -prev.cru, sru: -prev.sru, hru: -prev.hru, mru: -prev.mru, ipv4u: -prev.ipv4u });
      this.counted.delete(id);
    }
    if (!isOkay(wl.result.state)) return;
    let c: Capacity;
    try {
      c = workloadCapacity(wl);
    } catch {
      return;
    }
    this.counted.set(id, c);
    this.usedTotal = addCapacity(this.usedTotal, c);
  }

  statistics(): Statistics {
    const reserved = this.o.capacity.reserved();
    const u = this.used();
    const used = { cru: u.cru + reserved.cru, sru: u.sru + reserved.sru, hru: u.hru + reserved.hru, mru: u.mru + reserved.mru, ipv4u: u.ipv4u + reserved.ipv4u };
    let workloads = 0;
    let last = 0;
    for (const r of this.records.values()) {
      workloads += r.deployment.workloads.filter((w) => w.result.state !== "deleted").length;
      if (r.created > last) last = r.created;
    }
    return {
      total: capacityJson(this.o.capacity.total()),
      used: capacityJson(used),
      system: capacityJson(reserved),
      users: { deployments: this.records.size, workloads, last_deployment_timestamp: last },
    };
  }

  // ---------------------------------------------------------------- processing side

  /** Processes the oldest job; false when the queue is empty. */
  async runOnce(): Promise<boolean> {
    const id = this.queue[0];
    if (id === undefined) return false;
    const text = await this.o.store.get(jobKey(id));
    if (text !== undefined) {
      try {
        await this.process(JSON.parse(text) as Job);
      } catch (e) {
        this.o.onError?.(e);
      } finally {
        this.jobDone(text);
      }
    }
    await this.o.store.commit([{ op: "del", key: jobKey(id) }]);
    this.queue.shift();
    return true;
  }

  /** After a job of deprovision() (not a retry, which names its workloads) or decommission(): the next ask may queue one again. */
  private jobDone(text: string): void {
    try {
      this.oneJob.done(JSON.parse(text) as Job);
    } catch { /* not a job: nothing was marked for it */ }
  }

  /** Runs until the queue is empty. */
  async drain(): Promise<void> {
    while (await this.runOnce()) { /* next */ }
  }

  /** Background loop; `stop()` ends it after the current job. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = (async () => {
      while (!this.stopping) {
        if (await this.runOnce()) continue;
        // a job queued between runOnce's look at the queue and here called no wake: look again
        await new Promise<void>((r) => {
          this.wake = r;
          if (this.queue.length || this.stopping) r();
        });
        this.wake = null;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    this.wake?.();
    await this.running;
    this.running = null;
  }

  private async save(key: string, rec: DeploymentRecord): Promise<void> {
    await this.o.store.commit([{ op: "put", key, value: encodeRecord(rec) }]);
  }

  private ctx(rec: DeploymentRecord, wl: Workload, rented: boolean, replay: boolean): WorkloadContext {
    const d = rec.deployment;
    return { twin: d.twin_id, contract: d.contract_id, workloadId: workloadId(d.twin_id, d.contract_id, wl.name), deployment: d, rented, replay };
  }

  /** Records a new result for `wl` (in place), logs the change, marks it done for `job`, persists. */
  private async setResult(key: string, rec: DeploymentRecord, wl: Workload, job: number, r: Partial<Result> | null): Promise<void> {
    if (r) wl.result = { created: BigInt(this.clock.now()), state: r.state ?? "ok", message: r.message ?? "", data: r.data ?? null };
    this.recount(key, wl);
    rec.applied[wl.name] = job;
    if (r) rec.changes.push(cloneWorkload(wl));
    await this.save(key, rec);
  }

  private process(job: Job): Promise<void> {
    const key = depKey(job.twin, job.contract);
    const rec = this.records.get(key);
    if (!rec) return Promise.resolve();
    switch (job.op) {
      case "provision":
      case "replay":
        return this.install(key, rec, job);
      case "update":
        return this.applyUpdate(key, rec, job);
      case "deprovision":
        return this.uninstall(key, rec, job);
      case "pause":
      case "resume":
        return this.pauseResume(key, rec, job);
      case "decommission":
        return this.decommissionOne(key, rec, job);
    }
  }

  /** Takes one workload down (its manager frees what it held) and stores `error` with the reason. */
  private async decommissionOne(key: string, rec: DeploymentRecord, job: Job): Promise<void> {
    const wl = rec.deployment.workloads.find((w) => w.name === job.name);
    if (!wl || rec.applied[wl.name] === job.id || wl.result.state === "deleted" || wl.result.state === "error") return;
    try {
      await this.o.managers.get(wl.type)?.deprovision(this.ctx(rec, wl, false, false), wl);
    } catch (e) {
      this.o.onError?.(e);
    }
    await this.setResult(key, rec, wl, job.id, { state: "error", message: job.reason ?? "decommissioned" });
  }

  /** Chain check; on failure every workload gets the error. Returns rented or null on failure. */
  private async contractOk(key: string, rec: DeploymentRecord, job: Job, names: Set<string>): Promise<boolean | null> {
    try {
      return (await this.o.contracts.check(rec.deployment.contract_id, rec.hash)).rented;
    } catch (e) {
      const message = (e as Error).message || String(e);
      for (const wl of rec.deployment.workloads) {
        if (!names.has(wl.name) || rec.applied[wl.name] === job.id) continue;
        await this.setResult(key, rec, wl, job.id, { state: "error", message });
      }
      return null;
    }
  }

  private admit(wl: Workload): string | null {
    let need: bigint;
    try {
      need = workloadCapacity(wl).mru;
    } catch {
      return null;
    }
    if (need === 0n) return null;
    const usable = usableMemory(this.o.capacity, this.used());
    return need > usable ? `cannot fulfill required memory size ${need} bytes out of usable ${usable} bytes` : null;
  }

  private async provisionOne(key: string, rec: DeploymentRecord, wl: Workload, job: Job, rented: boolean, how: "provision" | "update"): Promise<void> {
    const m = this.o.managers.get(wl.type);
    if (!m) return this.setResult(key, rec, wl, job.id, { state: "error", message: `${wl.type} is not supported on this node yet` });
    if (how === "provision") {
      const no = this.admit(wl);
      if (no) return this.setResult(key, rec, wl, job.id, { state: "error", message: no });
    }
    try {
      const fn = how === "update" ? m.update!.bind(m) : m.provision.bind(m);
      const data = await fn(this.ctx(rec, wl, rented, job.op === "replay"), wl);
      if (data === NO_ACTION) return this.setResult(key, rec, wl, job.id, null);
      return this.setResult(key, rec, wl, job.id, { state: "ok", data: toJsonValue(data) });
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (e instanceof UnchangedError) return this.setResult(key, rec, wl, job.id, { state: "unchanged", message, data: wl.result.data });
      return this.setResult(key, rec, wl, job.id, { state: "error", message });
    }
  }

  private async install(key: string, rec: DeploymentRecord, job: Job): Promise<void> {
    const all = new Set(rec.deployment.workloads.map((w) => w.name));
    let rented = false;
    if (job.op === "provision") {
      const r = await this.contractOk(key, rec, job, all);
      if (r === null) return;
      rented = r;
    }
    for (const wl of installOrder(rec.deployment.workloads)) {
      if (rec.applied[wl.name] === job.id) continue;
      const s = wl.result.state;
      if (s === "deleted" || s === "error") continue;
      const wasPaused = s === "paused";
      await this.provisionOne(key, rec, wl, job, rented, "provision");
      if (wasPaused && wl.result.state === "ok") await this.pauseOne(key, rec, wl, job);
    }
  }

  private async pauseOne(key: string, rec: DeploymentRecord, wl: Workload, job: Job): Promise<void> {
    const m = this.o.managers.get(wl.type);
    try {
      await m?.pause?.(this.ctx(rec, wl, false, false), wl);
      await this.setResult(key, rec, wl, job.id, { state: "paused", data: wl.result.data });
    } catch (e) {
      await this.setResult(key, rec, wl, job.id, { state: "error", message: (e as Error).message });
    }
  }

  private async pauseResume(key: string, rec: DeploymentRecord, job: Job): Promise<void> {
    const order = installOrder(rec.deployment.workloads);
    if (job.op === "pause") order.reverse();
    for (const wl of order) {
      if (rec.applied[wl.name] === job.id) continue;
      if (job.op === "pause") {
        if (wl.result.state === "ok") await this.pauseOne(key, rec, wl, job);
        continue;
      }
      if (wl.result.state !== "paused") continue;
      try {
        await this.o.managers.get(wl.type)?.resume?.(this.ctx(rec, wl, false, false), wl);
        await this.setResult(key, rec, wl, job.id, { state: "ok", data: wl.result.data });
      } catch (e) {
        await this.setResult(key, rec, wl, job.id, { state: "error", message: (e as Error).message });
      }
    }
  }

  /**
   * Deletes one workload. When the manager's delete throws, the workload is not marked deleted (its
   * resources may still be there): it goes to `error` with the reason, stays in the deployment, is
   * remembered in `rec.deleting` and tried again later (retryDeletes) until the delete succeeds, as
   * Zero-OS keeps a workload whose decommission failed. Returns whether it is gone.
   */
  private async removeOne(key: string, rec: DeploymentRecord, wl: Workload, job: Job, reason: string): Promise<boolean> {
    const m = this.o.managers.get(wl.type);
    if (m && wl.result.state !== "deleted") {
      try {
        await m.deprovision(this.ctx(rec, wl, false, false), wl);
      } catch (e) {
        this.o.onError?.(e);
        rec.deleting = { ...rec.deleting, [wl.name]: reason };
        const retryS = Math.round((this.o.deleteRetryMs ?? 30_000) / 1000);
        const message = `${reason}, but deleting it failed: ${(e as Error)?.message ?? String(e)} (tried again in ${retryS} s)`;
        await this.setResult(key, rec, wl, job.id, { state: "error", message, data: wl.result.data });
        return false;
      }
    }
    if (rec.deleting?.[wl.name] !== undefined) delete rec.deleting[wl.name];
    await this.setResult(key, rec, wl, job.id, { state: "deleted", message: reason });
    return true;
  }

  /** Queues a deprovision of the workloads whose delete failed, after deleteRetryMs (once per record). */
  private retryDeletes(key: string, rec: DeploymentRecord): void {
    if (this.retries.has(key) || this.stopping) return;
    const t = setTimeout(() => {
      this.retries.delete(key);
      const names = Object.keys(rec.deleting ?? {});
      if (!names.length || this.records.get(key) !== rec) return;
      const ops = this.enqueueOps({ op: "deprovision", twin: rec.deployment.twin_id, contract: String(rec.deployment.contract_id), names }, []);
      this.o.store.commit(ops).then(() => this.afterEnqueue(ops), (e) => this.o.onError?.(e));
    }, this.o.deleteRetryMs ?? 30_000);
    t.unref(); // a pending retry does not keep the process alive
    this.retries.set(key, t);
  }

  /**
   * Contract cancelled: every workload, in reverse order; the deployment goes once all are deleted. A retry
   * (job.names) deletes only the named ones, each for the reason it was first deleted; those an update
   * dropped then leave the deployment.
   */
  private async uninstall(key: string, rec: DeploymentRecord, job: Job): Promise<void> {
    const only = job.names ? new Set(job.names) : null;
    let failed = false;
    for (const wl of installOrder(rec.deployment.workloads).reverse()) {
      if (only && !only.has(wl.name)) continue;
      if (rec.applied[wl.name] === job.id || wl.result.state === "deleted") continue;
      const reason = rec.deleting?.[wl.name] ?? job.reason ?? "contract canceled";
      if (!(await this.removeOne(key, rec, wl, job, reason))) failed = true;
      else if (only && reason === REMOVED_BY_UPDATE) {
        rec.deployment.workloads = rec.deployment.workloads.filter((w) => w !== wl);
        await this.save(key, rec);
      }
    }
    if (failed || Object.keys(rec.deleting ?? {}).length) return this.retryDeletes(key, rec);
    const all = rec.deployment.workloads;
    if (only && !(all.length && all.every((w) => w.result.state === "deleted"))) return;
    this.records.delete(key);
    await this.o.store.commit([{ op: "del", key }]);
  }

  private async applyUpdate(key: string, rec: DeploymentRecord, job: Job): Promise<void> {
    const next = parseDeployment(job.next!);
    const ops = job.ops ?? [];
    const touched = new Set(ops.filter((o) => o.op !== "remove").map((o) => o.name));
    const rented = await this.contractOk(key, rec, job, touched);
    if (rented === null) return;
    const byName = (n: string) => rec.deployment.workloads.find((w) => w.name === n);
    const removes = ops.filter((o) => o.op === "remove").map((o) => byName(o.name)).filter((w): w is Workload => !!w);
    for (const wl of installOrder(removes).reverse()) {
      if (rec.applied[wl.name] !== job.id) await this.removeOne(key, rec, wl, job, REMOVED_BY_UPDATE);
    }
    // a workload whose delete failed stays (in error) until a retry deletes it
    const gone = new Set(removes.filter((w) => rec.deleting?.[w.name] === undefined).map((w) => w.name));
    if (removes.some((w) => rec.deleting?.[w.name] !== undefined)) this.retryDeletes(key, rec);
    if (rec.deployment.workloads.some((w) => gone.has(w.name))) {
      rec.deployment.workloads = rec.deployment.workloads.filter((w) => !gone.has(w.name));
      await this.save(key, rec);
    }
    const adds = ops.filter((o) => o.op !== "remove").map((o) => byName(o.name)).filter((w): w is Workload => !!w);
    for (const wl of installOrder(adds)) {
      if (rec.applied[wl.name] === job.id) continue;
      const op = ops.find((o) => o.name === wl.name)!.op;
      const nw = next.workloads.find((w) => w.name === wl.name)!;
      if (op === "add") {
        await this.provisionOne(key, rec, wl, job, rented, "provision");
        continue;
      }
      // the stored workload takes the new definition; a failed update leaves the old one running
      wl.version = nw.version;
      wl.data = nw.data;
      wl.metadata = nw.metadata;
      wl.description = nw.description;
      await this.provisionOne(key, rec, wl, job, rented, "update");
    }
  }
}

/**
 * Every key's value, in the order of `keys`, with up to `inFlight` reads at once: under the kernel each read is a
 * round trip to the kv driver, and one after another they made a restart with 100 deployments take longer than
 * the provision module's health timeout on a busy machine (the fault suite's finding; 10,000 in docs/PERFORMANCE.md).
 */
async function readMany(store: { get(key: string): Promise<string | undefined> | string | undefined }, keys: string[], inFlight = 64): Promise<(string | undefined)[]> {
  const out = new Array<string | undefined>(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      out[i] = await store.get(keys[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, keys.length) }, worker));
  return out;
}
