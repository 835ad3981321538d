// Checks the verified sandbox facts the capability kernel reports for every process (its `spawned` /
// `ready` events carry what it read from /proc/PID/cmdline and /proc/PID/status) against the reviewed
// golden manifest: no -A, modules with no permission flag, drivers with exactly their manifest's
// Deno permissions, each process under its own non-root uid with only its manifest's Linux
// capabilities and groups, and no_new_privs. Pure: the vm-test feeds it the `zos-kernel:` lines of
// the serial console; the unit test feeds it recorded events.
import { parseJsonc } from "../../rootfs/lib/read-image-manifest.ts";
import { LINUX_CAPABILITIES } from "../../kernel/linux.ts";
import type { SandboxFacts } from "../../kernel/sandbox-check.ts";
import { substitute } from "../../kernel/manifest.ts";

/** The facts of one process as the kernel reports them (its `sandbox` of spawned/ready). */
export type { SandboxFacts };

export interface KernelEventLike {
  event: string;
  process?: string;
  sandbox?: SandboxFacts;
  differences?: string[];
  [k: string]: unknown;
}

const DENO_PERMISSIONS = ["read", "write", "net", "run", "env", "sys", "ffi"] as const;

interface GoldenProcess {
  kind?: string;
  entry?: string;
  args?: string[];
  sandbox?: Partial<Record<(typeof DENO_PERMISSIONS)[number], string[]>>;
  linux?: { capabilities?: string[]; groups?: string[] };
  /** "on-demand": the kernel starts it at the first use of a grant to it (kernel/README.md). */
  start?: string;
}

/** The capability mask (as a bigint) of a list of names; unknown names are reported. */
export function capabilityMask(names: string[], unknown: string[] = []): bigint {
  let m = 0n;
  for (const n of names) {
    const bit = LINUX_CAPABILITIES[n.toUpperCase().startsWith("CAP_") ? n.toUpperCase() : `CAP_${n.toUpperCase()}`];
    if (bit === undefined) unknown.push(n);
    else m |= 1n << BigInt(bit);
  }
  return m;
}

/** The permission flags of a Deno command line: `--allow-net=a,b` → ["net", ["a", "b"]]. */
function permissionFlags(argv: string[]): { all: boolean; flags: Map<string, string[] | null> } {
  const flags = new Map<string, string[] | null>();
  let all = false;
  for (const a of argv) {
    if (a === "-A" || a === "--allow-all" || a.startsWith("--allow-all=")) all = true;
    const m = /^--allow-([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m && m[1] !== "all") flags.set(m[1], m[2] === undefined ? null : m[2].split(","));
  }
  return { all, flags };
}

/** The facts each process last reported (ready/restarted win over spawned: they were read after start). */
export function factsByProcess(events: KernelEventLike[]): Map<string, SandboxFacts> {
  const out = new Map<string, SandboxFacts>();
  const rank = new Map<string, number>();
  for (const e of events) {
    if (!e.process || !e.sandbox) continue;
    const r = e.event === "spawned" ? 1 : 2;
    if ((rank.get(e.process) ?? 0) <= r) {
      out.set(e.process, e.sandbox);
      rank.set(e.process, r);
    }
  }
  return out;
}

/** Kernel events out of serial console lines (`zos-kernel: {json}`, as PID 1 echoes them). */
export function kernelEventsFromConsole(lines: string[]): KernelEventLike[] {
  const out: KernelEventLike[] = [];
  for (const l of lines) {
    const i = l.indexOf("zos-kernel: {");
    if (i < 0) continue;
    try {
      out.push(JSON.parse(l.slice(i + "zos-kernel: ".length)));
    } catch { /* a line cut by the console: not an event */ }
  }
  return out;
}

/** A manifest list as the kernel launches it: each entry substituted, the whole joined by commas (so a bare
 * `${list}` variable holding "a,b" becomes two entries), then split again as Deno reads the flag. */
export function expandList(list: string[], vars: Record<string, string>): string[] {
  return list.map((v) => substitute(v, vars)).join(",").split(",");
}

/**
 * Every difference between the reported facts and the golden manifest (empty = every process runs
 * exactly as reviewed). `kernelIsRoot`: in the image the kernel runs as root, so each process must
 * have switched to its own uid. `vars`: the variables the kernel was given (with `state` and `root`);
 * then every permission list and the arguments after the entry must equal the golden's, substituted,
 * exactly and in order. Without them only the literal entries are compared (a bare `${list}` may be
 * several entries).
 */
const BOOT_ID_MARK = "\u0000bootid\u0000";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/** An argument with the kernel's ${bootid} in it, as a pattern: any UUID there, the rest literal. */
function bootIdPattern(arg: string): RegExp {
  return new RegExp(`^${arg.split(BOOT_ID_MARK).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(UUID)}$`);
}

export function checkSandboxFacts(goldenText: string, events: KernelEventLike[], opts: { kernelIsRoot: boolean; vars?: Record<string, string> }): string[] {
  const golden = parseJsonc(goldenText) as { processes?: Record<string, GoldenProcess> };
  const procs = golden.processes ?? {};
  const facts = factsByProcess(events);
  const out: string[] = [];
  for (const e of events) {
    if (e.event === "sandbox-mismatch") out.push(`${e.process}: the kernel reported sandbox-mismatch: ${(e.differences ?? []).join("; ")}`);
  }
  for (const name of facts.keys()) if (!(name in procs)) out.push(`${name}: runs but is not in the golden manifest`);
  const uids = new Map<number, string>();
  for (const [name, spec] of Object.entries(procs)) {
    const f = facts.get(name);
    // An on-demand process nobody used yet has no facts: the kernel must have said it left it idle; once
    // used, its facts are checked like any other's.
    if (!f && spec.start === "on-demand" && events.some((e) => e.event === "idle" && e.process === name)) continue;
    if (!f) {
      out.push(`${name}: no verified sandbox facts reported (no spawned/ready event with "sandbox")`);
      continue;
    }
    const p = `${name}:`;
    const { all, flags } = permissionFlags(f.argv);
    if (all) out.push(`${p} runs with all permissions (-A/--allow-all): ${f.argv.join(" ")}`);
    if (spec.entry && !f.argv.some((a) => a === spec.entry || a.endsWith("/" + spec.entry))) out.push(`${p} argv does not run its manifest entry ${spec.entry}: ${f.argv.join(" ")}`);
    const want = new Map<string, string[]>();
    if (spec.kind !== "module") for (const k of DENO_PERMISSIONS) if (spec.sandbox?.[k]?.length) want.set(k, spec.sandbox[k]!);
    for (const [k, vals] of flags) {
      const w = want.get(k);
      if (!w) out.push(`${p} has --allow-${k}${vals ? "=" + vals.join(",") : ""} but its manifest ${spec.kind === "module" ? "is a module (no runtime permissions)" : `grants no ${k}`}`);
      else if (vals === null) out.push(`${p} has --allow-${k} without a list (all of ${k}); its manifest lists ${w.join(",")}`);
      else if (opts.vars) {
        const exp = expandList(w, opts.vars);
        const unset = exp.filter((v) => /\$\{[A-Za-z_]/.test(v));
        if (unset.length) out.push(`${p} --allow-${k}: the manifest's ${unset.join(",")} has no value in the variables given to the check`);
        else if (vals.join(",") !== exp.join(",")) out.push(`${p} --allow-${k} is ${vals.join(",")}, its manifest with the image's variables says ${exp.join(",")}`);
      } else if (w.some((v) => /^\$\{[a-z]+\}$/.test(v))) {
        // An entry that is a bare ${variable} may expand into several (the kernel splits a comma list, e.g.
        // ${hubhosts}; "${state}/kv" stays one path), and
        // the golden holds only the placeholders: at least as many entries, every literal one present. The kernel
        // itself compares each process's /proc facts with the expanded plan (sandbox-mismatch, checked above).
        if (vals.length < w.length) out.push(`${p} --allow-${k} has ${vals.length} entries, its manifest at least ${w.length} (${w.join(",")})`);
        for (const v of w) if (!v.includes("${") && !vals.includes(v)) out.push(`${p} --allow-${k} lacks ${v} that its manifest lists`);
      } else if (vals.length !== w.length) out.push(`${p} --allow-${k} has ${vals.length} entries, its manifest ${w.length} (${w.join(",")})`);
      else {
        // entries with ${…} are substituted at launch; the others must be literally the same
        w.forEach((v, i) => {
          if (!v.includes("${") && vals[i] !== v) out.push(`${p} --allow-${k} entry ${i + 1} is ${vals[i]}, its manifest says ${v}`);
        });
      }
    }
    if (opts.vars && spec.entry) {
      const at = f.argv.findIndex((a) => a === spec.entry || a.endsWith("/" + spec.entry));
      // ${bootid} is the kernel's own, new at every start (kernel/vars.ts): the host cannot know it, only its shape
      const given = opts.vars;
      const vars = Object.hasOwn(given, "bootid") ? given : new Proxy(given, {
        get: (t, k) => (k === "bootid" ? BOOT_ID_MARK : Reflect.get(t, k)),
        getOwnPropertyDescriptor: (t, k) => (k === "bootid" ? { value: BOOT_ID_MARK, enumerable: true, configurable: true, writable: false } : Reflect.getOwnPropertyDescriptor(t, k)),
      });
      const want = (spec.args ?? []).map((a) => substitute(a, vars));
      const got = f.argv.slice(at + 1);
      const same = got.length === want.length && want.every((w, i) => w.includes(BOOT_ID_MARK) ? bootIdPattern(w).test(got[i]) : w === got[i]);
      if (at >= 0 && !same) {
        out.push(`${p} runs with arguments ${JSON.stringify(f.argv.slice(at + 1))}, its manifest with the image's variables says ${JSON.stringify(want)}`);
      }
    }
    for (const k of want.keys()) if (!flags.has(k)) out.push(`${p} lacks --allow-${k} that its manifest grants (the launch differs from the plan)`);
    if (opts.kernelIsRoot) {
      if (f.uid === 0) out.push(`${p} runs as root (uid 0)`);
      if (f.gid === 0) out.push(`${p} runs with gid 0`);
      const other = uids.get(f.uid);
      if (other) out.push(`${p} shares uid ${f.uid} with ${other}`);
      uids.set(f.uid, name);
    } else continue; // identity, groups, capabilities and no_new_privs are switched only by a root kernel
    const wantGroups = spec.linux?.groups ?? [];
    if (f.groups.length !== wantGroups.length) out.push(`${p} has supplementary groups [${f.groups.join(",")}], its manifest lists [${wantGroups.join(",")}]`);
    const unknown: string[] = [];
    const mask = capabilityMask(spec.linux?.capabilities ?? [], unknown);
    if (unknown.length) out.push(`${p} its manifest names unknown Linux capabilities: ${unknown.join(", ")}`);
    for (const set of ["capInh", "capPrm", "capEff", "capAmb", "capBnd"] as const) {
      let have: bigint;
      try {
        have = BigInt("0x" + f[set]);
      } catch {
        out.push(`${p} ${set} is not a hex mask: ${JSON.stringify(f[set])}`);
        continue;
      }
      if (have !== mask) out.push(`${p} ${set} is ${f[set]}, its manifest allows ${mask.toString(16).padStart(16, "0")} (${(spec.linux?.capabilities ?? []).join(",") || "none"})`);
    }
    if (f.noNewPrivs !== true) out.push(`${p} runs without no_new_privs`);
  }
  return out;
}
