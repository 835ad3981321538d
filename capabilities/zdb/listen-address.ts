// "host:port" as the manifest passes the listen address (the same text is the driver's Deno --allow-net
// entry): "127.0.0.1:9900", "[::]:9900", "127.0.0.1:0" (any free port, for tests). Pure code.
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`listen address "${text}" is not HOST:PORT (e.g. 127.0.0.1:9900, [::]:9900, or port 0 for any free port)`);
  }
  return { host: m[1], port };
}

/** The wildcard addresses: the server is reachable on every address of the node. */
export const isWildcard = (host: string) => host === "::" || host === "0.0.0.0";
