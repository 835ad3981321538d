// Whether a release may replace the running processes: `zos caps diff` (kernel/diff.ts) between the running
// manifest and the release's. Anything that widens authority (a new process or grant, a changed grant, a
// runtime permission, a Linux capability or group, a module turned driver) needs the farmer's approval of
// that release's hash. A release that adds, removes or reorders processes, or moves uidBase, would change
// which uid owns which state: it cannot replace processes one by one, so it is refused too.
import { diffManifests } from "../diff.ts";
import type { Manifest } from "../manifest.ts";

export interface AuthorityCheck {
  /** "process: what" for every gained item that widens authority */
  widening: string[];
  /** why the release cannot replace the processes one by one, or null */
  structural: string | null;
}

export function checkAuthority(running: Manifest, next: Manifest): AuthorityCheck {
  const d = diffManifests(running, next);
  const widening = d.processes.flatMap((p) => p.gained.filter((g) => g.widens).map((g) => `${p.process}: ${g.what}`));
  const a = running.processes.map((p) => p.name);
  const b = next.processes.map((p) => p.name);
  let structural: string | null = null;
  if (a.join(",") !== b.join(",")) {
    structural = `the release changes the process list (running: ${a.join(", ")}; release: ${b.join(", ")}); each process keeps its uid and state only when names and order stay`;
  } else if (running.uidBase !== next.uidBase) {
    structural = `the release moves uidBase from ${running.uidBase} to ${next.uidBase}, which would change every process's uid`;
  }
  return { widening, structural };
}
