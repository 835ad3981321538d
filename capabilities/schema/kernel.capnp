# The capability kernel's schemas: the bootstrap interfaces every process sees (Session from the kernel,
# ProcessControl from the process) and the first drivers' and example modules' interfaces. Every
# kernel <-> process connection speaks Cap'n Proto RPC (rpc.capnp level 1, capabilities/lib/rpc/) over the
# process's stdin/stdout.
@0xfc6b5ea71f0d9d04;

# Handed by the kernel to each process as its bootstrap: the only door to anything.
interface Session {
  get @0 (name :Text) -> (cap :Capability);  # the granted capability, behind the kernel's membrane
  list @1 () -> (names :List(Text));         # the names granted to this process
}

# Exported by each process as its bootstrap; only the kernel can reach it.
interface ProcessControl {
  health @0 () -> (ready :Bool, detail :Text);
  provide @1 (name :Text, restrictions :Text, grantee :Text) -> (cap :Capability);  # restrictions: JSON
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
