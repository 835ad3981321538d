// What the node knows about releases, on the state disk under `${state}/.upgrade/` (a name no process can
// have, so no driver is handed it): state.json — the active release (what the next boot runs), the one
// before it, releases that failed and were rolled back — and approvals.json, the farmer's approvals of
// releases that widen authority. Both are replaced atomically (capabilities/lib/fs/atomic.ts): a power cut
// leaves the old file or the new one, so a reboot boots either the upgraded or the previous release.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../capabilities/lib/fs/atomic.ts";

export const UPGRADE_DIR = ".upgrade";

export interface ReleaseRef {
  /** the release's tree sha256 (release.json tree_sha256): what approvals name and what the node pins */
  hash: string;
  /** the hub's md5 of that file (Zero-OS's change check) */
  md5: string;
  version: string;
  /** the verified tree (under releases/) */
  dir: string;
}

export interface UpgradeState {
  /** null: the release the node was installed with (the image's /lib/zos, or the source tree) */
  active: ReleaseRef | null;
  previous: ReleaseRef | null;
  /** releases that failed health and were rolled back: never tried again */
  failed: { hash: string; md5?: string; version: string; reason: string; at: string }[];
}

export interface Approval {
  hash: string;
  /** the twin whose signed RMB request approved it (the farmer) */
  twin: number;
  at: string;
}

export function upgradeDir(stateDir: string): string {
  return join(stateDir, UPGRADE_DIR);
}

export function ensureUpgradeDirs(stateDir: string): string {
  const dir = upgradeDir(stateDir);
  // traversable, not listable: every process's uid must reach its release's files, nobody lists them
  for (const d of [dir, join(dir, "releases")]) mkdirSync(d, { recursive: true, mode: 0o711 });
  mkdirSync(join(dir, "downloads"), { recursive: true, mode: 0o700 });
  return dir;
}

function readJson<T>(path: string, empty: T): T {
  if (!existsSync(path)) return empty;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (e) {
    throw new Error(`${path} is not JSON (${(e as Error).message}); move it away to start from the installed release`);
  }
}

export function readState(stateDir: string): UpgradeState {
  const s = readJson<Partial<UpgradeState>>(join(upgradeDir(stateDir), "state.json"), {});
  return { active: s.active ?? null, previous: s.previous ?? null, failed: s.failed ?? [] };
}

export function writeState(stateDir: string, s: UpgradeState): void {
  writeFileAtomic(join(upgradeDir(stateDir), "state.json"), JSON.stringify(s, null, 2) + "\n", { mode: 0o600, mkdirMode: 0o711 });
}

export function readApprovals(stateDir: string): Approval[] {
  return readJson<Approval[]>(join(upgradeDir(stateDir), "approvals.json"), []);
}

export function addApproval(stateDir: string, a: Approval): void {
  const all = readApprovals(stateDir).filter((x) => x.hash !== a.hash);
  all.push(a);
  writeFileAtomic(join(upgradeDir(stateDir), "approvals.json"), JSON.stringify(all, null, 2) + "\n", { mode: 0o600, mkdirMode: 0o711 });
}

/** The manifest the node should start from: the active release's, or null for the installed one. */
export function activeManifestPath(stateDir: string): string | null {
  let s: UpgradeState;
  try {
    s = readState(stateDir);
  } catch {
    return null;
  }
  return s.active ? join(s.active.dir, "manifests", "node.json") : null;
}
