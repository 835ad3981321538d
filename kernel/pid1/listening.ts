// The no-listening-sockets promise, checked from inside: parse /proc/net/{tcp,tcp6,udp,udp6} and
// report sockets in LISTEN state (TCP) or bound without a peer (UDP). Pure parser + a reader.
import { readFileSync } from "node:fs";

export interface ListeningSocket {
  proto: string;
  local: string;
  port: number;
}

/** Parses one /proc/net/tcp-style table; `proto` decides what counts as listening. */
export function parseProcNet(text: string, proto: "tcp" | "tcp6" | "udp" | "udp6"): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [localHex, portHex] = f[1].split(":");
    const remPort = parseInt(f[2].split(":")[1], 16);
    const state = parseInt(f[3], 16);
    const listening = proto.startsWith("tcp") ? state === 0x0a : remPort === 0;
    if (listening) out.push({ proto, local: localHex, port: parseInt(portHex, 16) });
  }
  return out;
}

export function listeningSockets(procRoot = "/proc"): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const p of ["tcp", "tcp6", "udp", "udp6"] as const) {
    try {
      out.push(...parseProcNet(readFileSync(`${procRoot}/net/${p}`, "utf8"), p));
    } catch { /* protocol not present (no IPv6) */ }
  }
  return out;
}
