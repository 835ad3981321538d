// Twin keys and the contract check from chain reads. The chain itself is not started here: the reads
// are a stand-in returning the JSON shapes the chain driver's ChainReader produces (toPrimitive).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeAddress } from "@polkadot/util-crypto";
import { contractCheckerFromChain, deploymentHashText, twinKeysFromChain, type ChainReads } from "../chain-adapters.ts";

const key = new Uint8Array(32).map((_, i) => i + 1);
const hash = "9d89f62702901d3e5e3f4df6b64a8e27";

function chainReadStandIn(): ChainReads & { twinCalls: number } {
  const s = {
    twinCalls: 0,
    twin(id: number) {
      s.twinCalls++;
      if (id === 42) return Promise.resolve({ id: 42, accountId: encodeAddress(key), relay: null, pk: null });
      if (id === 43) return Promise.resolve({ id: 43, accountId: "not-an-address" });
      return Promise.resolve(null);
    },
    contract(id: number) {
      if (id === 1) return Promise.resolve({ contractId: 1, twinId: 42, contractType: { nodeContract: { nodeId: 7, deploymentHash: hash, publicIps: 0 } } });
      if (id === 2) return Promise.resolve({ contractId: 2, contractType: { nodeContract: { nodeId: 7, deploymentHash: "0x" + Buffer.from(hash).toString("hex") } } });
      if (id === 3) return Promise.resolve({ contractId: 3, contractType: { nameContract: { name: "x" } } });
      return Promise.resolve(null);
    },
    rentContractForNode: (n: number) => Promise.resolve(n === 7 ? 99 : null),
  };
  return s;
}

test("twin keys: SS58 account decoded, cached for an hour, clear errors", async () => {
  const read = chainReadStandIn();
  let now = 1000;
  const keys = twinKeysFromChain(read, { now: () => now });
  assert.equal(await keys.getKey(42), key);
  await keys.getKey(42);
  assert.is(read.twinCalls, 1);
  now += 3600;
  await keys.getKey(42);
  assert.is(read.twinCalls, 2);
  for (const [id, re] of [[44, /twin 44 does not exist on chain/], [43, /twin 43 has an unreadable account id/]] as const) {
    try {
      await keys.getKey(id);
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, re);
    }
  }
});

test("contract check: node, hash (text or 0x-hex of its characters), type, rented", async () => {
  const read = chainReadStandIn();
  assert.equal(await contractCheckerFromChain(read, 7).check(1n, hash), { rented: true });
  assert.equal(await contractCheckerFromChain(read, 7).check(2n, hash), { rented: true });
  assert.is(deploymentHashText("0x" + Buffer.from(hash).toString("hex")), hash);
  const bad: [number, bigint, string, RegExp][] = [
    [8, 1n, hash, /contract 1 is for node 7, not this node \(8\)/],
    [7, 1n, "0".repeat(32), /contract 1 hash mismatch/],
    [7, 3n, hash, /contract 3 is not a node contract/],
    [7, 4n, hash, /contract 4 does not exist on chain/],
  ];
  for (const [node, id, h, re] of bad) {
    try {
      await contractCheckerFromChain(read, node).check(id, h);
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, re);
    }
  }
});

test.run();
