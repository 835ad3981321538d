// `ip`, `ipv4` (deprecated), `zlogs`, `gateway-name-proxy`, `gateway-fqdn-proxy`.
import { bool, fields, join, optStr, str, strArr } from "../decode.ts";
import type { JsonValue } from "../json.ts";
import { isLoopback, parseGoIP } from "../ip.ts";
import { fieldError, type TypeHandler } from "../handler.ts";
import { zeroCapacity } from "../types.ts";

export interface PublicIPData {
  v4: boolean;
  v6: boolean;
}

export const ipHandler: TypeHandler<PublicIPData> = {
  decode(v, path) {
    const f = fields(v, path);
    return { v4: bool(f, "v4", path), v6: bool(f, "v6", path) };
  },
  challenge(d, w) {
    w.b(d.v4);
    w.b(d.v6);
  },
  validate(d) {
    return !d.v4 && !d.v6 ? fieldError("v4", "public ip workload with no selections: set v4 and/or v6") : null;
  },
  capacity(d) {
    const c = zeroCapacity();
    c.ipv4u = d.v4 ? 1n : 0n;
    return c;
  },
};

export const ipv4Handler: TypeHandler<Record<string, never>> = {
  decode(v, path) {
    fields(v, path); // must still be an object (or null)
    return {};
  },
  challenge() {},
  validate: () => null,
  capacity() {
    const c = zeroCapacity();
    c.ipv4u = 1n;
    return c;
  },
};

/** Go url.Parse's scheme (lowercased), or null when the text has none or is not parseable. */
function urlScheme(u: string): string | null {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(u);
  if (!m) return "";
  // control characters make Go's url.Parse fail
  for (let i = 0; i < u.length; i++) if (u.charCodeAt(i) < 0x20 || u.charCodeAt(i) === 0x7f) return null;
  return m[1].toLowerCase();
}

export interface ZlogsData {
  zmachine: string;
  output: string;
}

const LOG_SCHEMES = new Set(["redis", "ws", "wss", "http", "https"]);

export const zlogsHandler: TypeHandler<ZlogsData> = {
  decode(v, path) {
    const f = fields(v, path);
    return { zmachine: str(f, "zmachine", path), output: str(f, "output", path) };
  },
  challenge(d, w) {
    w.s(d.zmachine);
    w.s(d.output);
  },
  validate(d, getter) {
    const wl = getter.get(d.zmachine);
    if (!wl || wl.type !== "zmachine") return fieldError("zmachine", `no zmachine with name '${d.zmachine}' found in this deployment`);
    const scheme = urlScheme(d.output);
    if (scheme === null) return fieldError("output", "invalid url supplied in output");
    if (!LOG_SCHEMES.has(scheme)) return fieldError("output", `invalid output schema '${scheme}' not supported (use redis, ws, wss, http or https)`);
    return null;
  },
  capacity: () => zeroCapacity(),
};

export interface GatewayData {
  name: string; // name or fqdn
  tls_passthrough: boolean;
  backends: string[];
  network: string | null;
}

function splitHostPort(a: string): [string, string] | null {
  if (a.startsWith("[")) {
    const end = a.indexOf("]");
    if (end < 0 || a[end + 1] !== ":") return null;
    const host = a.slice(1, end);
    const port = a.slice(end + 2);
    if (port.includes(":") || host.includes("[") || host.includes("]")) return null;
    return [host, port];
  }
  const i = a.lastIndexOf(":");
  if (i < 0) return null;
  const host = a.slice(0, i);
  if (host.includes(":") || host.includes("[") || host.includes("]")) return null;
  return [host, a.slice(i + 1)];
}

function validBackend(b: string, tls: boolean): string | null {
  if (tls) {
    const hp = splitHostPort(b);
    if (!hp) return `failed to parse backend ${b}: expected ip:port`;
    if (!parseGoIP(hp[0])) return `failed to parse backend ${b}: invalid ip`;
    if (!/^[0-9]+$/.test(hp[1])) return `invalid port in backend: ${hp[1]}`;
    if (hp[1].length > 5 || Number(hp[1]) > 65535) return `port '${hp[1]}' must be <= 65535`;
    return null;
  }
  const scheme = urlScheme(b);
  if (scheme === null) return "failed to parse backend url";
  if (scheme !== "http") return `scheme expected to be http in backend ${b}`;
  const rest = b.slice(b.indexOf(":") + 1);
  const m = /^\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(rest);
  let host = m ? m[1] : "";
  if (host.startsWith("[")) host = host.slice(1, -1);
  const ip = parseGoIP(host);
  if (!ip || isLoopback(ip)) return `invalid ip address in backend: ${host}`;
  return null;
}

function gatewayHandler(key: "name" | "fqdn", re: RegExp): TypeHandler<GatewayData> {
  return {
    decode(v, path) {
      const f = fields(v, path);
      const network = optStr(f, "network", path);
      return { name: str(f, key, path), tls_passthrough: bool(f, "tls_passthrough", path), backends: strArr(f, "backends", path), network };
    },
    challenge(d, w) {
      w.s(d.name);
      w.b(d.tls_passthrough);
      for (const b of d.backends) w.s(b);
      if (d.network !== null) w.s(d.network);
    },
    validate(d) {
      if (!re.test(d.name)) return fieldError(key, `${key} ${JSON.stringify(d.name)} is invalid`);
      if (d.backends.length === 0) return fieldError("backends", "backends list can not be empty");
      for (const [i, b] of d.backends.entries()) {
        const e = validBackend(b, d.tls_passthrough);
        if (e) return fieldError(`backends[${i}]`, `failed to validate backend '${b}': ${e}`);
      }
      return null;
    },
    capacity: () => zeroCapacity(),
  };
}

export const gatewayNameHandler = gatewayHandler("name", /^[a-zA-Z0-9-_]+$/);
export const gatewayFqdnHandler = gatewayHandler("fqdn", /^([a-zA-Z0-9-_]+\.)+[a-zA-Z0-9-_]{2,}$/);

void join;
export type { JsonValue };
