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
  return needs(what, env.uid === 0, `root (uid ${env.uid ?? "unknown"})`, env);
}

/** The same rule for any other thing the machine must have (`need`, e.g. "root and /dev/loop-control"): `have`
 * true → true; else throws under CI (.ci/run provides everything) and elsewhere logs `not checked` → false. */
export function needs(what: string, have: boolean, need: string, env: TestEnv = testEnv()): boolean {
  if (have) return true;
  const msg = `${what}: needs ${need}`;
  if (env.ci) throw new Error(`${msg}; CI provides it, so this check must not be skipped there`);
  console.log(`not checked: ${msg}`);
  return false;
}
