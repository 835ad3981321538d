// The zdb workload manager over the real control capability (capabilities/zdb/control.ts on a real Store in
// a temp folder, called through Cap'n Proto): provision, idempotent replay, update (grow, password and
// public change; a mode change or a shrink is `unchanged`), pause/resume as a namespace lock, delete.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { zdbControl } from "../../../capabilities/zdb/control.ts";
import { Store } from "../../../capabilities/zdb/store.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import type { Workload } from "../../lib/gridtypes/types.ts";
import { parseJson } from "../../lib/gridtypes/json.ts";
import { UnchangedError, type WorkloadContext } from "../interfaces.ts";
import { zdbBackend } from "./client.ts";
import { zdbManager } from "./manager.ts";

const store = new Store(tempDir("zt-zdb-mgr-"));
const cap = zdbControl(store, () => ({ host: "127.0.0.1", port: 9900, socket: "" })).client().client;
const backend = zdbBackend((fn) => fn(cap));
const m = zdbManager({ backend });
const ctx = { twin: 7, contract: 42n, workloadId: "7-42-db", replay: false, rented: false } as WorkloadContext;
const wl = (data: Record<string, unknown>): Workload => ({
  version: 0, name: "db", type: "zdb", metadata: "", description: "", data: parseJson(JSON.stringify(data)),
  result: { created: 0, state: "init", message: "", data: null },
} as unknown as Workload);
const base = { size: 1000, mode: "user", password: "p1", public: false };

test("provision creates the namespace with the deployment's settings; the result is Zero-OS's", async () => {
  const r = await m.provision(ctx, wl(base));
  assert.equal(r, { Namespace: "7-42-db", IPs: ["127.0.0.1"], Port: 9900 });
  const ns = store.get("7-42-db")!;
  assert.equal({ ...ns.settings }, { password: "p1", maxsize: 1000n, public: false, worm: false, mode: "user", locked: false, frozen: false });
  assert.equal(await m.provision(ctx, wl(base)), r, "replaying a provision is harmless");
});

test("update grows the size and changes password/public; shrink and mode change are unchanged", async () => {
  await m.update!(ctx, wl({ ...base, size: 5000, password: "p2", public: true }));
  const ns = store.get("7-42-db")!;
  assert.is(ns.settings.maxsize, 5000n);
  assert.is(ns.settings.password, "p2");
  assert.is(ns.settings.public, true);
  try {
    await m.update!(ctx, wl({ ...base, size: 10 }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnchangedError);
    assert.match((e as Error).message, /cannot shrink/);
  }
  try {
    await m.update!(ctx, wl({ ...base, size: 5000, mode: "seq" }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnchangedError);
    assert.match((e as Error).message, /cannot change namespace mode/);
  }
  assert.is(ns.settings.maxsize, 5000n, "nothing changed");
});

test("invalid data is refused before anything is created", async () => {
  const c2 = { ...ctx, workloadId: "7-42-bad" };
  for (const d of [{ ...base, size: 0 }, { ...base, mode: "direct" }]) {
    try {
      await m.provision(c2, wl(d));
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /size|mode/);
    }
  }
  assert.is(store.get("7-42-bad"), undefined);
});

test("pause locks, resume unlocks; deprovision deletes the namespace and its files", async () => {
  await m.pause!(ctx, wl(base));
  assert.is(store.get("7-42-db")!.settings.locked, true);
  await m.resume!(ctx, wl(base));
  assert.is(store.get("7-42-db")!.settings.locked, false);
  await m.deprovision(ctx, wl(base));
  assert.is(store.get("7-42-db"), undefined);
  await m.deprovision(ctx, wl(base)); // already gone: fine
});

test("a server on every address reports the node's addresses", async () => {
  const wide = zdbControl(store, () => ({ host: "::", port: 9900, socket: "" })).client().client;
  const m2 = zdbManager({ backend: zdbBackend((fn) => fn(wide)), nodeAddresses: () => Promise.resolve(["10.1.0.5", "2001:db8::5"]) });
  const r = await m2.provision({ ...ctx, workloadId: "7-43-db" }, wl(base));
  assert.equal(r, { Namespace: "7-43-db", IPs: ["10.1.0.5", "2001:db8::5"], Port: 9900 });
});

test.run();
