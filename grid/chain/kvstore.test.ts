// deno-lint-ignore-file no-explicit-any
// The dev chain's TFKVStore pallet through the official @threefold/tfchain_client 2.9.2 (set, get,
// list = entries(), delete) and its limits and errors as TFChain's pallet-kvstore has them.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { type RunningChain, startChain } from "./mod.ts";

const require = createRequire(import.meta.url);
const { Client }: any = require("@threefold/tfchain_client");

const t = suite("dev chain: TFKVStore pallet");
let c: RunningChain;
let alice: any;
let bob: any;

t.before(async () => {
  c = await startChain({ blockTimeMs: 0, log: () => {} });
  alice = new Client({ url: c.url, mnemonicOrSecret: c.devAccounts[0].mnemonic, keypairType: "sr25519" });
  bob = new Client({ url: c.url, mnemonicOrSecret: c.devAccounts[1].mnemonic, keypairType: "sr25519" });
  await alice.connect();
  await bob.connect();
});

t.after(async () => {
  await alice?.disconnect();
  await bob?.disconnect();
  await c?.stop();
});

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return String((e as any).keyError ?? (e as Error).message);
  }
  throw new Error("expected the call to fail");
}

t("set, get, list and delete per account; EntrySet/EntryTaken events", async () => {
  const events: string[] = [];
  const unsub = await alice.api.query.system.events((evs: any[]) => {
    for (const { event } of evs) if (event.section === "tfkvStore") events.push(`${event.method}:${event.data[1].toHuman()}`);
  });
  await (await alice.kvStore.set({ key: "dev/a", value: "one" })).apply();
  await (await alice.kvStore.set({ key: "dev/b", value: "two" })).apply();
  await (await alice.kvStore.set({ key: "dev/a", value: "uno" })).apply(); // overwrite
  assert.is(await alice.kvStore.get({ key: "dev/a" }), "uno");
  assert.is(await bob.kvStore.get({ key: "dev/a" }), "", "another account's store is separate");
  const listed = (await alice.kvStore.list()).sort();
  assert.equal(listed, ["dev/a", "dev/b"]);
  assert.equal(await bob.kvStore.list(), []);
  await (await alice.kvStore.delete({ key: "dev/a" })).apply();
  assert.is(await alice.kvStore.get({ key: "dev/a" }), "");
  assert.equal(await alice.kvStore.list(), ["dev/b"]);
  unsub();
  assert.ok(events.includes("EntrySet:dev/a") && events.includes("EntryTaken:dev/a"), events.join(","));
});

t("errors: NoValueStored, KeyIsTooLarge, ValueIsTooLarge; nothing changes", async () => {
  assert.match(await failure((await bob.kvStore.delete({ key: "absent" })).apply()), "NoValueStored");
  assert.match(await failure((await bob.kvStore.set({ key: "k".repeat(513), value: "v" })).apply()), "KeyIsTooLarge");
  assert.match(await failure((await bob.kvStore.set({ key: "k", value: "v".repeat(2049) })).apply()), "ValueIsTooLarge");
  assert.equal(await bob.kvStore.list(), []);
  // the limits themselves are allowed
  await (await bob.kvStore.set({ key: "k".repeat(512), value: "v".repeat(2048) })).apply();
  assert.is((await bob.kvStore.get({ key: "k".repeat(512) })).length, 2048);
});

t.run();
