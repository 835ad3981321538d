// The Zdb control capability (capabilities/schema/zdb.capnp) over a Store: what the zdb workload manager
// uses to keep one namespace per workload. Errors start with "failed:" (the kernel's convention) and say
// what to change.
import { Buffer } from "node:buffer";
import type { NamespaceInfo, NamespaceSpec } from "../schema/gen/zdb.ts";
import { Zdb$Server } from "../schema/gen/zdb.ts";
import type { Namespace } from "./namespace.ts";
import { DEFAULT_NAMESPACE, invalidName, type Store } from "./store.ts";

export interface EndpointFacts {
  host: string;
  port: number;
  socket: string;
}

function fill(out: NamespaceInfo, ns: Namespace): void {
  out.name = ns.name;
  out.mode = ns.settings.mode;
  out.public = ns.settings.public;
  out.passwordSet = ns.settings.password !== null;
  out.maxSize = ns.settings.maxsize;
  out.dataSize = BigInt(ns.dataSize);
  out.entries = BigInt(ns.entries);
  out.locked = ns.settings.locked;
  out.pool = ns.pool;
  out.diskFree = BigInt(ns.diskFree ?? 0);
}

function checkName(name: string): void {
  const bad = invalidName(name);
  if (bad) throw new Error(`failed: zdb: namespace "${name}": ${bad}`);
  if (name === DEFAULT_NAMESPACE) throw new Error(`failed: zdb: the "${DEFAULT_NAMESPACE}" namespace is the server's own`);
}

function setSize(ns: Namespace, size: bigint): void {
  if (size > 0n && size < BigInt(ns.dataSize)) {
    throw new Error(`failed: zdb: namespace "${ns.name}" holds ${ns.dataSize} bytes, more than the requested size ${size}`);
  }
  ns.settings.maxsize = size;
}

function apply(ns: Namespace, spec: NamespaceSpec): void {
  const mode = spec.mode || "user";
  if (mode !== "user" && mode !== "seq") throw new Error(`failed: zdb: mode "${spec.mode}" is not user or seq`);
  if (mode !== ns.settings.mode) {
    if (!ns.fresh) throw new Error(`failed: zdb: namespace "${ns.name}" holds data, its mode stays ${ns.settings.mode}`);
    ns.settings.mode = mode;
  }
  if (Buffer.byteLength(spec.password) > 255) throw new Error("failed: zdb: a password is at most 255 bytes");
  setSize(ns, spec.maxSize);
  ns.settings.password = spec.password === "" ? null : spec.password;
  ns.settings.public = spec.public;
  ns.commit();
}

export function zdbControl(store: Store, endpoint: () => EndpointFacts): Zdb$Server {
  const find = (name: string) => {
    checkName(name);
    const ns = store.get(name);
    if (!ns) throw new Error(`failed: zdb: no namespace "${name}"`);
    return ns;
  };
  return new Zdb$Server({
    ensure(p, r) {
      const spec = p.spec;
      checkName(spec.name);
      let ns = store.get(spec.name);
      r.created = !ns;
      if (!ns) {
        try {
          ns = store.create(spec.name, {}, spec.pool);
        } catch (err) {
          throw new Error(`failed: zdb: namespace "${spec.name}": ${(err as Error).message}`);
        }
      }
      try {
        apply(ns, spec);
      } catch (err) {
        if (r.created) store.remove(spec.name);
        throw err;
      }
      fill(r._initInfo(), ns);
      return Promise.resolve();
    },
    resize(p, r) {
      const ns = find(p.name);
      setSize(ns, p.maxSize);
      ns.commit();
      fill(r._initInfo(), ns);
      return Promise.resolve();
    },
    delete(p, r) {
      checkName(p.name);
      r.existed = store.remove(p.name);
      return Promise.resolve();
    },
    info(p, r) {
      checkName(p.name);
      const ns = store.get(p.name);
      r.found = !!ns;
      if (ns) fill(r._initInfo(), ns);
      return Promise.resolve();
    },
    list(_p, r) {
      const names = store.names().filter((n) => n !== DEFAULT_NAMESPACE);
      const l = r._initNames(names.length);
      names.forEach((n, i) => l.set(i, n));
      return Promise.resolve();
    },
    setLock(p) {
      const ns = find(p.name);
      ns.settings.locked = p.locked;
      ns.commit();
      return Promise.resolve();
    },
    endpoint(_p, r) {
      const e = endpoint();
      const out = r._initEndpoint();
      out.host = e.host;
      out.port = e.port;
      out.socket = e.socket;
      return Promise.resolve();
    },
  });
}
