// What a test needs from the machine, decided in one place. CI runs as root with every package of .ci/run
// installed, so there a missing privilege is a broken CI, not a reason to skip: the check fails. On a
// developer's machine the test says what it did not check and goes on.
import process from "node:process";

export interface TestEnv {
  uid: number | undefined;
  /** CI=true (or 1): the environment .ci/run sets up */
  ci: boolean;
}

export function testEnv(): TestEnv {
  const ci = /^(true|1)$/i.test(process.env.CI ?? "");
  return { uid: process.getuid?.(), ci };
}

/** True when the checks for `what` can run (we are root). Not root: throws under CI (the test fails, naming
 * `what`), else logs that `what` was not checked and returns false. */
export function rootOnly(what: string, env: TestEnv = testEnv()): boolean {
  if (env.uid === 0) return true;
  const msg = `${what}: needs root (uid ${env.uid ?? "unknown"})`;
  if (env.ci) throw new Error(`${msg}; CI runs as root, so this check must not be skipped there`);
  console.log(`not checked: ${msg}`);
  return false;
}
