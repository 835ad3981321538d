# Live upgrade from the hub (kernel/upgrade/, docs/upgrade.md), served by the kernel itself (provider
# "kernel" in a manifest grant: `{ "from": "kernel", "cap": "upgrade" }`). The node grants it to the api
# module, whose zos.admin.upgrade_* handlers answer only the farmer twin (RMB envelopes are signed).
@0xf17acb7df05cd495;

interface Upgrade {
  # {channel, version, active, previous, failed, approvals, upgrading, last} as JSON.
  status @0 () -> (json :Text);
  # Check the hub's channel now (and upgrade when a newer release is there) in the background; answers the
  # status at once. The check's result lands in status's `last` ({result: "up-to-date" | "upgraded" |
  # "refused" | "rolled-back" | "failed-before" | "error", ...}) and in the kernel's upgrade-* events.
  check @1 () -> (json :Text);
  # The farmer (twin `twin`, whose signed request the api module checked) approves the release whose
  # flist has this sha256, so it may widen authority.
  approve @2 (hash :Text, twin :UInt32) -> (json :Text);
}
