# The flist driver (capabilities/flist): downloads flists from the hubs its grant names, checks the `.md5`,
# reads both formats (rfs v2 `.fl`, legacy 0-fs `.flist`), verifies every block and materialises roots.
# Values cross as JSON text, as storage.capnp does. Nothing here takes a host path: roots are the driver's.
@0x83318f63a4624952;

interface Flist {
  # Downloads (cached by md5) and materialises the flist at `url` read-only, shared per flist hash; each
  # call takes a reference that `release` gives back.
  # -> {hash, root, kind: "container"|"vm", kernel?, initrd?, image?, format: "fl"|"flist", files, bytes}
  # kind "vm" when the flist carries /image.raw (image = its path) or /boot/vmlinuz without a root tree
  # meant to be shared; kernel/initrd = paths of /boot/vmlinuz and /boot/initrd.img when present.
  prepare @0 (url :Text) -> (json :Text);
  # Drops one reference taken by prepare; the root is removed when none is left and no writable uses it.
  release @1 (hash :Text) -> ();
  # A per-VM writable root: a copy (reflink where the filesystem shares extents) of the flist's root,
  # limited to `size` bytes. Idempotent per (owner, vm). -> {path, hash, size}
  # `volume` "" = a folder of the driver's own; else "<pool>/<id>": a quota-limited subvolume the storage
  # module made for this VM (id "<owner>-…", vm-group 2770) under the driver's volumes root, which the copy
  # fills (writing past its limit fails in the guest with EDQUOT; deleting the subvolume removes it all).
  writable @2 (owner :UInt32, vm :Text, url :Text, size :UInt64, volume :Text) -> (json :Text);
  dropWritable @3 (owner :UInt32, vm :Text) -> ();
  # [{hash, url, root, refs, writables: ["owner/vm"]}]
  list @4 () -> (json :Text);
  # The md5 the hub publishes for the flist at `url` now (its `.md5`), without downloading it: a change
  # check (the kernel's upgrade agent asks it before preparing a release flist). Same hub rules as prepare.
  md5 @5 (url :Text) -> (md5 :Text);
}
