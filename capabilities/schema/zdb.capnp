# The 0-db driver (capabilities/zdb): the control facet of the node's 0-db server, used by the zdb
# workload manager (provision) to keep one namespace per workload. The data path is RESP on the server's
# TCP port and unix socket; this interface is the admin path, so the admin password never leaves the driver.
@0x81b6fbf55922259e;

struct NamespaceSpec {
  name @0 :Text;
  mode @1 :Text;          # "user" or "seq"; only settable while the namespace is empty
  password @2 :Text;      # "" = no password
  public @3 :Bool;        # with a password: readable (not writable) without it
  maxSize @4 :UInt64;     # bytes of payload, 0 = unlimited
  pool @5 :Text;          # storage pool whose volume named like the namespace holds its files (the storage
                          # module made it with this size and handed it to the server); "" = the server's folder
}

struct NamespaceInfo {
  name @0 :Text;
  mode @1 :Text;
  public @2 :Bool;
  passwordSet @3 :Bool;
  maxSize @4 :UInt64;
  dataSize @5 :UInt64;    # live payload bytes
  entries @6 :UInt64;
  locked @7 :Bool;
  pool @8 :Text;          # "" = the server's own folder
  diskFree @9 :UInt64;    # bytes its volume still takes (NSINFO data_disk_freespace_bytes); 0 without a volume
}

struct Endpoint {
  host @0 :Text;          # the address the server listens on ("::" = every address)
  port @1 :UInt16;
  socket @2 :Text;        # unix socket path, "" when none
}

interface Zdb {
  # Creates the namespace, or brings an existing one to `spec` (password, public, size; the mode only
  # while it is empty, otherwise a mode change fails). Fails when the size is below the data it holds.
  ensure @0 (spec :NamespaceSpec) -> (info :NamespaceInfo, created :Bool);
  # Grows or shrinks the size limit (never below the data held).
  resize @1 (name :Text, maxSize :UInt64) -> (info :NamespaceInfo);
  delete @2 (name :Text) -> (existed :Bool);
  info @3 (name :Text) -> (info :NamespaceInfo, found :Bool);
  list @4 () -> (names :List(Text));
  # lock = read-only (Zero-OS pauses a zdb workload this way)
  setLock @5 (name :Text, locked :Bool) -> ();
  endpoint @6 () -> (endpoint :Endpoint);
}
