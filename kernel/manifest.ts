// The manifest: one JSON data file, the single source of authority for what runs and what it may reach.
// `loadManifest(path)` returns either a validated, normalized Manifest or every error found, each naming
// the process and the key (JSON path) at fault. Format reference: kernel/README.md.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { KERNEL_GROUPS, LINUX_CAPABILITIES } from "./linux.ts";
import { findJsonSyntaxError } from "./json-syntax.ts";

export type ProcessKind = "driver" | "module";

/**
 * When a process starts: "boot" (default) with the kernel, in dependency order, and READY waits for it;
 * "on-demand" when a holder first uses a grant to it (Session.get): the kernel spawns it then, under the same
 * plan and /proc verification, and holds that call until its first ready health answer (as Fuchsia starts a
 * component on first connection). Nothing waits for an on-demand process at boot.
 */
export type StartPolicy = "boot" | "on-demand";
export const START_POLICIES: readonly StartPolicy[] = ["boot", "on-demand"];

export const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys"] as const;
export type Permission = (typeof PERMISSIONS)[number];
export type Sandbox = Record<Permission, string[]>;

export interface RestartPolicy {
  backoffMs: number;
  maxBackoffMs: number;
  /** Restarts allowed in a row (a process that stays up `resetAfterMs` resets the count). */
  maxRestarts: number;
  resetAfterMs: number;
}

export interface Grant {
  /** The name the grantee asks its Session for. */
  name: string;
  from: string;
  cap: string;
  restrictions: Record<string, unknown>;
}

export interface ProcessSpec {
  name: string;
  kind: ProcessKind;
  /** As written (relative to the manifest root). */
  entry: string;
  /** Absolute path. */
  entryPath: string;
  args: string[];
  sandbox: Sandbox;
  /** What a driver holds beyond its own uid when the kernel is root (modules: always none). */
  linux: LinuxGrant;
  exposes: Record<string, { interface: string }>;
  grants: Grant[];
  /** Explicit plus derived from grants, sorted. */
  depends: string[];
  restart: RestartPolicy;
  healthTimeoutMs: number;
  /**
   * Measured resident-set budget in MiB (kernel/rss.ts: exceeded = a `memory-over-budget` event); also the
   * V8 heap limit (--max-old-space-size), which the heap alone can never reach first. null = none.
   */
  memoryMb: number | null;
  /** V8 flags (from V8_FLAGS_ALLOWED): the manifest's top-level `v8Flags`, then the process's own. */
  v8Flags: string[];
  /**
   * Extra npm export conditions (`deno run --conditions=…`, and the image's bundle of the entry): which file of a
   * package with conditional exports is loaded, e.g. "browser" for @polkadot's x-ws/x-fetch over the runtime's own
   * WebSocket and fetch instead of the `ws`/node-fetch graphs. Chooses code, grants nothing. Default none.
   */
  conditions: string[];
  /** "boot" (default) or "on-demand": started at the first use of a grant to it (see StartPolicy). */
  start: StartPolicy;
}

export interface LinuxGrant {
  /** CAP_* names, raised as ambient capabilities; the bounding set is exactly these. */
  capabilities: string[];
  /** Supplementary group names (e.g. "disk"); the process has no others. */
  groups: string[];
}

export interface Manifest {
  path: string;
  root: string;
  version: 1;
  uidBase: number;
  processes: ProcessSpec[];
  /** Start waves: every process of a wave depends only on earlier waves. */
  waves: string[][];
}

export interface ManifestError {
  process: string | null;
  key: string;
  message: string;
  /** where a JSON syntax error is (1-based), shown as file:line:column */
  line?: number;
  column?: number;
}

export type LoadResult = { ok: true; manifest: Manifest } | { ok: false; errors: ManifestError[] };

/**
 * What the kernel itself serves to processes, named `"from": "kernel"` in a grant (no process may be named
 * "kernel"): facts only the kernel holds. Grants of it add no start-up dependency.
 */
export const KERNEL_PROVIDER = "kernel";
export const KERNEL_EXPOSES: Record<string, { interface: string }> = {
  memory: { interface: "ProcessMemory" },
  upgrade: { interface: "Upgrade" },
};

export const DEFAULT_RESTART: RestartPolicy = { backoffMs: 200, maxBackoffMs: 10_000, maxRestarts: 10, resetAfterMs: 10_000 };
const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const TOP_KEYS = new Set(["version", "root", "uidBase", "processes", "v8Flags", "description", "$comment"]);
const PROC_KEYS = new Set([
  "kind", "entry", "args", "sandbox", "linux", "user", "exposes", "grants", "depends", "restart", "healthTimeoutMs",
  "memoryMb", "v8Flags", "conditions", "start", "description", "$comment",
]);
const CONDITION = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * V8 flags a manifest may set: heap sizing and compiler/thread trade-offs of memory against CPU only.
 * Anything else (--allow-natives-syntax, --expose-*, tracing to files ...) would change what code can do or
 * write, so it is refused rather than passed through. `=N` takes a non-negative integer.
 */
export const V8_FLAGS_ALLOWED: Record<string, "bool" | "int"> = {
  "single-threaded": "bool",
  "single-threaded-gc": "bool",
  "optimize-for-size": "bool",
  "lite-mode": "bool",
  "max-lazy": "bool",
  "max-semi-space-size": "int",
  "min-semi-space-size": "int",
  "initial-heap-size": "int",
  "stack-size": "int",
};

function validateV8Flags(v: unknown, key: string, e: (key: string, msg: string) => void): string[] {
  const list = stringList(v, key, e) ?? [];
  const ok: string[] = [];
  for (const f of list) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(\d{1,6}))?$/.exec(f);
    const kind = m ? V8_FLAGS_ALLOWED[m[1]] : undefined;
    if (!m || !kind) {
      e(key, `"${f}" is not an allowed V8 flag (allowed: ${Object.entries(V8_FLAGS_ALLOWED).map(([n, k]) => `--${n}${k === "int" ? "=N" : ""}`).join(", ")})`);
    } else if (m[1] === "max-old-space-size") {
      e(key, "the heap limit comes from memoryMb");
    } else if ((kind === "int") !== (m[2] !== undefined)) {
      e(key, kind === "int" ? `"${f}" needs a value: --${m[1]}=N` : `"${f}" takes no value`);
    } else ok.push(f);
  }
  return ok;
}
const GRANT_KEYS = new Set(["from", "cap", "restrictions", "$comment"]);
const RESTART_KEYS = new Set(["backoffMs", "maxBackoffMs", "maxRestarts", "resetAfterMs"]);

export function formatErrors(errors: ManifestError[], path = "manifest"): string {
  return errors.map((e) => e.line !== undefined
    ? `${path}:${e.line}:${e.column}: ${e.message}`
    : `${path}: ${e.process ? `process "${e.process}", ` : ""}${e.key}: ${e.message}`).join("\n");
}

/** Removes whole-line `//` comments so a manifest can explain itself; the rest is strict JSON. */
export function stripComments(text: string): string {
  return text.split("\n").map((l) => (/^\s*\/\//.test(l) ? "" : l)).join("\n");
}

export function loadManifest(path: string, opts: { checkFiles?: boolean } = {}): LoadResult {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    return { ok: false, errors: [{ process: null, key: "(file)", message: `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
  }
  let raw: unknown;
  const stripped = stripComments(text);
  try {
    raw = JSON.parse(stripped);
  } catch (err) {
    // V8's message names a position only for some errors and never the fix: find both ourselves (the
    // stripped comment lines are empty lines, so lines and columns are the file's own)
    const at = findJsonSyntaxError(stripped);
    if (!at) return { ok: false, errors: [{ process: null, key: "(syntax)", message: `not valid JSON: ${(err as Error).message}` }] };
    return { ok: false, errors: [{ process: null, key: "(syntax)", message: `not valid JSON: ${at.problem}`, line: at.line, column: at.column }] };
  }
  return validateManifest(raw, { path: abs, checkFiles: opts.checkFiles ?? true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function validateManifest(raw: unknown, opts: { path: string; checkFiles?: boolean }): LoadResult {
  const errors: ManifestError[] = [];
  const err = (process: string | null, key: string, message: string) => errors.push({ process, key, message });
  if (!isObject(raw)) return { ok: false, errors: [{ process: null, key: "(root)", message: "must be a JSON object" }] };
  for (const k of Object.keys(raw)) if (!TOP_KEYS.has(k)) err(null, k, `unknown key (allowed: ${[...TOP_KEYS].join(", ")})`);
  if (raw.version !== 1) err(null, "version", `must be 1 (got ${JSON.stringify(raw.version)})`);
  let root = dirname(opts.path);
  if (raw.root !== undefined) {
    if (typeof raw.root !== "string") err(null, "root", "must be a path string (relative to the manifest file)");
    else root = resolve(dirname(opts.path), raw.root);
  } else root = resolve(dirname(opts.path), "..");
  let uidBase = 61000;
  if (raw.uidBase !== undefined) {
    if (!Number.isInteger(raw.uidBase) || (raw.uidBase as number) < 1000 || (raw.uidBase as number) > 4_000_000_000) {
      err(null, "uidBase", "must be an integer between 1000 and 4000000000");
    } else uidBase = raw.uidBase as number;
  }
  if (!isObject(raw.processes) || Object.keys(raw.processes).length === 0) {
    err(null, "processes", "must be an object with at least one process");
    return { ok: false, errors };
  }
  const procs: (ProcessSpec & { explicitDepends: string[] })[] = [];
  const rawProcs = raw.processes;
  const commonV8 = validateV8Flags(raw.v8Flags, "v8Flags", (k, m) => err(null, k, m));
  for (const [name, p] of Object.entries(rawProcs)) {
    const spec = validateProcess(name, p, root, opts.checkFiles ?? true, err);
    if (spec) procs.push({ ...spec, v8Flags: [...new Set([...commonV8, ...spec.v8Flags])] });
  }
  // A process's own gid (uidBase + index) must never be one of the shared groups: it would join that group.
  const clash = Object.entries(KERNEL_GROUPS).find(([, gid]) => gid >= uidBase && gid < uidBase + Object.keys(rawProcs).length);
  if (clash) err(null, "uidBase", `uidBase ${uidBase} gives a process gid ${clash[1]}, the gid of group "${clash[0]}"; choose a uidBase above it`);
  // Cross-process checks: grants name a real process that exposes the cap; depends exist.
  const byName = new Map(procs.map((p) => [p.name, p]));
  if (KERNEL_PROVIDER in rawProcs) err(KERNEL_PROVIDER, "(name)", `"${KERNEL_PROVIDER}" names the kernel itself in grants; choose another process name`);
  for (const p of procs) {
    for (const g of p.grants) {
      const key = `grants.${g.name}`;
      const from = byName.get(g.from);
      if (g.from === KERNEL_PROVIDER) {
        if (!(g.cap in KERNEL_EXPOSES)) err(p.name, `${key}.cap`, `the kernel does not serve "${g.cap}" (it serves: ${Object.keys(KERNEL_EXPOSES).join(", ")})`);
        else if (Object.keys(g.restrictions).length) err(p.name, `${key}.restrictions`, `the kernel's "${g.cap}" takes no restrictions`);
      } else if (!(g.from in rawProcs)) err(p.name, `${key}.from`, `no process named "${g.from}" (processes: ${Object.keys(rawProcs).join(", ")})`);
      else if (g.from === p.name) err(p.name, `${key}.from`, "a process cannot be granted its own capability");
      else if (from && !(g.cap in from.exposes)) {
        const offered = Object.keys(from.exposes);
        err(p.name, `${key}.cap`, `"${g.from}" does not expose "${g.cap}" (it exposes: ${offered.length ? offered.join(", ") : "nothing"})`);
      }
    }
    for (const d of p.depends) {
      if (!(d in rawProcs)) err(p.name, "depends", `no process named "${d}"`);
      else if (d === p.name) err(p.name, "depends", "a process cannot depend on itself");
    }
    // Grants to an on-demand process start it on first use; an explicit depends would wait at boot for a
    // process that boot never starts.
    for (const d of p.explicitDepends) {
      if (byName.get(d)?.start === "on-demand" && p.start === "boot") {
        err(p.name, "depends", `"${d}" starts on demand (its first use starts it), so nothing waits for it at boot; drop it from depends (a grant to it is enough) or remove "start": "on-demand" from "${d}"`);
      }
    }
  }
  const cycle = findCycle(procs);
  if (cycle) err(cycle[0], "depends", `dependency cycle: ${cycle.join(" → ")} (grants and depends both order start-up)`);
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    manifest: { path: opts.path, root, version: 1, uidBase, processes: procs.map(({ explicitDepends: _, ...spec }) => spec), waves: startWaves(procs) },
  };
}

function validateProcess(
  name: string,
  p: unknown,
  root: string,
  checkFiles: boolean,
  err: (process: string | null, key: string, message: string) => void,
): (ProcessSpec & { explicitDepends: string[] }) | null {
  const e = (key: string, msg: string) => err(name, key, msg);
  if (!NAME.test(name)) e("(name)", "process names are 1-32 of a-z, 0-9 and -, starting with a letter");
  if (!isObject(p)) {
    e("(process)", "must be an object");
    return null;
  }
  for (const k of Object.keys(p)) if (!PROC_KEYS.has(k)) e(k, `unknown key (allowed: ${[...PROC_KEYS].join(", ")})`);
  const kind = p.kind;
  if (kind !== "driver" && kind !== "module") e("kind", `must be "driver" or "module" (got ${JSON.stringify(kind)})`);
  let entryPath = "";
  if (typeof p.entry !== "string" || !p.entry) e("entry", "missing entry point (a path to the process's main .ts file)");
  else {
    entryPath = isAbsolute(p.entry) ? p.entry : resolve(root, p.entry);
    if (checkFiles && (!existsSync(entryPath) || !statSync(entryPath).isFile())) {
      e("entry", `entry point ${entryPath} does not exist (paths are relative to the manifest root ${root})`);
    }
  }
  const args = stringList(p.args, "args", e) ?? [];
  const sandbox = Object.fromEntries(PERMISSIONS.map((k) => [k, [] as string[]])) as Sandbox;
  if (p.sandbox !== undefined) {
    if (!isObject(p.sandbox)) e("sandbox", "must be an object of permission lists");
    else {
      for (const [k, v] of Object.entries(p.sandbox)) {
        if (!(PERMISSIONS as readonly string[]).includes(k)) {
          e(`sandbox.${k}`, `unknown permission (allowed: ${PERMISSIONS.join(", ")})`);
          continue;
        }
        const list = stringList(v, `sandbox.${k}`, e);
        if (list) {
          for (const item of list) if (item.includes(",")) e(`sandbox.${k}`, `"${item}" contains a comma; list each entry separately`);
          sandbox[k as Permission] = list;
        }
      }
      if (kind === "module" && PERMISSIONS.some((k) => sandbox[k].length)) {
        e("sandbox", "modules run with no runtime permissions at all; move the resource into a driver and grant its capability");
      }
    }
  }
  const linux = validateLinux(p, kind, e);
  const exposes: Record<string, { interface: string }> = {};
  if (p.exposes !== undefined) {
    if (!isObject(p.exposes)) e("exposes", "must be an object: capability name → { \"interface\": \"Name\" }");
    else {
      for (const [cap, v] of Object.entries(p.exposes)) {
        if (!NAME.test(cap)) e(`exposes.${cap}`, "capability names are 1-32 of a-z, 0-9 and -, starting with a letter");
        if (!isObject(v) || typeof v.interface !== "string" || !v.interface) {
          e(`exposes.${cap}.interface`, "missing: the Cap'n Proto interface name (e.g. \"Kv\")");
          continue;
        }
        for (const k of Object.keys(v)) if (k !== "interface" && k !== "$comment") e(`exposes.${cap}.${k}`, "unknown key (allowed: interface)");
        exposes[cap] = { interface: v.interface };
      }
    }
  }
  const grants: Grant[] = [];
  if (p.grants !== undefined) {
    if (!isObject(p.grants)) e("grants", "must be an object: local name → { \"from\", \"cap\", \"restrictions\" }");
    else {
      for (const [g, v] of Object.entries(p.grants)) {
        const key = `grants.${g}`;
        if (!NAME.test(g)) e(key, "grant names are 1-32 of a-z, 0-9 and -, starting with a letter");
        if (!isObject(v)) {
          e(key, "must be an object { \"from\": process, \"cap\": name, \"restrictions\": {...} }");
          continue;
        }
        for (const k of Object.keys(v)) if (!GRANT_KEYS.has(k)) e(`${key}.${k}`, `unknown key (allowed: from, cap, restrictions)`);
        if (typeof v.from !== "string" || !v.from) e(`${key}.from`, "missing: the process that provides it");
        const cap = v.cap === undefined ? g : v.cap;
        if (typeof cap !== "string" || !cap) e(`${key}.cap`, "must be the name of a capability the provider exposes");
        if (v.restrictions !== undefined && !isObject(v.restrictions)) e(`${key}.restrictions`, "must be an object (the provider interprets it)");
        grants.push({
          name: g,
          from: String(v.from ?? ""),
          cap: String(cap ?? ""),
          restrictions: isObject(v.restrictions) ? v.restrictions : {},
        });
      }
    }
  }
  const explicit = stringList(p.depends, "depends", e) ?? [];
  const depends = [...new Set([...explicit, ...grants.map((g) => g.from).filter((f) => f !== KERNEL_PROVIDER)])].sort();
  const restart = { ...DEFAULT_RESTART };
  if (p.restart !== undefined) {
    if (!isObject(p.restart)) e("restart", "must be an object");
    else {
      for (const [k, v] of Object.entries(p.restart)) {
        if (!RESTART_KEYS.has(k)) e(`restart.${k}`, `unknown key (allowed: ${[...RESTART_KEYS].join(", ")})`);
        else if (!Number.isInteger(v) || (v as number) < 0) e(`restart.${k}`, "must be a non-negative integer");
        else restart[k as keyof RestartPolicy] = v as number;
      }
    }
  }
  let healthTimeoutMs = 10_000;
  if (p.healthTimeoutMs !== undefined) {
    if (!Number.isInteger(p.healthTimeoutMs) || (p.healthTimeoutMs as number) < 1) e("healthTimeoutMs", "must be a positive integer");
    else healthTimeoutMs = p.healthTimeoutMs as number;
  }
  let memoryMb: number | null = null;
  if (p.memoryMb !== undefined) {
    if (!Number.isInteger(p.memoryMb) || (p.memoryMb as number) < 16 || (p.memoryMb as number) > 65536) {
      e("memoryMb", "must be an integer number of MiB between 16 and 65536");
    } else memoryMb = p.memoryMb as number;
  }
  const v8Flags = validateV8Flags(p.v8Flags, "v8Flags", e);
  const conditions = stringList(p.conditions, "conditions", e) ?? [];
  for (const c of conditions) {
    if (!CONDITION.test(c)) e("conditions", `"${c}" is not an export condition name (lowercase letters, digits and "-", e.g. "browser")`);
  }
  let start: StartPolicy = "boot";
  if (p.start !== undefined) {
    if (!(START_POLICIES as readonly unknown[]).includes(p.start)) {
      e("start", `must be "boot" (start with the kernel, the default) or "on-demand" (start at the first use of a grant to it); got ${JSON.stringify(p.start)}`);
    } else start = p.start as StartPolicy;
  }
  if (start === "on-demand" && Object.keys(exposes).length === 0) {
    e("start", "an on-demand process starts at the first use of a grant to it, and this one exposes nothing, so nothing could ever start it; expose a capability or start it at boot");
  }
  // Returned even when this process has errors, so cross-process checks (grants, cycles) still run.
  return {
    name,
    kind: kind as ProcessKind,
    entry: p.entry as string,
    entryPath,
    args,
    sandbox,
    linux,
    exposes,
    grants,
    depends,
    restart,
    healthTimeoutMs,
    memoryMb,
    v8Flags,
    conditions,
    start,
    explicitDepends: explicit,
  };
}

const GROUP = /^[a-z_][a-z0-9_-]{0,31}$/;

function validateLinux(p: Record<string, unknown>, kind: unknown, e: (key: string, msg: string) => void): LinuxGrant {
  const linux: LinuxGrant = { capabilities: [], groups: [] };
  if (p.user !== undefined) e("user", "removed: every process runs under a uid of its own; a driver lists what it needs beyond that under \"linux\"");
  if (p.linux === undefined) return linux;
  if (!isObject(p.linux)) {
    e("linux", "must be an object { \"capabilities\": [\"CAP_...\"], \"groups\": [\"disk\"] }");
    return linux;
  }
  for (const k of Object.keys(p.linux)) if (k !== "capabilities" && k !== "groups" && k !== "$comment") e(`linux.${k}`, "unknown key (allowed: capabilities, groups)");
  const caps = stringList(p.linux.capabilities, "linux.capabilities", e) ?? [];
  for (const c of caps) {
    if (!Object.hasOwn(LINUX_CAPABILITIES, c)) e("linux.capabilities", `"${c}" is not a Linux capability (names as in capabilities(7), e.g. CAP_NET_ADMIN)`);
  }
  const groups = stringList(p.linux.groups, "linux.groups", e) ?? [];
  for (const g of groups) {
    if (!GROUP.test(g)) e("linux.groups", `"${g}" is not a group name (1-32 of a-z, 0-9, _ and -)`);
    else if (!Object.hasOwn(KERNEL_GROUPS, g)) {
      e("linux.groups", `"${g}" is not a group the kernel knows (known: ${Object.keys(KERNEL_GROUPS).join(", ")}; the table is capabilities/lib/linux-groups.ts, mirrored in the image's /etc/group)`);
    }
  }
  if (kind === "module" && (caps.length || groups.length)) {
    e("linux", "modules run with no Linux capabilities or groups; move the work into a driver and grant its capability");
  }
  linux.capabilities = [...new Set(caps)].sort();
  linux.groups = [...new Set(groups)].sort();
  return linux;
}

function stringList(v: unknown, key: string, e: (key: string, msg: string) => void): string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !x)) {
    e(key, "must be a list of non-empty strings");
    return null;
  }
  return v as string[];
}

function findCycle(procs: ProcessSpec[]): string[] | null {
  const deps = new Map(procs.map((p) => [p.name, p.depends]));
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      if (state.get(d) === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const p of procs) {
    if (!state.has(p.name)) {
      const c = visit(p.name);
      if (c) return c;
    }
  }
  return null;
}

function startWaves(procs: ProcessSpec[]): string[][] {
  const waves: string[][] = [];
  const placed = new Set<string>();
  while (placed.size < procs.length) {
    const wave = procs.filter((p) => !placed.has(p.name) && p.depends.every((d) => placed.has(d))).map((p) => p.name);
    if (!wave.length) break; // unreachable after findCycle
    wave.forEach((n) => placed.add(n));
    waves.push(wave);
  }
  return waves;
}

/** `${state}`-style variables in args and sandbox paths, substituted when the kernel spawns. */
export function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, k: string) => (Object.hasOwn(vars, k) ? vars[k] : m));
}
