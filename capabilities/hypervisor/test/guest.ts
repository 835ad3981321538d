// The smallest practical guest, made from Debian packages only (shared/spec/WORKLOADS.md §3): Debian's
// kernel (the image's pinned linux-image, PVH vmlinux) and an initramfs of static busybox, the virtio/9p/vfat
// modules and a shell /init. Cached per kernel under rootfs/cache. Used by the hypervisor tests, the
// zmachine tests and bench/vm.ts; the dev hub's guests are the flist engineer's.
//
// What /init does (console markers the tests wait for are `zt-guest: …`):
//   mounts proc/sys/devtmpfs, loads the modules, finds the cloud-init NoCloud seed by label (CIDATA/cidata),
//   reads `network-config` v2 (the NIC by `match.macaddress`, `addresses`, `gateway4`) and `meta-data`
//   (local-hostname), mounts a 9p share tagged `root` read-only on /mnt/root when present, writes one line
//   to every extra disk by serial, starts acpid (the power button powers off), says "zt-guest: ready".
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { KERNEL } from "../../../rootfs/image-config.ts";
import { prepareKernel } from "../../../rootfs/lib/kernel-package.ts";
import { selectModules } from "../../../rootfs/lib/modules-select.ts";
import { type ImageEntry, writeNewc } from "../../../rootfs/lib/newc.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
export const CACHE_DIR = join(ROOT, "rootfs/cache");
const BUSYBOX = "/usr/bin/busybox";

const MODULES = ["virtio_pci", "virtio_net", "virtio_blk", "9pnet_virtio", "9p", "vfat", "nls_cp437", "nls_ascii", "button", "evdev"];

export interface Guest {
  kernel: string;
  initrd: string;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /mnt/seed /mnt/root /tmp /etc
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko 2>/dev/null; done
echo "zt-guest: modules loaded"
ip link set lo up
seed=""
for i in 1 2 3 4 5 6 7 8 9 10; do
  seed=$(findfs LABEL=CIDATA 2>/dev/null || findfs LABEL=cidata 2>/dev/null)
  [ -n "$seed" ] && break
  sleep 0.2
done
if [ -n "$seed" ] && mount -t vfat -o ro "$seed" /mnt/seed; then
  host=$(sed -n 's/^local-hostname: *//p' /mnt/seed/meta-data | tr -d '"')
  [ -n "$host" ] && hostname "$host"
  nc=/mnt/seed/network-config
  mac=$(sed -n 's/.*macaddress: *"*\\([0-9a-fA-F:]*\\)"*.*/\\1/p' $nc | head -n1)
  addr=$(awk '/addresses:/{f=1;next} f&&/^ *- /{gsub(/[ "-]/,"");print;exit}' $nc)
  gw=$(sed -n 's/.*gateway4: *"*\\([0-9.]*\\)"*.*/\\1/p' $nc | head -n1)
  for d in /sys/class/net/*; do
    n=\${d##*/}
    if [ "$(cat $d/address)" = "$mac" ]; then
      ip link set $n up
      [ -n "$addr" ] && ip addr add $addr dev $n
      [ -n "$gw" ] && ip route add default via $gw
      echo "zt-guest: $n $mac $addr via $gw"
    fi
  done
  grep -q 'zt-marker' /mnt/seed/user-data && echo "zt-guest: user-data $(sed -n 's/.*zt-marker=\\([a-z0-9-]*\\).*/\\1/p' /mnt/seed/user-data | head -n1)"
else
  echo "zt-guest: no seed"
fi
for t in $(cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null); do
  if [ "$t" = root ] && mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144 root /mnt/root; then
    echo "zt-guest: 9p root $(ls /mnt/root | tr '\\n' ' ')"
  fi
done
for b in /sys/block/vd*; do
  [ -e "$b" ] || continue
  s=$(cat $b/serial 2>/dev/null)
  case "$s" in zt*) echo "written by the guest to $s" | dd of=/dev/\${b##*/} bs=512 conv=sync 2>/dev/null && echo "zt-guest: disk $s";; esac
done
mkdir -p /etc/acpi/PWRF
printf '#!/bin/sh\\npoweroff -f\\n' > /etc/acpi/PWRF/00000080
chmod +x /etc/acpi/PWRF/00000080
acpid
echo "zt-guest: ready"
while true; do sleep 3600; done
`;

/** Builds (or reuses) the guest. Downloads the pinned kernel .deb with apt-get the first time. */
export function buildGuest(progress: (m: string) => void = () => {}): Guest {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static (listed in .ci/run)`);
  const k = prepareKernel(CACHE_DIR, KERNEL, progress);
  const initrd = join(k.root, "zt-guest-initrd-v2.cpio");
  if (!existsSync(initrd)) {
    const sel = selectModules(k.modulesDir, MODULES);
    const entries: ImageEntry[] = [
      { path: "bin", type: "dir", mode: 0o755 },
      { path: "bin/busybox", type: "file", mode: 0o755, source: BUSYBOX },
      { path: "dev", type: "dir", mode: 0o755 },
      { path: "dev/console", type: "char", mode: 0o600, major: 5, minor: 1 },
      { path: "dev/null", type: "char", mode: 0o666, major: 1, minor: 3 },
      { path: "init", type: "file", mode: 0o755, data: new TextEncoder().encode(INIT) },
      { path: "lib", type: "dir", mode: 0o755 },
      { path: "lib/modules", type: "dir", mode: 0o755 },
      { path: "lib/modules/order", type: "file", mode: 0o644, data: new TextEncoder().encode(sel.modules.map((m) => m.name).join("\n") + "\n") },
      ...sel.modules.map((m): ImageEntry => ({ path: `lib/modules/${m.name}.ko`, type: "file", mode: 0o644, source: m.source })),
    ];
    mkdirSync(k.root, { recursive: true });
    const tmp = `${initrd}.tmp-${process.pid}`;
    writeNewc(tmp, entries);
    renameSync(tmp, initrd);
  }
  return { kernel: k.vmlinux, initrd };
}

/** Kernel command line for this guest (console on ttyS0, power off on panic). */
export const GUEST_CMDLINE = "console=ttyS0 panic=-1 quiet mitigations=off";
