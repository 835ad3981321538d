# The legacy 0-fs `.flist` directory records (0-flist's format/flist.capnp, same field numbers and types,
# so the wire layout is identical): the rows of `flistdb.sqlite3`'s `entries` table are these messages in
# standard unpacked framing. Read by capabilities/lib/flist/legacy; not an RPC interface.
@0x92ecd9ada01cb2ad;

struct FileBlock {
  hash @0 :Data;    # BLAKE2b-128 of the stored (encrypted) bytes: the key in the block store
  key @1 :Data;     # BLAKE2b-128 of the plaintext: the XXTEA key
}

struct File {
  blockSize @0 :UInt16;   # in 4 KiB units (128 = 512 KiB)
  blocks @1 :List(FileBlock);
}

struct Link {
  target @0 :Text;
}

struct Special {
  type @0 :Type;
  enum Type {
    socket @0;
    block @1;
    chardev @2;
    fifopipe @3;
    unknown @4;
  }
  data @1 :Data;          # e.g. "major,minor"
}

struct SubDir {
  key @0 :Text;           # the subdirectory's row key
}

struct Inode {
  name @0 :Text;
  size @1 :UInt64;
  attributes :union {
    dir @2 :SubDir;
    file @3 :File;
    link @4 :Link;
    special @5 :Special;
  }
  aclkey @6 :Text;
  modificationTime @7 :UInt32;
  creationTime @8 :UInt32;
}

struct Dir {
  name @0 :Text;
  location @1 :Text;      # path relative to the root, no leading slash ("" for the root)
  contents @2 :List(Inode);
  parent @3 :Text;        # the parent directory's row key
  size @4 :UInt64;
  aclkey @5 :Text;
  modificationTime @6 :UInt32;
  creationTime @7 :UInt32;
}

struct ACI {
  uname @0 :Text;
  gname @1 :Text;
  mode @2 :UInt16;
  rights @3 :List(Right);
  struct Right {
    right @0 :Text;
    usergroupid @1 :UInt16;
  }
  id @4 :UInt32;
  uid @5 :Int64 = -1;
  gid @6 :Int64 = -1;
}
