// The reviewer's view of a manifest: who holds which capability with which restrictions, what each process
// can reach transitively through the processes it was granted (a grant lets you make the provider act,
// and the provider acts with its own grants and runtime permissions), and the runtime permissions behind.
import type { Manifest, Permission, ProcessSpec } from "./manifest.ts";
import { KERNEL_EXPOSES, KERNEL_PROVIDER, PERMISSIONS } from "./manifest.ts";
import { KERNEL_GROUPS } from "./linux.ts";
import { CODE_CACHE_ROOT } from "./code-cache.ts";

export interface AuditGrant {
  name: string;
  from: string;
  cap: string;
  interface: string;
  restrictions: Record<string, unknown>;
}

export interface AuditReach {
  /** "provider.cap" */
  capability: string;
  restrictions: Record<string, unknown>;
  /** Processes the authority passes through, starting with this one's direct provider. */
  via: string[];
}

export interface AuditProcess {
  name: string;
  kind: string;
  /** Always "own": every process runs under a uid of its own (when the kernel is root). */
  user: "own";
  /** uidBase + position in the manifest (the process runs as the kernel's user when the kernel is not root). */
  uid: number;
  /** Supplementary groups and Linux capabilities (ambient) beyond the own uid. */
  linux: { capabilities: string[]; groups: string[] };
  entry: string;
  /** "boot", or "on-demand": started at the first use of a grant to it (the same sandbox either way). */
  start: "boot" | "on-demand";
  memoryMb: number | null;
  /** The read-only V8 code cache folder Deno gets as DENO_DIR when the image carries it (kernel/code-cache.ts), as `${root}/…`. */
  codeCache: string;
  permissions: Partial<Record<Permission, string[]>>;
  exposes: Record<string, string>;
  grants: AuditGrant[];
  reach: AuditReach[];
  /** Runtime permissions of every process reachable through grants (not held by this process itself). */
  reachablePermissions: { process: string; permission: Permission; values: string[] }[];
}

export interface Audit {
  manifest: string;
  capabilities: string[];
  processes: AuditProcess[];
}

function permissionsOf(p: ProcessSpec): Partial<Record<Permission, string[]>> {
  const out: Partial<Record<Permission, string[]>> = {};
  for (const k of PERMISSIONS) if (p.sandbox[k].length) out[k] = [...p.sandbox[k]];
  return out;
}

export function audit(m: Manifest): Audit {
  const byName = new Map(m.processes.map((p) => [p.name, p]));
  const kernelCaps = m.processes.flatMap((p) => p.grants.filter((g) => g.from === KERNEL_PROVIDER).map((g) => `${KERNEL_PROVIDER}.${g.cap}`));
  const capabilities = [...new Set([...m.processes.flatMap((p) => Object.keys(p.exposes).map((c) => `${p.name}.${c}`)), ...kernelCaps])];
  const processes = m.processes.map((p, index): AuditProcess => {
    const reach: AuditReach[] = [];
    const seen = new Set<string>();
    const reached = new Set<string>();
    // Breadth-first over grants: everything a provider can reach, its grantee can make it reach.
    const queue: { proc: string; via: string[] }[] = p.grants.map((g) => ({ proc: g.from, via: [g.from] }));
    while (queue.length) {
      const { proc, via } = queue.shift()!;
      if (reached.has(proc) || proc === p.name) continue;
      reached.add(proc);
      for (const g of byName.get(proc)?.grants ?? []) {
        const key = `${g.from}.${g.cap}:${JSON.stringify(g.restrictions)}`;
        if (!seen.has(key)) {
          seen.add(key);
          reach.push({ capability: `${g.from}.${g.cap}`, restrictions: g.restrictions, via });
        }
        queue.push({ proc: g.from, via: [...via, g.from] });
      }
    }
    const reachablePermissions = [...reached].filter((name) => byName.has(name)).flatMap((name) => {
      const q = byName.get(name)!;
      return PERMISSIONS.filter((k) => q.sandbox[k].length).map((k) => ({ process: name, permission: k, values: q.sandbox[k] }));
    });
    return {
      name: p.name,
      kind: p.kind,
      user: "own",
      uid: m.uidBase + index,
      linux: { capabilities: [...p.linux.capabilities], groups: [...p.linux.groups] },
      entry: p.entry,
      start: p.start,
      memoryMb: p.memoryMb,
      codeCache: `\${root}/${CODE_CACHE_ROOT}/${p.name}`,
      permissions: permissionsOf(p),
      exposes: Object.fromEntries(Object.entries(p.exposes).map(([k, v]) => [k, v.interface])),
      grants: p.grants.map((g) => ({
        name: g.name,
        from: g.from,
        cap: g.cap,
        interface: (g.from === KERNEL_PROVIDER ? KERNEL_EXPOSES : byName.get(g.from)?.exposes)?.[g.cap]?.interface ?? "?",
        restrictions: g.restrictions,
      })),
      reach,
      reachablePermissions,
    };
  });
  return { manifest: m.path, capabilities, processes };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

export function renderAudit(a: Audit): string {
  const out: string[] = [`Capability audit of ${a.manifest}`, ""];
  out.push("Matrix (rows: processes; columns: provider.capability; G = granted directly, t = reachable through a grant, · = none)");
  const header = ["", ...a.capabilities];
  const rows = a.processes.map((p) => [
    p.name,
    ...a.capabilities.map((c) => (p.grants.some((g) => `${g.from}.${g.cap}` === c) ? "G" : p.reach.some((r) => r.capability === c) ? "t" : "·")),
  ]);
  out.push(table([header, ...rows]), "");
  for (const p of a.processes) {
    const perms = Object.entries(p.permissions).map(([k, v]) => `${k}=${v!.join(",")}`);
    const mem = p.memoryMb ? `, heap ≤ ${p.memoryMb} MiB` : "";
    const caps = p.linux.capabilities.length ? `Linux capabilities ${p.linux.capabilities.join(",")}` : "no Linux capabilities";
    const groups = p.linux.groups.length ? `groups ${p.linux.groups.map((g) => `${g}(gid ${KERNEL_GROUPS[g]})`).join(",")}` : "no groups";
    const start = p.start === "on-demand" ? ", starts on demand (first use of a grant to it)" : "";
    out.push(`${p.name}  (${p.kind}, uid ${p.uid}, ${groups}, ${caps}${mem}${start}, entry ${p.entry})`);
    out.push(`  runtime permissions: ${perms.length ? perms.join("  ") : "none"}`);
    out.push(`  V8 code cache (its DENO_DIR, read-only): ${p.codeCache} (\${root} = /lib/zos in the image) when root's and writable by nobody else; else an empty dir of its own uid`);
    if (Object.keys(p.exposes).length) out.push(`  exposes: ${Object.entries(p.exposes).map(([k, v]) => `${k} (${v})`).join(", ")}`);
    if (!p.grants.length) out.push("  grants: none");
    for (const g of p.grants) {
      const r = Object.keys(g.restrictions).length ? JSON.stringify(g.restrictions) : "unrestricted";
      out.push(`  grant ${g.name}: ${g.from}.${g.cap} (${g.interface}) ${r}`);
    }
    for (const r of p.reach) {
      const rs = Object.keys(r.restrictions).length ? JSON.stringify(r.restrictions) : "unrestricted";
      out.push(`  reaches ${r.capability} ${rs} via ${r.via.join(" → ")}`);
    }
    for (const rp of p.reachablePermissions) out.push(`  reaches runtime permission ${rp.permission}=${rp.values.join(",")} of ${rp.process}`);
    out.push("");
  }
  return out.join("\n").trimEnd();
}
