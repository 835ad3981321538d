// What one kv grant may do: exactly one namespace (restrictions: { "namespace": "x", "readOnly"?: true });
// a grantee cannot name, list or reach any other namespace. Unknown restriction keys are refused (fail
// closed). Separate from main.ts so the rules run (and are mutation-tested) in a test process too.
import { Kv$Server } from "../schema/gen/kernel.ts";
import { KvError, KvNamespace } from "./store.ts";

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KvError) throw new Error(`failed: kv: ${err.message}`);
    throw err;
  }
}

/** The Kv capability for one grant's `restrictions`, over the store under `root`. */
export function kvCap(root: string, restrictions: Record<string, unknown>): Kv$Server {
  for (const k of Object.keys(restrictions)) {
    if (k !== "namespace" && k !== "readOnly") throw new Error(`denied: kv: unknown restriction "${k}" (known: namespace, readOnly)`);
  }
  if (typeof restrictions.namespace !== "string") throw new Error("denied: kv: a grant needs restrictions.namespace");
  // fail closed: "true", 1 or "yes" is a mistake in the manifest, not a writable grant
  if (restrictions.readOnly !== undefined && typeof restrictions.readOnly !== "boolean") {
    throw new Error(`denied: kv: restrictions.readOnly must be true or false (got ${JSON.stringify(restrictions.readOnly)})`);
  }
  const ns = guard(() => new KvNamespace(root, restrictions.namespace as string));
  const readOnly = restrictions.readOnly === true;
  const writable = () => {
    if (readOnly) throw new Error(`denied: kv: namespace "${restrictions.namespace}" is granted read-only`);
  };
  return new Kv$Server({
    get(p, r) {
      const v = guard(() => ns.get(p.key));
      r.found = v !== null;
      if (v) r._initValue(v.length).copyBuffer(v);
      return Promise.resolve();
    },
    put(p) {
      writable();
      guard(() => ns.put(p.key, new Uint8Array(p.value.toUint8Array())));
      return Promise.resolve();
    },
    delete(p, r) {
      writable();
      r.existed = guard(() => ns.delete(p.key));
      return Promise.resolve();
    },
    list(p, r) {
      const keys = guard(() => ns.list(p.prefix));
      const l = r._initKeys(keys.length);
      keys.forEach((k, i) => l.set(i, k));
      return Promise.resolve();
    },
  });
}
