// The scripts of the dev hub's ready-made guests (busybox sh; tested by booting them in the vm area).
/** The initramfs /init: load the virtio, 9p, ext4 and vfat modules, then switch to the root: the disk
 * labelled `zosroot` (full-VM guest, image.raw) or the 9p share tagged `root` or `vroot` (container mode,
 * the flist root shared by the host); `zos.root=LABEL=x` or `zos.root=9p:TAG` on the command line overrides. */
export const INITRD_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /etc/modules-order); do insmod /lib/modules/$m.ko 2>/dev/null; done
want=$(sed -n 's/.*zos\\.root=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
tags="root vroot"
label=zosroot
case "$want" in 9p:*) tags=\${want#9p:}; label= ;; LABEL=*) label=\${want#LABEL=}; tags= ;; esac
dev=
why=
[ -n "$label" ] && dev=$(findfs LABEL=$label 2>/dev/null)
if [ -n "$dev" ]; then
  mount -t ext4 "$dev" /newroot 2>/tmp/err || why="mount $dev: $(cat /tmp/err)"
else
  [ -n "$label" ] && why="no disk labelled $label;"
  # sysfs ends each mount_tag with a NUL (no newline): compare words, never whole lines
  offered=" $(cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null | tr '\\0\\n' '  ') "
  for tag in $tags; do
    if [ "\${offered#* $tag }" != "$offered" ]; then
      mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose "$tag" /newroot 2>/tmp/err && break
      why="$why 9p tag $tag: $(cat /tmp/err);"
    else
      why="$why no 9p tag $tag (offered:\${offered% });"
    fi
  done
fi
if [ -x /newroot/sbin/init ]; then
  umount /proc /sys 2>/dev/null
  exec switch_root /newroot /sbin/init
fi
grep -qs " /newroot " /proc/mounts && why="$why /sbin/init is not executable on the root: $(ls -ld /newroot /newroot/sbin /newroot/sbin/init 2>&1 | tr '\\n' ' ')"
echo "zos guest: no root ($why); a shell on the initramfs"
exec sh
`;

/** /etc/rc of the busybox root: mounts, then hostname and network from the cloud-init NoCloud seed
 * (LABEL=cidata: meta-data local-hostname; network-config v2 ethernets matched by MAC, addresses,
 * gateway4), then an HTTP page on :8080 so tests can see the guest from its network, and a console line
 * "zos guest: up … gateway=IP answers|silent" (the vm-test's marker). */
export const ROOT_RC = `#!/bin/sh
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sys /sys 2>/dev/null
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /run /tmp /seed
mount -t devpts devpts /dev/pts 2>/dev/null
ip link set lo up
seed=$(findfs LABEL=cidata 2>/dev/null || findfs LABEL=CIDATA 2>/dev/null)
if [ -n "$seed" ] && mount -o ro "$seed" /seed 2>/dev/null; then
  h=$(sed -n 's/^ *local-hostname: *//p' /seed/meta-data 2>/dev/null | tr -d '"')
  [ -n "$h" ] && hostname "$h"
  awk '
    /macaddress:/ { gsub(/["'"'"']/, "", $2); mac = tolower($2) }
    /addresses:/ { inaddr = 1; next }
    inaddr && /^ *- / { gsub(/[-" ]/, ""); if (mac != "") print "addr", mac, $0; next }
    { inaddr = 0 }
    /gateway4:/ { gsub(/["'"'"']/, "", $2); if (mac != "") print "gw", mac, $2 }
  ' /seed/network-config 2>/dev/null > /run/net.plan
  umount /seed
  for dev in /sys/class/net/*; do
    n=\${dev##*/}; [ "$n" = lo ] && continue
    mac=$(cat $dev/address)
    grep -q " $mac " /run/net.plan || continue
    ip link set "$n" up
    grep "^addr $mac " /run/net.plan | while read _ _ a; do ip addr add "$a" dev "$n"; done
    grep "^gw $mac " /run/net.plan | while read _ _ g; do ip route add default via "$g"; done
  done
fi
mkdir -p /www
echo "zos guest $(hostname)" > /www/index.html
httpd -p 8080 -h /www
# one line on the console for whoever reads it (zos.vm.logs): the guest's addresses and whether its gateway
# (the network resource's bridge) answers ping, i.e. the tap carries traffic both ways
gw=$(ip route | awk '/^default/ { print $3; exit }')
addrs=$(ip -4 -o addr show scope global | awk '{ print $4 }' | tr '\n' ' ')
said=silent
for i in 1 2 3 4 5; do
  [ -n "$gw" ] && ping -c 1 -W 3 "$gw" >/dev/null 2>&1 && { said=answers; break; }
  sleep 1
done
echo "zos guest: up hostname=$(hostname) addresses=\${addrs% } gateway=\${gw:-none} \${said}"
`;

export const INITTAB = `::sysinit:/etc/rc
ttyS0::respawn:/bin/sh
::ctrlaltdel:/bin/poweroff -f
::shutdown:/bin/umount -a -r
`;
