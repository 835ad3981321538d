// The QEMU command line, decided here from a validated VmSpec (spec.ts) and nothing else. Paths were
// checked against the grant's roots and contain no commas (QEMU's option separator), so every value below
// stays inside its own option. The guest is named `zos-vm.<id>` so adoption can tell our QEMU by its argv.
import { join } from "node:path";
import type { VmSpec } from "./spec.ts";

export interface Accel {
  /** "kvm" only where /dev/kvm boots a stock kernel; TCG everywhere else */
  kind: "kvm" | "tcg";
}

export interface VmFiles {
  dir: string;
  qmp: string;
  pidfile: string;
  console: string;
  seed?: string;
  /** the fds QEMU inherits, attached to the VM's taps in nic order (the driver opens them: sys.ts) */
  tapFds?: number[];
}

export function vmFiles(dir: string): VmFiles {
  return { dir, qmp: join(dir, "qmp.sock"), pidfile: join(dir, "qemu.pid"), console: join(dir, "console.log") };
}

export function guestName(id: string): string {
  return `zos-vm.${id}`;
}

export function qemuArgs(spec: VmSpec, files: VmFiles, accel: Accel): string[] {
  const a: string[] = [
    "-name", guestName(spec.id),
    "-accel", accel.kind,
    "-cpu", accel.kind === "kvm" ? "host" : "max",
    "-smp", String(spec.cpu),
    "-m", `${spec.memory / (1024 * 1024)}M`,
    "-nodefaults", "-no-user-config", "-no-reboot",
    "-display", "none", "-monitor", "none",
    // seccomp: no spawning, no privilege changes, no obsolete syscalls
    "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
    "-chardev", `file,id=con0,path=${files.console},append=on`,
    "-serial", "chardev:con0",
    "-qmp", `unix:${files.qmp},server=on,wait=off`,
    "-pidfile", files.pidfile,
  ];
  if (spec.kernel) {
    a.push("-kernel", spec.kernel);
    if (spec.initrd) a.push("-initrd", spec.initrd);
    a.push("-append", spec.cmdline ?? "console=ttyS0 panic=-1");
  }
  spec.nics.forEach((n, i) => {
    const fd = files.tapFds?.[i];
    a.push("-netdev", fd === undefined ? `tap,id=net${i},ifname=${n.tap},script=no,downscript=no` : `tap,id=net${i},fd=${fd}`);
    a.push("-device", `virtio-net-pci,netdev=net${i},mac=${n.mac}`);
  });
  // disks by serial (the guest must never rely on order: WORKLOADS.md §3 "disk naming trap")
  spec.disks.forEach((d, i) => {
    a.push("-drive", `file=${d.path},format=raw,if=none,id=disk${i},cache=none,aio=threads,discard=unmap`);
    a.push("-device", `virtio-blk-pci,drive=disk${i},serial=${d.serial}${!spec.kernel && i === 0 ? ",bootindex=0" : ""}`);
  });
  if (files.seed) {
    a.push("-drive", `file=${files.seed},format=raw,if=none,id=seed,readonly=on`);
    a.push("-device", "virtio-blk-pci,drive=seed,serial=cidata");
  }
  if (spec.root) {
    a.push("-virtfs", `local,path=${spec.root.path},mount_tag=root,security_model=none,id=root${spec.root.readOnly ? ",readonly=on" : ""}`);
  }
  spec.shares.forEach((s, i) => a.push("-virtfs", `local,path=${s.path},mount_tag=${s.tag},security_model=none,id=share${i}`));
  return a;
}
