// The kv driver: durable key-value storage under the one directory it may touch (its first argument).
// Each grant gets one namespace (grant.ts); the store itself is store.ts.
import process from "node:process";
import { startProcess } from "../lib/guest/process.ts";
import { kvCap } from "./grant.ts";

const root = process.argv[2];
if (!root) {
  console.error("kv: usage: kv/main.ts <data dir>");
  process.exit(2);
}

startProcess({ provide: { kv: (restrictions) => kvCap(root, restrictions) } });
