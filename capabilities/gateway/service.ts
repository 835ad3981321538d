// The gateway driver's state: the internal CA, the routes (kept in `<state>/routes.json` so a restart serves
// them again), a certificate per terminated host, and the proxy process they are pushed to. One route
// changes at a time; the proxy swaps it in without touching the others.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import type { ProxyProcess } from "./proxy-process.ts";
import type { Dial, ProxyRoute } from "./proxy.ts";
import { parseRoute, type RouteSpec } from "./routes.ts";
import { issueLeaf, type KeyPair, makeRoot } from "./x509.ts";

export interface ListenFacts {
  host: string;
  port: number;
}

/** Leaves are re-issued this long before they expire. */
const RENEW_MS = 24 * 3600_000;
const LEAF_DAYS = 7;

export class GatewayService {
  readonly #dir: string;
  readonly #proxy: ProxyProcess;
  readonly #routes = new Map<string, RouteSpec>();
  readonly #leaves = new Map<string, KeyPair & { expires: number }>();
  #root: KeyPair;
  #listen: ListenFacts = { host: "", port: 0 };
  // serialises route changes: each persists the whole table
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, proxy: ProxyProcess) {
    this.#dir = dir;
    this.#proxy = proxy;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#root = this.#loadRoot();
  }

  #loadRoot(): KeyPair {
    const cert = join(this.#dir, "ca.pem");
    const key = join(this.#dir, "ca.key");
    if (existsSync(cert) && existsSync(key)) return { certPem: readFileSync(cert, "utf8"), keyPem: readFileSync(key, "utf8") };
    const root = makeRoot();
    writeFileAtomic(key, root.keyPem, { mode: 0o600 });
    writeFileAtomic(cert, root.certPem, { mode: 0o644 });
    return root;
  }

  get caPem(): string {
    return this.#root.certPem;
  }

  /** The addresses a backend may not be: the gateway's own (every address of its namespace when it listens on all). */
  async #own(): Promise<string[]> {
    const h = this.#listen.host.toLowerCase();
    const all = await this.#proxy.addresses();
    return h && h !== "0.0.0.0" && h !== "::" ? [h, ...all] : all;
  }

  /** Opens :443 (or the configured address) and serves every stored route again. */
  async start(host: string, port: number): Promise<ListenFacts> {
    const bound = await this.#proxy.listen(host, port);
    this.#listen = { host, port: bound };
    const file = join(this.#dir, "routes.json");
    const stored: RouteSpec[] = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
    for (const r of stored) {
      try {
        const { spec, dials } = parseRoute(JSON.stringify(r), await this.#own());
        await this.#push(spec, dials);
        this.#routes.set(spec.id, spec);
      } catch (err) {
        console.error(`gateway: stored route ${r.id} dropped: ${(err as Error).message}`);
      }
    }
    return this.#listen;
  }

  get listen(): ListenFacts {
    return this.#listen;
  }

  #leaf(host: string): KeyPair {
    const have = this.#leaves.get(host);
    if (have && have.expires - Date.now() > RENEW_MS) return have;
    const leaf = { ...issueLeaf(this.#root, host, LEAF_DAYS), expires: Date.now() + LEAF_DAYS * 86_400_000 };
    this.#leaves.set(host, leaf);
    return leaf;
  }

  async #push(spec: RouteSpec, dials: Dial[]): Promise<string | undefined> {
    const route: ProxyRoute = { id: spec.id, host: spec.host, passthrough: spec.tlsPassthrough, backends: dials };
    if (!spec.tlsPassthrough) {
      const leaf = this.#leaf(spec.host);
      route.certPem = leaf.certPem;
      route.keyPem = leaf.keyPem;
    }
    await this.#proxy.set(route);
    return route.certPem;
  }

  #persist(): void {
    writeFileAtomic(join(this.#dir, "routes.json"), JSON.stringify([...this.#routes.values()], null, 1), { mode: 0o600 });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  setRoute(json: string): Promise<{ host: string; listen: string; certificate?: string }> {
    return this.#serial(async () => {
      let parsed;
      try {
        parsed = parseRoute(json, await this.#own());
      } catch (err) {
        throw new Error(`failed: gateway: ${(err as Error).message}`);
      }
      const { spec, dials } = parsed;
      for (const r of this.#routes.values()) {
        if (r.host === spec.host && r.id !== spec.id) throw new Error(`failed: gateway: ${spec.host} is already routed by ${r.id}`);
      }
      const certificate = await this.#push(spec, dials);
      this.#routes.set(spec.id, spec);
      this.#persist();
      return { host: spec.host, listen: this.listenText(), ...(certificate ? { certificate } : {}) };
    });
  }

  deleteRoute(id: string): Promise<boolean> {
    return this.#serial(async () => {
      const had = this.#routes.get(id);
      await this.#proxy.delete(id);
      if (!had) return false;
      this.#routes.delete(id);
      if (![...this.#routes.values()].some((r) => r.host === had.host)) this.#leaves.delete(had.host);
      this.#persist();
      return true;
    });
  }

  list(): RouteSpec[] {
    return [...this.#routes.values()];
  }

  listenText(): string {
    const h = this.#listen.host;
    return `${h.includes(":") ? `[${h}]` : h}:${this.#listen.port}`;
  }
}
