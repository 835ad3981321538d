// Import first in a sandboxed entry: the kernel gives processes no environment permission, yet libraries
// (@polkadot/util's package check, ws) read optional flags from process.env at import time, which Deno
// then refuses with NotCapable. An empty environment is the truth for these processes, so say so.
import process from "node:process";

Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
