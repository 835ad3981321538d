// The hypervisor as its own process for the kill -9 test: opens the state dir (adopting what runs there),
// prints its VMs as one JSON line, then stays up until killed.
// usage: driver-child.ts <state dir> <netns file>
import process from "node:process";
import { Hypervisor } from "../hypervisor.ts";

const [stateDir, netns] = process.argv.slice(2);
const hv = new Hypervisor({ stateDir, netns, restartDelaysMs: [300] });
await hv.open();
console.log(JSON.stringify(hv.list("provision")));
setInterval(() => {}, 1 << 30);
