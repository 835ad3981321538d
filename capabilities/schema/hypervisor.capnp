# The hypervisor driver (capabilities/hypervisor): QEMU VMs from typed requests. A grant sees and controls
# only the VMs created through it; requests cross as JSON text (capabilities/hypervisor/spec.ts documents
# the fields: id, owner, cpu, memory, kernel/initrd/cmdline or a first disk to boot, a 9p root, disks,
# shares, nics, the cloud-init seed). There is no field for QEMU arguments or a program to run.
@0xbbccfade4a858951;

interface Hypervisor {
  # Starts the VM (idempotent: the same request answers the running VM; another spec for the same id
  # restarts it with that spec). -> VmInfo {id, owner, state, reason, pid, restarts, cpu, memory, consoleBytes}
  create @0 (json :Text) -> (json :Text);
  # Powers the VM off (power button, then quit, then SIGKILL) and forgets it.
  destroy @1 (id :Text) -> (existed :Bool);
  # VmInfo, "" when this grant has no VM by that id
  info @2 (id :Text) -> (json :Text);
  # [VmInfo] of this grant's VMs
  list @3 () -> (json :Text);
  pause @4 (id :Text) -> (json :Text);
  resume @5 (id :Text) -> (json :Text);
  # The VM's console log from byte `offset` (at most `max` bytes, ≤ 1 MiB); `next` continues it.
  console @6 (id :Text, offset :UInt64, max :UInt32) -> (data :Data, next :UInt64);
  # The driver's uid: taps are created owned by it (the network module's vm-tap verb), so QEMU, which
  # runs without Linux capabilities, can attach them.
  uid @7 () -> (uid :UInt32);
  # zlogs: stream the VM's console to `url` (redis://HOST:PORT[/CHANNEL], ws://, wss://) from inside the NR
  # namespace `netns` ("n-<netid>", "" = the driver's own); a streamer without capabilities that may read
  # only this log and reach only that host. Idempotent per url; kept across driver restarts.
  stream @8 (id :Text, url :Text, netns :Text) -> ();
  unstream @9 (id :Text, url :Text) -> (existed :Bool);
}
