// Contracts cancelled on chain free their deployments: only deployments whose contract is no longer active
// and that still have live workloads are deprovisioned, once.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Deployment } from "../../lib/gridtypes/mod.ts";
import { freeCancelled } from "../contract-sync.ts";

const dep = (contract: bigint, states: string[]) => ({
  twin_id: 5,
  contract_id: contract,
  workloads: states.map((state, i) => ({ name: `w${i}`, result: { state } })),
} as unknown as Deployment);

test("deployments whose contract is gone are deprovisioned; active or already deleted ones are left alone", async () => {
  const calls: string[] = [];
  const engine = {
    list: () => [dep(1n, ["ok"]), dep(2n, ["ok", "error"]), dep(3n, ["deleted"]), dep(4n, ["ok"])],
    deprovision: (twin: number, contract: bigint, reason: string) => {
      calls.push(`${twin}/${contract}: ${reason}`);
      return Promise.resolve();
    },
  };
  const freed = await freeCancelled(engine, [1n, 4n]);
  assert.equal(freed, [2n]);
  assert.equal(calls, ["5/2: contract canceled"]);
  assert.equal(await freeCancelled({ ...engine, list: () => [] }, []), []);
});

test.run();
