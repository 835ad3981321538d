// What a route may be: the gateway driver's security boundary. A caller (the gateway workload managers)
// hands a route as JSON; it becomes a proxy route only if every field is well formed and every backend is
// an IP literal the node may forward to — never its own loopback (that would expose the node's internal
// listeners to the internet), link-local, multicast or unspecified addresses, or the gateway's own listen
// address (a loop). Host names are never resolved here. Pure code.
import { isIP } from "node:net";
import type { Dial } from "./proxy.ts";

export interface RouteSpec {
  id: string;
  host: string;
  tlsPassthrough: boolean;
  backends: string[];
}

const ID = /^[A-Za-z0-9._-]{1,128}$/;
// Zero-OS's FQDN pattern, lowercased, ≤ 253 bytes
const HOST = /^([a-z0-9_-]+\.)+[a-z0-9_-]{2,}$/;

function v4(ip: string): number[] {
  return ip.split(".").map(Number);
}

/** Why a backend IP is refused, or null when it may be used. */
export function forbiddenIp(ip: string, own: string[]): string | null {
  const fam = isIP(ip);
  if (fam === 4) {
    const [a, b] = v4(ip);
    if (a === 127) return "a loopback address (the node's own services)";
    if (a === 0) return "an unspecified address";
    if (a === 169 && b === 254) return "a link-local address";
    if (a >= 224) return "a multicast or reserved address";
  } else if (fam === 6) {
    const l = ip.toLowerCase();
    if (l === "::1" || l === "0:0:0:0:0:0:0:1") return "a loopback address (the node's own services)";
    if (l === "::" || /^0*:0*:0*:0*:0*:0*:0*:0*$/.test(l)) return "an unspecified address";
    if (/^fe[89ab]/.test(l)) return "a link-local address";
    if (l.startsWith("ff")) return "a multicast address";
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(l);
    if (mapped) return forbiddenIp(mapped[1], own);
  } else return "not an IP address (backends are IP literals; names are never resolved)";
  if (own.includes(ip.toLowerCase())) return "the gateway's own address (a loop)";
  return null;
}

function parseHostPort(text: string, defaultPort: number | null): Dial | null {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([0-9.]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port === null || port < 1 || port > 65535) return null;
  return { hostname: m[1], port };
}

/** A backend as a dial address, or throws saying what is wrong with it and what is expected. */
export function parseBackend(text: string, passthrough: boolean, own: string[]): Dial {
  let d: Dial | null;
  if (passthrough) {
    d = parseHostPort(text, null);
    if (!d) throw new Error(`backend "${text}": a tls_passthrough backend is IP:PORT (e.g. 10.20.2.2:443 or [2001:db8::2]:443)`);
  } else {
    const m = /^http:\/\/([^/]+)\/?$/.exec(text);
    d = m ? parseHostPort(m[1], 80) : null;
    if (!d) throw new Error(`backend "${text}": a backend is http://IP[:PORT] (e.g. http://10.20.2.2:8080)`);
  }
  const why = forbiddenIp(d.hostname, own);
  if (why) throw new Error(`backend "${text}": ${d.hostname} is ${why}`);
  return d;
}

export function parseRoute(json: string, own: string[]): { spec: RouteSpec; dials: Dial[] } {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(json);
  } catch {
    throw new Error("a route is JSON: {\"id\", \"host\", \"tlsPassthrough\", \"backends\"}");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("a route is a JSON object");
  const known = new Set(["id", "host", "tlsPassthrough", "backends"]);
  for (const k of Object.keys(v)) if (!known.has(k)) throw new Error(`route: unknown field "${k}" (known: ${[...known].join(", ")})`);
  const id = v.id;
  if (typeof id !== "string" || !ID.test(id)) throw new Error(`route id ${JSON.stringify(id)}: letters, digits, ".", "_" and "-", at most 128`);
  const host = typeof v.host === "string" ? v.host.toLowerCase() : "";
  if (!HOST.test(host) || host.length > 253) throw new Error(`route ${id}: host ${JSON.stringify(v.host)} is not a domain name like name.example.com`);
  const passthrough = v.tlsPassthrough ?? false;
  if (typeof passthrough !== "boolean") throw new Error(`route ${id}: tlsPassthrough is true or false`);
  const backends = v.backends;
  if (!Array.isArray(backends) || backends.length === 0 || backends.some((b) => typeof b !== "string")) {
    throw new Error(`route ${id}: backends is a non-empty list of strings`);
  }
  if (backends.length > 32) throw new Error(`route ${id}: at most 32 backends`);
  const dials = (backends as string[]).map((b) => parseBackend(b, passthrough, own));
  return { spec: { id, host, tlsPassthrough: passthrough, backends: backends as string[] }, dials };
}
