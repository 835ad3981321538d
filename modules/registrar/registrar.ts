// The registration state machine of ZOS-REFERENCE §2.4: location → account (activate/fund, accept T&C)
// → twin (create or update relay + pk) → farm check → node (create or update capacity, interfaces,
// location), retried with exponential backoff until it succeeds; then uptime reports every 40 min and a
// re-registration every 24 h. Every chain call is idempotent from the chain's point of view: each
// step reads first and writes only what differs, so a crash or kill at any point is safe to rerun.
import { type BackoffPolicy, backoffDelay, REGISTRATION_BACKOFF } from "./backoff.ts";
import type { Activator, ChainNode, HostFacts, NodeLocation, NodeRegistration, RegistrarChain } from "./ports.ts";
import { initialState, type RegistrationState, type RegistrationStep } from "./state.ts";

/** 0.001 TFT in chain units (7 decimals): at or below it the account counts as unfunded (§2.4 step 2). */
export const MIN_BALANCE = 10_000n;
export const TERMS_LINK = "http://zos.tf/terms/v0.1";
export const TERMS_HASH = "9021d4dee05a661e2cb6838152c67f25";
export const UNKNOWN_LOCATION: NodeLocation = { city: "Unknown", country: "Unknown", latitude: "0", longitude: "0" };

export interface RegistrarOptions {
  chain: RegistrarChain;
  activator: Activator;
  host: HostFacts;
  farmId: number;
  /** relay hosts the node's RMB session uses; stored sorted, deduplicated, joined with "_" */
  relays: string[];
  /** hex of the node's compressed secp256k1 key (RMB e2e), or null to leave it unset */
  pk: string | null;
  backoff?: BackoffPolicy;
  uptimeIntervalMs?: number;
  reregisterIntervalMs?: number;
  /** how long to wait for an activation to show up in the balance */
  fundingTimeoutMs?: number;
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export class RegistrationError extends Error {
  readonly step: RegistrationStep;
  readonly permanent: boolean;
  constructor(step: RegistrationStep, message: string, permanent = false) {
    super(message);
    this.name = "RegistrationError";
    this.step = step;
    this.permanent = permanent;
  }
}

export function relayField(relays: string[]): string | null {
  const hosts = [...new Set(relays.map((r) => r.trim()).filter(Boolean))].sort();
  return hosts.length ? hosts.join("_") : null;
}

function sameRegistration(a: NodeRegistration, b: NodeRegistration): boolean {
  const norm = (r: NodeRegistration) =>
    JSON.stringify({
      farmId: r.farmId,
      resources: [r.resources.hru, r.resources.sru, r.resources.cru, r.resources.mru],
      location: [r.location.city, r.location.country, r.location.latitude, r.location.longitude],
      interfaces: r.interfaces.map((i) => [i.name, i.mac.toLowerCase(), [...i.ips].sort()]),
      secureBoot: r.secureBoot,
      virtualized: r.virtualized,
      serialNumber: r.serialNumber,
    });
  return norm(a) === norm(b);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

export class Registrar {
  #o: Required<Omit<RegistrarOptions, "log">> & Pick<RegistrarOptions, "log">;
  #state: RegistrationState;
  #abort = new AbortController();
  #loop: Promise<void> | null = null;
  #waiters: { resolve: (v: { twinId: number; nodeId: number }) => void; reject: (e: Error) => void }[] = [];

  constructor(opts: RegistrarOptions) {
    if (!Number.isInteger(opts.farmId) || opts.farmId < 0) throw new Error(`farm id must be a u32, got ${opts.farmId}`);
    // explicit `undefined`s must not hide the defaults
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as RegistrarOptions;
    this.#o = {
      backoff: REGISTRATION_BACKOFF,
      uptimeIntervalMs: 40 * 60_000,
      reregisterIntervalMs: 24 * 3600_000,
      fundingTimeoutMs: 60_000,
      now: Date.now,
      ...given,
    };
    this.#state = initialState(opts.farmId);
  }

  /** A copy of the current state (for diagnostics). */
  state(): RegistrationState {
    return { ...this.#state };
  }

  nodeId(): number | undefined {
    return this.#state.node_id ?? undefined;
  }

  twinId(): number | undefined {
    return this.#state.twin_id ?? undefined;
  }

  #log(event: string, fields: Record<string, unknown> = {}): void {
    this.#o.log?.(event, fields);
  }

  #step(step: RegistrationStep): void {
    this.#state.step = step;
  }

  async #location(): Promise<NodeLocation> {
    this.#step("location");
    try {
      return await this.#o.host.location();
    } catch (err) {
      this.#log("location_fallback", { reason: (err as Error).message });
      return UNKNOWN_LOCATION;
    }
  }

  async #ensureAccount(): Promise<void> {
    const { chain, activator } = this.#o;
    this.#step("account");
    if ((await chain.freeBalance()) <= MIN_BALANCE) {
      this.#log("activating_account", { address: chain.address });
      await activator.activate(chain.address);
      const deadline = this.#o.now() + this.#o.fundingTimeoutMs;
      while ((await chain.freeBalance()) <= MIN_BALANCE) {
        if (this.#o.now() > deadline || this.#abort.signal.aborted) {
          throw new RegistrationError("account", `account ${chain.address} is still unfunded after activation`);
        }
        await sleep(200, this.#abort.signal);
      }
    }
    this.#step("terms");
    if (!(await chain.hasAcceptedTerms())) await chain.acceptTerms(TERMS_LINK, TERMS_HASH);
  }

  async #ensureTwin(): Promise<number> {
    const { chain } = this.#o;
    this.#step("twin");
    const relay = relayField(this.#o.relays);
    const pk = this.#o.pk ? this.#o.pk.toLowerCase() : null;
    let twinId = await chain.twinIdByAccount();
    if (twinId === null) {
      twinId = await chain.createTwin(relay, pk);
      this.#log("twin_created", { twin_id: twinId });
      return twinId;
    }
    const twin = await chain.getTwin(twinId);
    if (!twin) throw new RegistrationError("twin", `twin ${twinId} is indexed for this account but cannot be read`);
    if ((twin.relay ?? null) !== relay || (twin.pk?.toLowerCase() ?? null) !== pk) {
      await chain.updateTwin(relay, pk);
      this.#log("twin_updated", { twin_id: twinId, relay });
    }
    return twinId;
  }

  async #desired(): Promise<NodeRegistration> {
    const { host, farmId } = this.#o;
    const location = await this.#location();
    return {
      farmId,
      resources: await host.capacity(),
      location,
      interfaces: await host.interfaces(),
      secureBoot: await host.secureBoot(),
      virtualized: await host.virtualized(),
      serialNumber: await host.serialNumber(),
    };
  }

  async #ensureNode(twinId: number, desired: NodeRegistration): Promise<number> {
    const { chain, farmId } = this.#o;
    this.#step("farm");
    if (!(await chain.farm(farmId))) {
      throw new RegistrationError("farm", `farm ${farmId} does not exist on chain; check farmer_id`);
    }
    this.#step("node");
    const nodeId = await chain.nodeIdByTwin(twinId);
    if (nodeId === null) {
      const id = await chain.createNode(desired);
      this.#log("node_created", { node_id: id });
      return id;
    }
    const current: ChainNode | null = await chain.getNode(nodeId);
    if (!current) throw new RegistrationError("node", `node ${nodeId} is indexed for twin ${twinId} but cannot be read`);
    // Once the chain says "not virtualized" it stays so (Zero-OS keeps it).
    const want = { ...desired, virtualized: current.virtualized ? desired.virtualized : false };
    if (!sameRegistration(current, want)) {
      await chain.updateNode(nodeId, want);
      this.#log("node_updated", { node_id: nodeId });
    }
    return nodeId;
  }

  /** One full pass of the state machine. Throws a RegistrationError naming the step that failed. */
  async registerOnce(): Promise<{ twinId: number; nodeId: number }> {
    if (this.#o.farmId === 0) {
      throw new RegistrationError("farm", "node has no farm (farmer_id missing or 0): an orphan node never registers", true);
    }
    this.#state.state = "registering";
    try {
      const desired = await this.#desired();
      await this.#ensureAccount();
      const twinId = await this.#ensureTwin();
      this.#state.twin_id = twinId;
      const nodeId = await this.#ensureNode(twinId, desired);
      this.#state.node_id = nodeId;
      this.#step("done");
      this.#state.state = "registered";
      this.#state.last_error = null;
      this.#state.next_retry_at = null;
      this.#state.registered_at = this.#o.now();
      return { twinId, nodeId };
    } catch (err) {
      if (err instanceof RegistrationError) throw err;
      throw new RegistrationError(this.#state.step ?? "location", (err as Error).message ?? String(err));
    }
  }

  /** Registers with backoff until done (or permanently failed), then keeps uptime and re-registration going. */
  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run().catch((err) => this.#log("registrar_crashed", { error: String(err) }));
  }

  whenRegistered(): Promise<{ twinId: number; nodeId: number }> {
    const s = this.#state;
    if (s.state === "registered" && s.twin_id !== null && s.node_id !== null) {
      return Promise.resolve({ twinId: s.twin_id, nodeId: s.node_id });
    }
    if (s.state === "failed") return Promise.reject(new Error(`registration failed: ${s.last_error}`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    for (const w of this.#waiters.splice(0)) w.reject(new Error("registrar stopped before registration finished"));
  }

  async #registerWithRetry(): Promise<boolean> {
    const signal = this.#abort.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      this.#state.attempt = attempt;
      try {
        const ids = await this.registerOnce();
        this.#log("registered", { twin_id: ids.twinId, node_id: ids.nodeId, attempt });
        for (const w of this.#waiters.splice(0)) w.resolve(ids);
        return true;
      } catch (err) {
        const e = err as RegistrationError;
        this.#state.last_error = `${e.step}: ${e.message}`;
        if (e.permanent) {
          this.#state.state = "failed";
          this.#log("registration_failed", { step: e.step, error: e.message });
          for (const w of this.#waiters.splice(0)) w.reject(new Error(`registration failed: ${this.#state.last_error}`));
          return false;
        }
        const delay = backoffDelay(this.#o.backoff, attempt);
        this.#state.next_retry_at = this.#o.now() + delay;
        this.#log("registration_retry", { step: e.step, error: e.message, attempt, delay_ms: delay });
        await sleep(delay, signal);
      }
    }
    return false;
  }

  async reportUptime(): Promise<void> {
    const now = this.#o.now();
    try {
      await this.#o.chain.reportUptime(this.#o.host.uptimeSecs(), Math.floor(now / 1000));
      this.#state.last_uptime_report = now;
      this.#state.uptime_reports++;
      this.#state.last_uptime_error = null;
    } catch (err) {
      this.#state.last_uptime_error = (err as Error).message;
      this.#log("uptime_report_failed", { error: (err as Error).message });
      throw err;
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    if (!(await this.#registerWithRetry())) return;
    let nextReregister = this.#o.now() + this.#o.reregisterIntervalMs;
    while (!signal.aborted) {
      if (this.#o.now() >= nextReregister) {
        // One attempt: a node already on chain keeps reporting uptime while a refresh fails, and
        // tries again on the next round (the error stays visible in the state).
        try {
          await this.registerOnce();
          nextReregister = this.#o.now() + this.#o.reregisterIntervalMs;
        } catch (err) {
          const e = err as RegistrationError;
          this.#state.state = "registered";
          this.#state.last_error = `${e.step}: ${e.message}`;
          this.#log("reregistration_failed", { step: e.step, error: e.message });
          nextReregister = this.#o.now() + Math.min(this.#o.reregisterIntervalMs, this.#o.uptimeIntervalMs);
        }
      }
      // A failed uptime report is retried on the registration backoff, not after a full interval:
      // missing reports cost the farmer minting (ZOS-REFERENCE §10.6).
      for (let attempt = 1; !signal.aborted; attempt++) {
        try {
          await this.reportUptime();
          break;
        } catch {
          await sleep(backoffDelay(this.#o.backoff, attempt), signal);
        }
      }
      const untilReregister = Math.max(0, nextReregister - this.#o.now());
      await sleep(Math.min(this.#o.uptimeIntervalMs, untilReregister), signal);
    }
  }
}
