import { suite } from "uvu";
import * as assert from "uvu/assert";
import { backoffDelay, REGISTRATION_BACKOFF, relayField } from "./mod.ts";

const t = suite("registrar backoff and relay field");

t("delays double from 1 s and stop at 2 min, like Zero-OS", () => {
  const d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((a) => backoffDelay(REGISTRATION_BACKOFF, a));
  assert.equal(d, [1000, 2000, 4000, 8000, 16000, 32000, 64000, 120000, 120000, 120000]);
  assert.is(backoffDelay(REGISTRATION_BACKOFF, 0), 1000, "attempt 0 counts as the first retry");
});

t("relay hosts are deduplicated, sorted and joined with _", () => {
  assert.is(relayField(["r2.grid.tf", "r1.grid.tf", "r2.grid.tf", " "]), "r1.grid.tf_r2.grid.tf");
  assert.is(relayField([]), null);
});

t.run();
