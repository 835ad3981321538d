// zlogs: follows one VM's console log and sends it, line by line, to the target a zlogs workload names —
// `redis://HOST:PORT[/CHANNEL]` (RESP `PUBLISH CHANNEL LINE`, channel default "zlogs") or `ws://`/`wss://`
// (one text message per line). The hypervisor driver runs it inside the VM's NR namespace (Zero-OS runs its
// `tailstream` there), with no Linux capabilities and Deno allowed to read only that log and reach only
// that host. Reconnects with backoff; lines written while disconnected are sent after reconnecting.
// usage: zlogs-stream.ts <console log> <url>
import { connect, type Socket } from "node:net";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import process from "node:process";

const [file, url] = process.argv.slice(2);
if (!file || !url) {
  console.error("usage: zlogs-stream.ts <console log> <url>");
  process.exit(2);
}
const target = new URL(url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let offset = 0;
let pending = "";
/** New complete lines of the log since the last call. */
function newLines(): string[] {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    return [];
  }
  if (size < offset) offset = 0; // truncated
  if (size === offset) return [];
  const buf = new Uint8Array(Math.min(size - offset, 1 << 20));
  const fd = openSync(file, "r");
  try {
    const n = readSync(fd, buf, 0, buf.length, offset);
    offset += n;
    pending += new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  return lines.map((l) => l.replace(/\r$/, ""));
}

function resp(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`).join("");
}

async function redis(): Promise<void> {
  const channel = decodeURIComponent(target.pathname.replace(/^\//, "")) || "zlogs";
  const sock: Socket = connect(Number(target.port || 6379), target.hostname);
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  let closed = false;
  sock.on("error", () => (closed = true));
  sock.on("close", () => (closed = true));
  sock.on("data", () => {}); // replies (subscriber counts) are not needed
  if (target.password) sock.write(resp(target.username ? ["AUTH", decodeURIComponent(target.username), decodeURIComponent(target.password)] : ["AUTH", decodeURIComponent(target.password)]));
  while (!closed) {
    for (const line of newLines()) sock.write(resp(["PUBLISH", channel, line]));
    await sleep(250);
  }
  throw new Error("redis connection closed");
}

async function websocket(): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket error"));
  });
  let closed = false;
  ws.onclose = () => (closed = true);
  while (!closed) {
    for (const line of newLines()) ws.send(line);
    await sleep(250);
  }
  throw new Error("websocket closed");
}

const run = target.protocol === "redis:" ? redis : target.protocol === "ws:" || target.protocol === "wss:" ? websocket : null;
if (!run) {
  console.error(`zlogs: unsupported scheme ${target.protocol} (redis, ws, wss)`);
  process.exit(2);
}
for (let attempt = 0; ; attempt++) {
  try {
    await run();
  } catch (e) {
    console.error(`zlogs: ${url.replace(/\/\/[^@/]*@/, "//***@")}: ${(e as Error).message}; retrying`);
  }
  await sleep(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
}
