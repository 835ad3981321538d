# The node's own interfaces between its kernel processes (manifests/node.json): the rmb driver's serving
# facet and the handler a module passes to it, the provision module's engine, the host facts driver, the
# dev activation facet of the chain driver and a status report. Values that follow the deployment model
# (gridtypes) cross as JSON text so the schema does not chase its churn.
@0xd92c727f107f840f;

interface RmbHandler {
  # One request, already verified by the rmb driver: `twin` is the sender whose signature was checked,
  # `payload` the decrypted body (JSON text). The reply is JSON text; a thrown error becomes an RMB error reply.
  handle @0 (twin :UInt32, command :Text, payload :Data) -> (json :Text);
}

interface RmbRegistration {
  # stop serving the commands this registration added
  cancel @0 () -> ();
}

struct RmbInfo {
  twinId @0 :UInt32;          # 0 until the node's twin exists on chain
  e2ePublicKey @1 :Data;      # 33-byte compressed secp256k1 key clients encrypt to
  relays @2 :List(Text);      # relay hosts, as the twin's relay field lists them
  connected @3 :Bool;
}

interface Rmb {
  # Serves `commands` through `handler`; each command must start with a prefix this grant allows.
  serve @0 (commands :List(Text), handler :RmbHandler) -> (registration :RmbRegistration);
  info @1 () -> (info :RmbInfo);
}

interface DeploymentEngine {
  # `raw` = the deployment's JSON text as the user signed it; the engine verifies it again itself.
  deploy @0 (twin :UInt32, raw :Text) -> ();
  update @1 (twin :UInt32, raw :Text) -> ();
  get @2 (twin :UInt32, contractId :UInt64) -> (json :Text);      # "" when the twin has no such deployment
  list @3 (twin :UInt32) -> (json :Text);                         # JSON array
  changes @4 (twin :UInt32, contractId :UInt64) -> (json :Text);  # JSON array
  features @5 () -> (names :List(Text));
  usage @6 () -> (json :Text);
}

interface HostFacts {
  # One fact about the machine as JSON: version, dmi, hypervisor, capacity, reserved, interfaces,
  # secureBoot, serialNumber, uptimeSecs, availableMemory.
  get @0 (name :Text) -> (json :Text);
}

interface Activator {
  # gets `address` enough balance to register (the activation service; the dev faucet on a local grid)
  activate @0 (address :Text) -> ();
}

interface StatusReport {
  status @0 () -> (json :Text);
}
