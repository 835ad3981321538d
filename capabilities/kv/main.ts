// The kv driver: durable key-value storage under the one directory it may touch (its first argument).
// Each grant gets one namespace (restrictions: { "namespace": "x", "readOnly"?: true }); a grantee cannot
// name, list or reach any other namespace. Unknown restriction keys are refused (fail closed).
import process from "node:process";
import { Kv$Server } from "../schema/gen/kernel.ts";
import { startProcess } from "../lib/guest/process.ts";
import { KvError, KvNamespace } from "./store.ts";

const root = process.argv[2];
if (!root) {
  console.error("kv: usage: kv/main.ts <data dir>");
  process.exit(2);
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KvError) throw new Error(`failed: kv: ${err.message}`);
    throw err;
  }
}

function kvCap(restrictions: Record<string, unknown>): Kv$Server {
  for (const k of Object.keys(restrictions)) {
    if (k !== "namespace" && k !== "readOnly") throw new Error(`denied: kv: unknown restriction "${k}" (known: namespace, readOnly)`);
  }
  if (typeof restrictions.namespace !== "string") throw new Error("denied: kv: a grant needs restrictions.namespace");
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

startProcess({ provide: { kv: kvCap } });
