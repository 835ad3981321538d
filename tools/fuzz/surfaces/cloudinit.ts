// Cloud-init inputs, where each is read: a zmachine deployment's name, env (SSH_KEY among them), entrypoint and
// mount points through the node's validation (modules/lib/gridtypes), the seed the zmachine manager derives from
// it (hostname from the workload name, SSH keys from env SSH_KEY: modules/provision/managers/zmachine.ts) through
// the hypervisor driver's request check (capabilities/hypervisor/spec.ts parseSpec, its security boundary), and
// the NoCloud files rendered from it (capabilities/hypervisor/seed.ts). Pure code. Oracles:
//   - a deployment the node accepts gives a seed the driver accepts (a valid VM must not fail on its own name or
//     on a multi-line SSH_KEY);
//   - the rendered meta-data / network-config / user-data hold only lines of their grammar, every string value a
//     JSON string equal to an input (nothing escapes its field), and /etc/zosrc, sourced by a real shell (one input
//     in 50; every input by a strict reader of its quoting), exports exactly the env it was given.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeploymentError, parseDeployment, validateDeployment, workloadData } from "../../../modules/lib/gridtypes/mod.ts";
import type { ZMachineData } from "../../../modules/lib/gridtypes/workloads/zmachine.ts";
import { zmachineSeedIdentity } from "../../../modules/provision/managers/zmachine-seed.ts";
import { parseSpec, type Scope } from "../../../capabilities/hypervisor/spec.ts";
import { metaData, networkConfig, userData, zosrc } from "../../../capabilities/hypervisor/seed.ts";
import type { Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFakeKeyFakeKeyFakeKeyFakeKey user@host", "ssh-rsa AAAAB3Nza x@y"];

function value(rng: Rng): string {
  switch (rng.int(5)) {
    case 0: return rng.text(30);
    case 1: return rng.mutateText(rng.pick(["hello", "$(reboot)", "`id`", "a'b", "x\ny", "\"q\"", "-- #", "${HOME}"]));
    case 2: return KEYS.slice(0, 1 + rng.int(2)).join(rng.pick(["\n", "\n\n", " \n", "\r\n"]));
    case 3: return rng.pick(["", " ", "value with spaces", "ü☀😀", "a\\b"]);
    default: return rng.text(8);
  }
}

function deployment(rng: Rng): string {
  const name = rng.chance(0.6) ? rng.pick(["vm", "my_vm", "_vm", "VM1", "a".repeat(70), "x_"]) : rng.mutateText(rng.pick(["vm", "web_1"]));
  const env: Record<string, string> = {};
  for (let i = rng.int(4); i > 0; i--) env[rng.chance(0.7) ? rng.pick(["SSH_KEY", "FOO", "A_B", "_X", "X1"]) : rng.text(6)] = value(rng);
  const data: Record<string, unknown> = {
    flist: "https://hub.grid.tf/tf-official-apps/base:latest.flist",
    network: { interfaces: [{ network: "net", ip: "10.20.2.5" }], planetary: false },
    size: 0,
    compute_capacity: { cpu: 1, memory: 268435456 },
    mounts: rng.chance(0.3) ? [{ name: "disk", mountpoint: rng.chance(0.5) ? "/data" : rng.text(12) }] : [],
    entrypoint: rng.chance(0.5) ? "/sbin/zinit init" : value(rng),
    env,
    corex: rng.chance(0.1),
  };
  const wls: Record<string, unknown>[] = [
    { version: 0, name: "net", type: "network", data: { ip_range: "10.20.0.0/16", subnet: "10.20.2.0/24", wireguard_private_key: "CGKI1m+OXaB429P1KOiDlHnc6gJmDG6t7ODQR3c4N6Q=", wireguard_listen_port: 3090, peers: [] }, metadata: "", description: "" },
    { version: 0, name, type: "zmachine", data, metadata: "", description: "" },
  ];
  if ((data.mounts as unknown[]).length) wls.push({ version: 0, name: "disk", type: "zmount", data: { size: 1073741824 }, metadata: "", description: "" });
  const text = JSON.stringify({
    version: 0, twin_id: 42, contract_id: 1, metadata: "", description: "", expiration: 0, workloads: wls,
    signature_requirement: { requests: [{ twin_id: 42, weight: 1 }], weight_required: 1, signatures: [], signature_style: "" },
  });
  return rng.chance(0.1) ? rng.mutateText(text) : text;
}

/** The only lines the three YAML files may hold; `J` = one JSON string. */
const J = String.raw`"(?:[^"\\\x00-\x1f]|\\.)*"`;
const LINES = [
  `instance-id: ${J}`, `local-hostname: ${J}`,
  "version: 2", "ethernets:", "  eth\\d+:", "    match:", `      macaddress: ${J}`, "    dhcp4: false", "    addresses:", `      - ${J}`,
  `    gateway4: ${J}`, "    routes:", `      - to: ${J}`, `        via: ${J}`, "    nameservers:", "      addresses:", `        - ${J}`,
  "#cloud-config", "users:", "  - name: root", "    ssh_authorized_keys:", "mounts:", `  - \\[${J}, ${J}, ${J}, "defaults", "0", "0"\\]`,
  "write_files:", "  - path: /etc/zosrc", '    permissions: "0644"', `    content: ${J}`,
].map((l) => new RegExp(`^${l}$`));

function strings(text: string): string[] {
  return [...text.matchAll(new RegExp(J, "g"))].map((m) => JSON.parse(m[0]) as string);
}

const PRINTABLE = /^[^\x00-\x1f\x7f]*$/;

/** What Zero-OS users send: variable names for env keys, env values of text lines (SSH_KEY holds several), paths and
 * the entrypoint on one printable line. */
function reasonable(s: { env: Record<string, string>; entrypoint: string; mounts: { target: string }[] }): boolean {
  return Object.entries(s.env).every(([k, v]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/.test(v) && v.length <= 65536) &&
    PRINTABLE.test(s.entrypoint) && s.entrypoint.length <= 4096 && s.mounts.every((m) => PRINTABLE.test(m.target) && m.target.length <= 4096);
}

/** The exports of a zosrc read strictly: `export NAME='…'` with `'\''` for a quote, nothing else. */
function readZosrc(rc: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^export ([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)'$/gm;
  let consumed = 0;
  for (const m of rc.matchAll(re)) {
    out[m[1]] = m[2].replace(/'\\''/g, "'");
    consumed += m[0].length + 1;
  }
  if (consumed !== rc.length && !(rc === "\n" && consumed === 0)) throw new Error(`zosrc holds more than exports: ${JSON.stringify(rc.slice(0, 300))}`);
  return out;
}

export const cloudInitSurface: Surface = {
  name: "cloud-init",
  what: "zmachine name/env/SSH_KEY/entrypoint/mounts → node validation → the driver's seed check → NoCloud files and /etc/zosrc",
  start(): Promise<Target> {
    const dir = mkdtempSync(join(tmpdir(), "zt-faults-fuzz-cloudinit-"));
    writeFileSync(join(dir, "vmlinuz"), "");
    const scope: Scope = { roots: new Map([["flist", dir]]), tapPrefix: "t-", owners: null } as unknown as Scope;
    let shellChecks = 0;
    const feed = (rng: Rng, index: number): Verdict => {
      let d;
      try {
        d = parseDeployment(deployment(rng));
        validateDeployment(d);
      } catch (e) {
        if (e instanceof DeploymentError) return { refused: e.message };
        throw e;
      }
      const vm = d.workloads.find((w) => w.type === "zmachine");
      if (!vm) return { refused: "no zmachine left after the mutation" };
      const seed = { ...zmachineSeedIdentity(vm), network: [], mounts: [] as { source: string; target: string; type: string }[] };
      for (const m of (workloadData(vm) as ZMachineData).mounts) seed.mounts.push({ source: `m-${m.name}`, target: m.mountpoint, type: "auto" });
      const request = { id: "42-1-vm", owner: 42, cpu: 1, memory: 268435456, kernel: join(dir, "vmlinuz"), seed };
      let spec;
      try {
        spec = parseSpec(JSON.stringify(request), scope);
      } catch (e) {
        // a VM a user may reasonably ask for must not fail on its seed; input no shell or cloud-init could carry
        // (a variable name that is none, control characters in a path) fails the workload with the field named
        if (reasonable(seed)) throw new Error(`a reasonable zmachine the node accepts gets a seed the hypervisor driver refuses: ${(e as Error).message}`);
        return { refused: (e as Error).message };
      }
      const s = spec.seed!;
      const inputs = new Set(["defaults", "0", "0644", request.id, s.hostname, ...s.sshKeys!, ...s.mounts!.flatMap((m) => [m.source, m.target, m.type]), zosrc(s)]);
      for (const [what, text] of [["meta-data", metaData(request.id, s)], ["network-config", networkConfig(s)], ["user-data", userData(s)]] as const) {
        for (const line of text.split("\n").slice(0, -1)) {
          if (!LINES.some((re) => re.test(line))) throw new Error(`${what} has a line outside its grammar: ${JSON.stringify(line).slice(0, 200)}`);
        }
        for (const v of strings(text)) if (!inputs.has(v)) throw new Error(`${what} holds a string that is no input: ${JSON.stringify(v).slice(0, 200)}`);
      }
      const rc = zosrc(s);
      const want = { ...s.env, ...(s.entrypoint ? { ZOS_ENTRYPOINT: s.entrypoint } : {}) };
      const got = readZosrc(rc);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`zosrc exports ${JSON.stringify(got).slice(0, 200)}, not ${JSON.stringify(want).slice(0, 200)}`);
      if (index % 50 === 0 && Object.keys(want).length) {
        shellChecks++;
        const file = join(dir, "zosrc");
        writeFileSync(file, rc);
        const names = Object.keys(want);
        const out = execFileSync("sh", ["-c", `. "$1"; shift; for n in "$@"; do eval "printf '%s\\0' \\"\\$$n\\""; done`, "sh", file, ...names], { encoding: "utf8", env: {} });
        const values = out.split("\0").slice(0, -1);
        names.forEach((n, i) => {
          // the file is UTF-8: a lone surrogate of the JSON input reads back as U+FFFD, as any UTF-8 consumer sees it
          const utf8 = new TextDecoder().decode(new TextEncoder().encode(want[n as keyof typeof want]));
          if (values[i] !== utf8) throw new Error(`sh reads ${n} from zosrc as ${JSON.stringify(values[i]).slice(0, 100)}, not ${JSON.stringify(want[n as keyof typeof want]).slice(0, 100)}`);
        });
      }
      return { accepted: true };
    };
    return Promise.resolve({
      feed: (rng, i) => Promise.resolve(feed(rng, i)),
      state: () => Promise.resolve("pure functions: no state"),
      alive: () => {
        const s = parseSpec(JSON.stringify({ id: "42-1-vm", owner: 42, cpu: 1, memory: 268435456, kernel: join(dir, "vmlinuz"), seed: { hostname: "vm", network: [], sshKeys: KEYS, env: { SSH_KEY: KEYS.join("\n") } } }), scope).seed!;
        if (!userData(s).includes(JSON.stringify(KEYS[0]))) throw new Error("a good seed no longer renders its SSH key");
        return Promise.resolve();
      },
      stop: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
};
