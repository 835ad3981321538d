# The chain driver (capabilities/chain): the node's only way to TFChain. Two facets, granted apart:
# ChainReader (storage reads + events) and ChainSubmitter (extrinsics signed through a Signer capability
# from the identity driver — the chain driver never holds the node key).
# Values cross as JSON text (`toPrimitive` of the SCALE value) to keep the interface independent of
# TFChain's type churn; absent items are empty text.
@0xe3485080ef1dfb2c;

using Identity = import "identity.capnp";

struct ChainEvent {
  section @0 :Text;           # camelCase pallet, e.g. "smartContractModule"
  method @1 :Text;            # e.g. "NodeContractCanceled"
  dataJson @2 :Text;          # JSON array of the event fields
  extrinsicIndex @3 :Int32;   # -1 for block initialization/finalization events
  blockHash @4 :Text;
}

interface EventSink {
  events @0 (events :List(ChainEvent)) -> ();
}

interface Subscription {
  cancel @0 () -> ();
}

interface ChainReader {
  twin @0 (id :UInt32) -> (json :Text);
  twinIdByAccount @1 (address :Text) -> (id :UInt32, found :Bool);
  farm @2 (id :UInt32) -> (json :Text);
  node @3 (id :UInt32) -> (json :Text);
  nodeIdByTwin @4 (twinId :UInt32) -> (id :UInt32, found :Bool);
  contract @5 (id :UInt64) -> (json :Text);
  activeNodeContracts @6 (nodeId :UInt32) -> (ids :List(UInt64));
  contractIdByNodeAndHash @7 (nodeId :UInt32, hash :Text) -> (id :UInt64, found :Bool);
  rentContractForNode @8 (nodeId :UInt32) -> (id :UInt64, found :Bool);
  subscribeEvents @9 (sink :EventSink) -> (subscription :Subscription);
  # free and reserved balance of an account, decimal text (u128)
  balance @10 (address :Text) -> (free :Text, reserved :Text);
  # the name contract holding a gateway name (ContractIDByNameRegistration), as gateway-name-proxy checks it
  contractIdByName @11 (name :Text) -> (id :UInt64, found :Bool);
}

struct Included {
  blockHash @0 :Text;
  events @1 :List(ChainEvent);
}

struct DispatchFailure {
  section @0 :Text;           # "tfgridModule", or "dispatch" for non-module errors
  error @1 :Text;             # "TwinExists", "Token", ...
}

struct SubmitResult {
  union {
    included @0 :Included;
    failed @1 :DispatchFailure;
  }
}

interface ChainSubmitter {
  # section/method as in @polkadot/api (`tfgridModule`, `createNode`); argsJson = JSON array of arguments.
  submit @0 (section :Text, method :Text, argsJson :Text) -> (result :SubmitResult);
  address @1 () -> (address :Text);
}

interface ChainDriver {
  reader @0 () -> (reader :ChainReader);
  # the submitter signs with `signer` (a purpose-scoped Signer granted by the identity driver)
  submitter @1 (signer :Identity.Signer) -> (submitter :ChainSubmitter);
}
