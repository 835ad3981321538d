# The capability kernel's schemas: the frame every kernel<->process message travels in, the bootstrap
# interfaces (Session, ProcessControl) and the first drivers' and example modules' interfaces.
#
# Wire (kernel/wire/): each message on a process's stdio is one Cap'n Proto message (standard stream framing,
# segment table first) whose root is a Frame. A call's params and a return's results are themselves
# Cap'n Proto messages carried in Frame.payload. Capabilities never travel inside a payload: they travel in
# Frame.caps, and a method whose params or results "carry a capability" documents which caps[] index it uses.
@0xfc6b5ea71f0d9d04;

struct CapDescriptor {
  union {
    senderHosted @0 :UInt32;    # an id in the sender's export table (the receiver imports it)
    receiverHosted @1 :UInt32;  # an id the receiver exported earlier (handed back to its owner)
  }
}

struct RpcException {
  type @0 :Text;     # "disconnected" | "failed" | "denied" | "overloaded" | "unimplemented"
  reason @1 :Text;
}

struct Frame {
  id @0 :UInt32;            # question id (call, return, exception)
  target @1 :UInt32;        # call/release: an id in the receiver's export table (0 = bootstrap)
  interfaceId @2 :UInt64;
  methodId @3 :UInt16;
  payload @4 :Data;         # params (call) or results (return): a Cap'n Proto message
  caps @5 :List(CapDescriptor);
  count @6 :UInt32;         # release: how many references are dropped
  union {
    call @7 :Void;
    return @8 :Void;
    exception @9 :RpcException;
    release @10 :Void;
    abort @11 :Text;        # the sender is closing the connection because of a protocol error
  }
}

# Handed by the kernel to each process as its bootstrap: the only door to anything.
interface Session {
  get @0 (name :Text) -> ();                 # result carries the granted capability in caps[0]
  list @1 () -> (names :List(Text));         # the names granted to this process
}

# Exported by each process as its bootstrap; only the kernel can reach it.
interface ProcessControl {
  health @0 () -> (ready :Bool, detail :Text);
  provide @1 (name :Text, restrictions :Text, grantee :Text) -> ();  # restrictions: JSON; cap in caps[0]
  shutdown @2 (deadlineMs :UInt32) -> ();
}

interface Kv {
  get @0 (key :Text) -> (value :Data, found :Bool);
  put @1 (key :Text, value :Data) -> ();
  delete @2 (key :Text) -> (existed :Bool);
  list @3 (prefix :Text) -> (keys :List(Text));
}

interface Log {
  write @0 (level :Text, message :Text) -> ();
}

interface Clock {
  now @0 () -> (unixMs :Float64, monotonicMs :Float64);
}

# Example modules (modules/counter, modules/greeter, modules/reporter).
interface Counter {
  increment @0 (by :Int64) -> (value :Int64);
  get @1 () -> (value :Int64);
}

interface Greeter {
  greet @0 (name :Text) -> (message :Text);
}

interface Echo {
  echo @0 (data :Data) -> (data :Data);    # benchmarks and tests
}
