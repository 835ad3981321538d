# What the capability kernel itself serves (provider name "kernel" in a manifest grant): facts only the
# kernel holds, such as every process's measured memory. Grants: `{ "from": "kernel", "cap": "memory" }`.
@0xb9c5f76235dace71;

interface ProcessMemory {
  # Every running process of the node: JSON list of
  # {process, pid, rssMb, pssMb, ussMb, budgetMb} (MiB; pss/uss null when unreadable; budget null = none),
  # as the kernel's last pass over /proc measured them (a fresh pass when none is younger than 2 s).
  sample @0 () -> (json :Text);
}
