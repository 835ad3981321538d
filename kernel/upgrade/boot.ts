// Which release a starting node runs: the active one of state.json when its tree still verifies, else the
// installed one (the image's /lib/zos, or the source tree on a host) — never a half-written or tampered tree,
// nor another release's: its tree must still have the digest state.json pinned.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { verifyRelease } from "./release.ts";
import { readState } from "./state.ts";

export interface BootChoice {
  /** the manifest to start */
  manifest: string;
  /** the release's version, or the installed package.json's */
  version: string;
  /** the active release's hash, or null for the installed release */
  hash: string | null;
  /** why the active release was not used (it failed verification), or null */
  note: string | null;
}

export function installedVersion(manifestPath: string): string {
  try {
    return String(JSON.parse(readFileSync(join(manifestPath, "..", "..", "package.json"), "utf8")).version);
  } catch {
    return "installed";
  }
}

export function bootRelease(stateDir: string, installedManifest: string): BootChoice {
  const installed = { manifest: installedManifest, version: installedVersion(installedManifest), hash: null };
  let active;
  try {
    active = readState(stateDir).active;
  } catch (e) {
    return { ...installed, note: (e as Error).message };
  }
  if (!active) return { ...installed, note: null };
  try {
    const r = verifyRelease(active.dir, active.hash);
    return { manifest: r.manifest.path, version: r.info.version, hash: active.hash, note: null };
  } catch (e) {
    return { ...installed, note: `active release ${active.version} (${active.hash}) does not verify, booting the installed release: ${(e as Error).message}` };
  }
}
