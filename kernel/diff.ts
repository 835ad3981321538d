// What each process gained or lost between two manifests. Anything gained widens authority: a new process,
// a new or changed grant (restrictions are interpreted by the provider, so the kernel cannot tell a narrowing
// change from a widening one and treats every change as widening), a runtime permission, a Linux
// capability or supplementary group, or a switch from module to driver. Exposing a new capability is reported but widens nothing by itself.
import type { Manifest, ProcessSpec } from "./manifest.ts";
import { PERMISSIONS } from "./manifest.ts";

export interface DiffItem {
  what: string;
  widens: boolean;
}

export interface ProcessDiff {
  process: string;
  gained: DiffItem[];
  lost: DiffItem[];
}

export interface ManifestDiff {
  a: string;
  b: string;
  processes: ProcessDiff[];
  widened: boolean;
}

function grantText(g: ProcessSpec["grants"][number]): string {
  const r = Object.keys(g.restrictions).length ? " " + canonical(g.restrictions) : " unrestricted";
  return `grant ${g.name}: ${g.from}.${g.cap}${r}`;
}

/** JSON with sorted keys, so key order in the file never shows up as a change. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function facets(p: ProcessSpec): Map<string, boolean> {
  // facet text → does gaining it widen authority
  const f = new Map<string, boolean>();
  f.set(`kind ${p.kind}`, p.kind === "driver");
  for (const c of p.linux.capabilities) f.set(`linux capability ${c}`, true);
  for (const g of p.linux.groups) f.set(`linux group ${g}`, true);
  f.set(`entry ${p.entry}`, true);
  // When it starts changes no authority: an on-demand process runs in the same sandbox once used.
  f.set(`start ${p.start}`, false);
  for (const g of p.grants) f.set(grantText(g), true);
  for (const k of PERMISSIONS) for (const v of p.sandbox[k]) f.set(`permission ${k}=${v}`, true);
  for (const [c, v] of Object.entries(p.exposes)) f.set(`exposes ${c} (${v.interface})`, false);
  return f;
}

export function diffManifests(a: Manifest, b: Manifest): ManifestDiff {
  const A = new Map(a.processes.map((p) => [p.name, p]));
  const B = new Map(b.processes.map((p) => [p.name, p]));
  const names = [...new Set([...A.keys(), ...B.keys()])].sort();
  const processes: ProcessDiff[] = [];
  for (const name of names) {
    const pa = A.get(name);
    const pb = B.get(name);
    const fa = pa ? facets(pa) : new Map<string, boolean>();
    const fb = pb ? facets(pb) : new Map<string, boolean>();
    const gained: DiffItem[] = [];
    const lost: DiffItem[] = [];
    if (!pa) gained.push({ what: "process added", widens: true });
    if (!pb) lost.push({ what: "process removed", widens: false });
    for (const [k, w] of fb) if (!fa.has(k)) gained.push({ what: k, widens: pa ? w || k.startsWith("grant ") : true });
    for (const [k] of fa) if (!fb.has(k)) lost.push({ what: k, widens: false });
    if (gained.length || lost.length) processes.push({ process: name, gained, lost });
  }
  return { a: a.path, b: b.path, processes, widened: processes.some((p) => p.gained.some((g) => g.widens)) };
}

export function renderDiff(d: ManifestDiff): string {
  if (!d.processes.length) return `no differences in authority between ${d.a} and ${d.b}`;
  const out = [`capability diff ${d.a} → ${d.b}`, ""];
  for (const p of d.processes) {
    out.push(p.process);
    for (const g of p.gained) out.push(`  + ${g.what}${g.widens ? "   (widens)" : ""}`);
    for (const l of p.lost) out.push(`  - ${l.what}`);
  }
  out.push("", d.widened ? "authority WIDENED: review the lines marked (widens)" : "nothing widened");
  return out.join("\n");
}
