// The node's manifest as a reviewer reads it (kernel/audit.ts): modules hold no runtime permissions, the seed
// directory is reachable only as the identity driver's, the Signers are purpose-scoped per driver, the
// registrar's submit facet is an allowlist of registration calls, and only the api may serve zos.* commands.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { audit } from "../../kernel/audit.ts";
import { loadManifest } from "../../kernel/manifest.ts";
import { NODE_MANIFEST } from "../node.ts";
import { ReaderTwins } from "../../capabilities/rmb/reader-twins.ts";

const t = suite("manifests/node.json grants");

const loaded = loadManifest(NODE_MANIFEST);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const a = audit(loaded.manifest);
const proc = (n: string) => a.processes.find((p) => p.name === n)!;
const grant = (p: string, g: string) => proc(p).grants.find((x) => x.name === g);

t("modules have no runtime permissions and run as their own users", () => {
  for (const m of ["provision", "registrar", "api"]) {
    assert.equal(proc(m).permissions, {}, `${m} has no permissions`);
    assert.is(proc(m).kind, "module");
    assert.is.not(proc(m).user, "kernel");
  }
});

t("only the identity driver may touch the seed directory; Signers are purpose-scoped per driver", () => {
  for (const p of a.processes) {
    const paths = [...(p.permissions.read ?? []), ...(p.permissions.write ?? [])];
    if (p.name !== "identity") assert.not.ok(paths.some((x) => x.includes("${state}/identity") || x === "${state}"), `${p.name} cannot read the seed`);
  }
  const chainSigner = grant("chain", "signer")?.restrictions as { purpose: string; calls: string[] };
  assert.is(chainSigner.purpose, "chain");
  // the chain signer signs only the node's own calls: never a transfer, a farm change or a user's contract
  assert.ok(chainSigner.calls.length > 0, "the chain signer lists the calls it may sign");
  assert.not.ok(chainSigner.calls.some((c) => /balances\.|utility\.|sudo|Farm|createNodeContract|cancelContract/.test(c)), `chain signer calls: ${chainSigner.calls}`);
  const registrarCalls = grant("registrar", "submit")?.restrictions.calls as string[];
  for (const c of registrarCalls) assert.ok(chainSigner.calls.includes(c), `the chain signer can sign the registrar's ${c}`);
  assert.equal(grant("rmb", "signer")?.restrictions, { purpose: "rmb" });
  for (const m of ["provision", "registrar", "api"]) {
    assert.not.ok(proc(m).grants.some((g) => g.cap === "signer"), `${m} holds no Signer`);
    const id = grant(m, "identity");
    if (id) assert.equal(id.restrictions, { signers: [] }, `${m} sees the public identity only`);
  }
});

t("the registrar submits registration calls only; only the api serves zos.*", () => {
  const calls = grant("registrar", "submit")?.restrictions.calls as string[];
  assert.ok(calls.length > 0 && calls.every((c) => c.startsWith("tfgridModule.")));
  assert.not.ok(calls.some((c) => /transfer|Contract|Farm/.test(c)));
  assert.equal(grant("registrar", "rmb")?.restrictions, { prefixes: [] });
  assert.equal(grant("api", "rmb")?.restrictions, { prefixes: ["zos."] });
  const submitters = a.processes.filter((p) => p.grants.some((g) => g.from === "chain" && g.cap === "submit")).map((p) => p.name);
  assert.equal(submitters, ["registrar"]);
});

t("twin records from the chain reader's JSON: SS58 account, relay text, pk as bytes or as hex text", async () => {
  const account = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
  const pkHex = "0x02" + "ab".repeat(32);
  const hexText = "0x" + Array.from(new TextEncoder().encode(pkHex), (b) => b.toString(16).padStart(2, "0")).join("");
  const table: Record<number, unknown> = {
    1: { accountId: account, relay: "127.0.0.1:8080", pk: pkHex },
    2: { accountId: account, relay: null, pk: hexText },
  };
  const twins = new ReaderTwins({ twin: (id) => Promise.resolve(table[id] ?? null) });
  const one = await twins.get(1);
  assert.is(one?.accountId.length, 32);
  assert.is(one?.relay, "127.0.0.1:8080");
  assert.is(one?.pk?.length, 33);
  const two = await twins.get(2);
  assert.equal(two?.pk, one?.pk);
  assert.is(two?.relay, null);
  assert.is(await twins.get(3), null);
  assert.is(await twins.get(0), null);
});

t.run();
