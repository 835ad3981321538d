// Test helper for atomic.test.ts: fsyncDir on the folder named by argv[2], run as an unprivileged user, prints
// "tolerated" when it returned.
import process from "node:process";
import { fsyncDir } from "../atomic.ts";

fsyncDir(process.argv[2]);
console.log("tolerated");
