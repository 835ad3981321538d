// modules/system: read-only facts about the machine (capacity, interfaces, DMI, hypervisor).
export * from "./host_facts.ts";
export * from "./network_info.ts";
