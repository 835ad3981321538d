import process from "node:process";
const done = new Promise<void>((r) => process.on("SIGTERM", () => setTimeout(r, 200)));
console.log("ready");
await done;
console.log("handled");
process.exit(0);
