# Storage: the block-device driver (capabilities/blockdev) and the storage module's service (modules/storage).
# Nothing here takes a path: disks are named by the driver ("loop3", "vdb" — only the devices its arguments
# list), pools by the id the module gave them when formatting (the btrfs label), volumes and vdisks by name
# inside a pool. Values cross as JSON text, as node.capnp does. Sizes are bytes.
@0xc2017c79ee1c99c1;

interface BlockDev {
  # Every data disk this driver may touch: [{disk, size, fstype, label, uuid, rotational, seek}] (fstype/label
  # "" for an empty disk; seek = {type: "ssd"|"hdd", elapsedUs} by zos's seek-time rule, null if unmeasurable).
  disks @0 () -> (json :Text);
  # mkfs.btrfs -L <pool> on an empty listed disk (refused when blkid finds any filesystem on it).
  format @1 (disk :Text, pool :Text) -> ();
  # Mounts the pool with that label under the driver's mount root (idempotent), enables quotas.
  # -> {pool, disk, size, used, free, rotational, seek}
  mount @2 (pool :Text) -> (json :Text);
  usage @3 (pool :Text) -> (json :Text);
  unmount @4 (pool :Text) -> ();

  # Subvolumes at the pool root with a qgroup limit (0 = none). Resize refuses a limit below what is used.
  subvolCreate @5 (pool :Text, name :Text, limit :UInt64) -> ();
  subvolLimit @6 (pool :Text, name :Text, limit :UInt64) -> ();
  subvolDelete @7 (pool :Text, name :Text) -> ();
  # [{name, limit, used, owner}] (owner: the recipient it was handed to, "" = the driver's own)
  subvolList @8 (pool :Text) -> (json :Text);

  # vdisks: files in the pool's `vdisks` subvolume, NOCOW (chattr +C on the empty file) then fallocate.
  # Resize grows only. -> (existing sizes via vdiskList [{name, size}])
  vdiskCreate @9 (pool :Text, name :Text, size :UInt64) -> ();
  vdiskResize @10 (pool :Text, name :Text, size :UInt64) -> ();
  vdiskDelete @11 (pool :Text, name :Text) -> ();
  vdiskList @12 (pool :Text) -> (json :Text);

  # Hands a subvolume to another driver: its root becomes mode 0700, owned by the uid that owns the
  # recipient's state folder (the kernel gives each driver its own; the driver's 3rd argument names the
  # recipients it may hand to, e.g. zdb=<state>/zdb). The 0-db server keeps its namespaces in such volumes.
  subvolHandOver @13 (pool :Text, name :Text, to :Text) -> ();
}

interface Storage {
  # The storage module's service. Volumes and vdisks are named by an id that must start with
  # "<owner>-" (provision uses the workload id "<twin>-<contract>-<name>"), so one twin never names
  # another's; a grant may be limited to some owners (restrictions {"owners": [..]}).

  # [{name, type: "ssd"|"hdd", size, used}] as zos.storage.pools
  pools @0 () -> (json :Text);
  # {sru, hru, ssd: bool, cache: {pool, size} | null, problem: "" | why the node cannot register}
  totals @1 () -> (json :Text);

  # kind "volume" (subvolume + qgroup, on SSD) or "zdb" (subvolume + qgroup on HDD, SSD only when the node
  # has no HDD pool, as Zero-OS; handed to the 0-db server's uid); -> {pool, size}
  volumeCreate @2 (owner :UInt32, kind :Text, id :Text, size :UInt64) -> (json :Text);
  volumeResize @3 (owner :UInt32, id :Text, size :UInt64) -> (json :Text);
  volumeDelete @4 (owner :UInt32, id :Text) -> ();
  volumeInfo @5 (owner :UInt32, id :Text) -> (json :Text);    # "" when absent

  # NOCOW preallocated file on SSD; resize grows only. -> {pool, size}
  diskCreate @6 (owner :UInt32, id :Text, size :UInt64) -> (json :Text);
  diskResize @7 (owner :UInt32, id :Text, size :UInt64) -> (json :Text);
  diskDelete @8 (owner :UInt32, id :Text) -> ();
  diskInfo @9 (owner :UInt32, id :Text) -> (json :Text);      # "" when absent
}
