// Child process for kv-store.test.ts: multi-key commits on KvDurableStore over the kv driver's storage
// (KvNamespace, the files the kv driver writes under the kernel), as fast as it can, until killed -9.
// Batch i puts b/<i>/x, b/<i>/y, b/<i>/z (each the text i) and deletes b/<i-1>/x in one commit, and
// prints "ACK <i>" once the commit resolved.
import process from "node:process";
import { KvNamespace } from "../../../capabilities/kv/store.ts";
import { KvDurableStore } from "../kv-store.ts";

const [root, fromArg] = process.argv.slice(2);
const store = await KvDurableStore.open(new KvNamespace(root, "provision"));
for (let i = Number(fromArg); ; i++) {
  const v = String(i);
  await store.commit([
    { op: "put", key: `b/${i}/x`, value: v },
    { op: "put", key: `b/${i}/y`, value: v },
    { op: "put", key: `b/${i}/z`, value: v },
    { op: "del", key: `b/${i - 1}/x` },
  ]);
  process.stdout.write(`ACK ${i}\n`);
}
