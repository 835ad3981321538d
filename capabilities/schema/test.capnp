# Test interfaces for the RPC library (capabilities/lib/rpc) and its C++ interop test.
# Not used by the OS itself. File id: see capabilities/schema/README.md (derived from the path).
@0xd5b7a4b72251e5ff;

interface Callback {
  # Implemented by callers and passed to the server, which calls it back.
  notify @0 (msg :Text, seq :UInt32) -> (ack :UInt32);
}

interface Counter {
  # Returned by Echo.newCounter: an object created per call, used for pipelining and release tests.
  inc @0 (by :UInt32) -> (value :UInt32);
  name @1 () -> (name :Text);
}

interface Echo {
  echo @0 (text :Text) -> (text :Text);
  add @1 (a :Int64, b :Int64) -> (sum :Int64);

  subscribe @2 (cb :Callback, count :UInt32) -> (acks :UInt32);
  # The server calls cb.notify `count` times (seq 0..count-1) and returns the sum of the acks.

  newCounter @3 (name :Text, delayMs :UInt32) -> (counter :Counter);
  # Returns a new Counter after `delayMs`: lets tests pipeline calls on a result not yet returned.

  keep @4 (cb :Callback) -> ();
  # The server keeps cb until `dropKept`; lets tests observe that a passed capability stays usable.

  callKept @5 (msg :Text) -> (ack :UInt32);
  dropKept @6 () -> ();

  stats @7 () -> (liveCounters :UInt32, calls :UInt32);
  # liveCounters: Counter objects not yet released by any peer.

  fail @8 (reason :Text) -> ();
  sleep @9 (ms :UInt32) -> ();
  blob @10 (size :UInt32) -> (data :Data);

  echoCap @11 (cb :Callback) -> (cb :Callback);
  # Returns the capability it was given (it points back to the caller: exercises Disembargo).
}
