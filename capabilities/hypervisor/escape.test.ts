// Escape tests for the hypervisor grant: what a holder can name is a typed VM request, checked against the
// grant's scope before anything runs. No field runs a program or passes QEMU arguments; paths must resolve
// (symlinks followed) under a root the grant lists; disks and shares must be the owner's; taps must be the
// ones named for this VM; owners are limited when the grant says so. Real files and symlinks, no QEMU.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tools/test-tmp.ts";
import { macFor, tapName } from "../lib/vm-names.ts";
import { qemuArgs, vmFiles } from "./cmdline.ts";
import { parseRoots, scopeFor } from "./grant.ts";
import { parseSpec, type Scope } from "./spec.ts";

const dir = tempDir("zt-vm-escape-");
const pools = join(dir, "pools");
const flist = join(dir, "flist");
mkdirSync(join(pools, "p1", "vdisks"), { recursive: true });
mkdirSync(join(flist, "abc", "boot"), { recursive: true });
mkdirSync(join(dir, "outside"), { recursive: true });
writeFileSync(join(flist, "abc", "boot", "vmlinuz"), "k");
writeFileSync(join(pools, "p1", "vdisks", "7-1-disk"), "");
writeFileSync(join(pools, "p1", "vdisks", "8-1-disk"), "");
writeFileSync(join(dir, "outside", "7-1-secret"), "");
symlinkSync(join(dir, "outside", "7-1-secret"), join(pools, "p1", "vdisks", "7-1-link"));
mkdirSync(join(pools, "p1", "7-1-vol"));

const roots = parseRoots([`pools=${pools}`, `flist=${flist}`]);
const scope: Scope = scopeFor({ roots: ["pools", "flist"], tapPrefix: "t-" }, roots);
const ID = "7-1-vm";
const TAP = tapName("t-", ID, 0);

function req(extra: Record<string, unknown>): string {
  return JSON.stringify({ id: ID, owner: 7, cpu: 1, memory: 256 << 20, kernel: join(flist, "abc", "boot", "vmlinuz"), ...extra });
}

function refused(json: string, why: RegExp, s: Scope = scope): void {
  try {
    parseSpec(json, s);
  } catch (e) {
    assert.match((e as Error).message, why);
    assert.match((e as Error).message, /^invalid: vm /);
    return;
  }
  assert.unreachable(`accepted: ${json}`);
}

test("a valid request becomes a command line made only of the driver's own options", () => {
  const spec = parseSpec(req({
    disks: [{ path: join(pools, "p1", "vdisks", "7-1-disk"), serial: "d0" }],
    shares: [{ tag: "vol", path: join(pools, "p1", "7-1-vol") }],
    nics: [{ tap: TAP, mac: macFor(TAP) }],
  }), scope);
  const args = qemuArgs(spec, vmFiles("/x/vm"), { kind: "tcg" });
  assert.ok(args.includes("-sandbox"), "QEMU's seccomp sandbox is always on");
  assert.ok(args.includes(`tap,id=net0,ifname=${TAP},script=no,downscript=no`), "no tap scripts");
  for (const a of args) assert.not.match(a, /,,|script=\//, "no escaped commas, no scripts");
});

test("no field runs a program or passes QEMU arguments", () => {
  refused(req({ args: ["-device", "x"] }), /unknown field .*QEMU arguments are never taken/);
  refused(req({ qemu: "/bin/sh" }), /unknown field/);
  refused(req({ disks: [{ path: join(pools, "p1", "vdisks", "7-1-disk"), serial: "d0", format: "qcow2" }] }), /unknown field/);
  // a "kernel" outside the roots (e.g. a shell) is refused; inside, it is only ever given to -kernel
  refused(req({ kernel: "/bin/sh" }), /outside the storage and flist roots/);
  refused(req({ cmdline: "console=ttyS0\n-device" }), /printable ASCII/);
});

test("paths: outside the roots, through a symlink, with QEMU's separators or .. are refused", () => {
  refused(req({ disks: [{ path: join(dir, "outside", "7-1-secret"), serial: "d0" }] }), /outside the storage and flist roots/);
  refused(req({ disks: [{ path: join(pools, "p1", "vdisks", "7-1-link"), serial: "d0" }] }), /outside the storage and flist roots/);
  refused(req({ disks: [{ path: join(pools, "p1", "vdisks", "7-1-disk,readonly=off"), serial: "d0" }] }), /must be an absolute path/);
  refused(req({ disks: [{ path: `${pools}/p1/../../outside/7-1-secret`, serial: "d0" }] }), /without "\.\."/);
  refused(req({ root: { path: "/etc", readOnly: true } }), /outside/);
  // a grant listing only the flist root cannot reach the pools
  const flistOnly = scopeFor({ roots: ["flist"], tapPrefix: "t-" }, roots);
  refused(req({ disks: [{ path: join(pools, "p1", "vdisks", "7-1-disk"), serial: "d0" }] }), /outside .*\(flist\)/, flistOnly);
});

test("another twin's disk, volume or tap is refused", () => {
  refused(req({ disks: [{ path: join(pools, "p1", "vdisks", "8-1-disk"), serial: "d0" }] }), /not a disk of twin 7/);
  refused(req({ disks: [{ pool: "p1", name: "8-1-disk", serial: "d0" }] }), /not a disk of twin 7/);
  refused(req({ disks: [{ pool: "..", name: "7-1-disk", serial: "d0" }] }), /plain names/);
  refused(req({ disks: [{ pool: "p1", name: "7-1-link", serial: "d0" }] }), /outside the storage and flist roots/);
  assert.is(parseSpec(req({ disks: [{ pool: "p1", name: "7-1-disk", serial: "d0" }] }), scope).disks[0].path, join(pools, "p1", "vdisks", "7-1-disk"));
  refused(req({ shares: [{ tag: "v", path: join(pools, "p1") }] }), /not a volume of twin 7/);
  const other = tapName("t-", "8-1-vm", 0);
  refused(req({ nics: [{ tap: other, mac: macFor(other) }] }), /is not this VM's tap/);
  refused(req({ nics: [{ tap: "b-host", mac: "52:54:00:00:00:01" }] }), /is not this VM's tap/);
  refused(req({ nics: [{ tap: TAP, mac: "53:54:00:00:00:01" }] }), /unicast MAC/);
  const owners = scopeFor({ roots: ["pools", "flist"], owners: [8] }, roots);
  refused(req({}), /twin 7 is not one this grant may start VMs for/, owners);
});

test("grant restrictions: unknown keys and unknown roots are refused", () => {
  assert.throws(() => scopeFor({ roots: ["pools"], paths: ["/"] }, roots), /unknown restriction "paths"/);
  assert.throws(() => scopeFor({ roots: ["etc"] }, roots), /no root "etc"/);
  assert.throws(() => scopeFor({ tapPrefix: "veth" }, roots), /tapPrefix/);
  assert.throws(() => parseRoots(["pools=relative"]), /NAME=\/absolute\/path/);
  // the api's console view: read-only, of one holder's VMs, with no roots to name
  assert.is(scopeFor({ readOnly: true, of: "provision" }, roots).readOf, "provision");
  assert.throws(() => scopeFor({ readOnly: true }, roots), /read-only grant is/);
  assert.throws(() => scopeFor({ readOnly: true, of: "provision", roots: ["pools"] }, roots), /lists no roots/);
});

test("the seed takes only typed values: no YAML or shell breaks out of its field", () => {
  refused(req({ seed: { hostname: "a b", network: [] } }), /not a host name/);
  refused(req({ seed: { hostname: "h", network: [], env: { "A;rm": "x" } } }), /not a variable name/);
  refused(req({ seed: { hostname: "h", network: [], sshKeys: ["ssh-ed25519 AAAA\nruncmd: [x]"] } }), /must be one line/);
  refused(req({ seed: { hostname: "h", network: [{ mac: "52:54:00:00:00:01", addresses: ["10.0.0.2/24; x"] }] } }), /not an IP address/);
});

test.run();
