// endpoints.json's `client_env`: what a program using the unmodified official client sets so the
// names GridClient hard-codes (the KYC host) reach the dev grid: NODE_OPTIONS preloads a small file
// that sends TLS connections for those names to the local service (keeping the name for SNI and the
// certificate check), NODE_EXTRA_CA_CERTS makes Node trust the dev grid's CA, NO_PROXY keeps an HTTP
// proxy of the environment out of the way. Everything lives in the dev grid's state folder.
import { join } from "node:path";
import { writeFileAtomic } from "../../capabilities/lib/fs/atomic.ts";

export interface ClientEnvOptions {
  dir: string; // where preload.cjs is written (inside the grid's state folder)
  caFile: string;
  /** name → loopback target, e.g. {"kyc.dev.grid.tf": {host: "127.0.0.1", port: 4430}} */
  routes: Record<string, { host: string; port: number }>;
}

function preloadSource(routes: ClientEnvOptions["routes"]): string {
  return `// Written by the zos-ts dev grid (grid/kyc/client-env.ts); loaded with NODE_OPTIONS=--require.
// Sends TLS connections for the dev grid's fixed service names to the local services.
"use strict";
const ROUTES = ${JSON.stringify(routes)};
const tls = require("node:tls");
const dns = require("node:dns");
const original = tls.connect;
function split(args) {
  // tls.connect(options[, cb]) | (port[, host][, options][, cb])
  let options = {};
  let cb;
  const rest = [...args];
  if (typeof rest[rest.length - 1] === "function") cb = rest.pop();
  if (typeof rest[0] === "object" && rest[0] !== null) options = { ...rest[0] };
  else {
    if (rest[0] !== undefined) options.port = rest[0];
    if (typeof rest[1] === "string") options.host = rest[1];
    const o = rest.find((a, i) => i > 0 && typeof a === "object" && a !== null);
    if (o) options = { ...o, ...options };
  }
  return { options, cb };
}
tls.connect = function connect(...args) {
  const { options, cb } = split(args);
  const name = options.servername || options.host;
  const route = name && ROUTES[String(name).toLowerCase()];
  if (route && (options.port === undefined || Number(options.port) === 443)) {
    const routed = { ...options, host: route.host, port: route.port, servername: String(name) };
    delete routed.lookup;
    return cb ? original.call(this, routed, cb) : original.call(this, routed);
  }
  return original.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  const route = typeof hostname === "string" && ROUTES[hostname.toLowerCase()];
  if (!route) return lookup.apply(this, arguments);
  const cb = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options !== null && options.all;
  const family = route.host.includes(":") ? 6 : 4;
  process.nextTick(() => (all ? cb(null, [{ address: route.host, family }]) : cb(null, route.host, family)));
};
`;
}

/** Writes the preload and returns the variables for endpoints.json's client_env. */
export function writeClientEnv(o: ClientEnvOptions): Record<string, string> {
  const preload = join(o.dir, "preload.cjs");
  writeFileAtomic(preload, preloadSource(o.routes), { mode: 0o644, mkdirMode: 0o700 });
  const names = Object.keys(o.routes);
  return {
    NODE_OPTIONS: `--require ${JSON.stringify(preload)}`,
    NODE_EXTRA_CA_CERTS: o.caFile,
    NO_PROXY: ["127.0.0.1", "localhost", "::1", ...names].join(","),
  };
}
