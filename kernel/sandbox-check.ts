// Check, don't trust: what a started process really runs with, read from /proc, compared with its launch
// plan. A runtime that rewrites a command line (Deno's node:child_process adds `-A` to a Deno command line
// without permission flags) or a setpriv that did less than asked shows up here as a difference.
import { readFileSync } from "node:fs";
import process from "node:process";
import { capabilityMask, capabilityNames } from "./linux.ts";
import type { LaunchPlan } from "./sandbox.ts";

/** The sandbox facts of a process as /proc reports them (capability sets as 16 hex digits). */
export interface SandboxFacts {
  argv: string[];
  uid: number;
  gid: number;
  groups: number[];
  capInh: string;
  capPrm: string;
  capEff: string;
  capBnd: string;
  capAmb: string;
  noNewPrivs: boolean;
}

function statusFields(pid: number | "self"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Reads argv from /proc/PID/cmdline and identity, capabilities and no_new_privs from /proc/PID/status. */
export function readSandboxFacts(pid: number | "self"): SandboxFacts {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  if (argv.at(-1) === "") argv.pop();
  const st = statusFields(pid);
  const ids = (k: string) => (st[k] ?? "").split(/\s+/).filter(Boolean).map(Number);
  return {
    argv,
    uid: ids("Uid")[0],
    gid: ids("Gid")[0],
    groups: ids("Groups").sort((a, b) => a - b),
    capInh: st.CapInh,
    capPrm: st.CapPrm,
    capEff: st.CapEff,
    capBnd: st.CapBnd,
    capAmb: st.CapAmb,
    noNewPrivs: st.NoNewPrivs === "1",
  };
}

/**
 * What /proc must show for a process started by `plan`. With an identity (root kernel): setpriv has
 * exec'd Deno, so argv is what follows its `--`; uid, groups and capabilities are the plan's. Without one
 * the process inherits the kernel's own identity; exec leaves it only the kernel's ambient capabilities.
 */
export function expectedFacts(plan: LaunchPlan, kernel: SandboxFacts = readSandboxFacts("self")): SandboxFacts {
  if (plan.identity) {
    const mask = capabilityMask(plan.identity.capabilities);
    return {
      argv: plan.args.slice(plan.args.indexOf("--") + 1),
      uid: plan.identity.uid,
      gid: plan.identity.gid,
      groups: [...plan.identity.groups].sort((a, b) => a - b),
      capInh: mask, capPrm: mask, capEff: mask, capBnd: mask, capAmb: mask,
      noNewPrivs: true,
    };
  }
  return {
    argv: [plan.command, ...plan.args],
    uid: process.getuid?.() ?? kernel.uid,
    gid: process.getgid?.() ?? kernel.gid,
    groups: kernel.groups,
    capInh: kernel.capInh, capPrm: kernel.capAmb, capEff: kernel.capAmb, capBnd: kernel.capBnd, capAmb: kernel.capAmb,
    noNewPrivs: kernel.noNewPrivs,
  };
}

/** Every way `actual` differs from `expected`, readable by a reviewer (empty = as planned). */
export function sandboxDifferences(expected: SandboxFacts, actual: SandboxFacts): string[] {
  const out: string[] = [];
  const e = expected.argv, a = actual.argv;
  if (e.length !== a.length || e.some((x, i) => x !== a[i])) {
    const added = a.filter((x) => !e.includes(x));
    const missing = e.filter((x) => !a.includes(x));
    out.push(`argv differs${added.length ? `; added: ${added.join(" ")}` : ""}${missing.length ? `; missing: ${missing.join(" ")}` : ""}${!added.length && !missing.length ? "; reordered" : ""}`);
  }
  for (const k of ["uid", "gid"] as const) if (expected[k] !== actual[k]) out.push(`${k} ${actual[k]}, expected ${expected[k]}`);
  if (expected.groups.join(",") !== actual.groups.join(",")) out.push(`groups [${actual.groups.join(",")}], expected [${expected.groups.join(",")}]`);
  for (const k of ["capInh", "capPrm", "capEff", "capBnd", "capAmb"] as const) {
    if (expected[k] !== actual[k]) {
      const extra = capabilityNames(actual[k]).filter((c) => !capabilityNames(expected[k]).includes(c));
      const lacking = capabilityNames(expected[k]).filter((c) => !capabilityNames(actual[k]).includes(c));
      out.push(`${k} ${actual[k]}, expected ${expected[k]}${extra.length ? ` (extra: ${extra.join(",")})` : ""}${lacking.length ? ` (lacking: ${lacking.join(",")})` : ""}`);
    }
  }
  if (expected.noNewPrivs !== actual.noNewPrivs) out.push(`no_new_privs ${actual.noNewPrivs ? 1 : 0}, expected ${expected.noNewPrivs ? 1 : 0}`);
  return out;
}
