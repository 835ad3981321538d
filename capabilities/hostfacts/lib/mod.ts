// capabilities/hostfacts/lib: read-only facts about the machine (capacity, interfaces, DMI, hypervisor). It reads
// /proc, /sys and node:os, so it runs only where that is granted: the hostfacts driver (and the in-process dev node).
export * from "./host_facts.ts";
export * from "./network_info.ts";
