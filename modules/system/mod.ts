// modules/system: read-only facts about the machine (capacity, interfaces, DMI, hypervisor).
export * from "./host_facts.ts";
