# User networks: the netlink driver's raw-resource interface and the network module's services.
# Operations and answers cross as JSON text (the op list is documented in capabilities/netlink/README.md)
# so adding an operation does not change the schema.
@0xe3f2011e8d7ce00b;

interface Netlink {
  # Runs the operations in order and returns one JSON answer per operation; the first refused or failed
  # operation aborts the call with an error naming it (index, op, reason). Every namespace and link an
  # operation names is checked against the grant first, so a refused batch changes nothing.
  apply @0 (ops :Text) -> (json :Text);
}

interface NetworkManager {
  # The provision module's side: make a workload of type `network`, `network-light` or `ip` exist
  # (idempotent; also used for updates), or remove it. `json` carries {twin, contract, workloadId,
  # name, type, data, deployment?}; the answer is the workload result data as JSON.
  provision @0 (json :Text) -> (json :Text);
  deprovision @1 (json :Text) -> ();
  # The api module's side: a read-only view ("wg_ports", "public_config", "interfaces", "has_ipv6",
  # "admin_interfaces", "public_nic", "public_ips", "private_ips"), answered from real state.
  query @2 (what :Text, args :Text) -> (json :Text);
}
