// JSON-RPC 2.0 over WebSocket (with subscriptions) and HTTP POST on one loopback port.
// Malformed input gets the standard error objects; nothing a client sends can stop the server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Buffer } from "node:buffer";
import { type WebSocket, WebSocketServer } from "ws";
import { RpcError } from "./chain.ts";
import type { Conn, RpcMethods } from "./rpc.ts";

const MAX_MESSAGE = 16 * 1024 * 1024;

interface Req {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

function errorObj(id: unknown, code: number, message: string, data?: string) {
  return {
    jsonrpc: "2.0",
    id: id ?? null,
    error: data === undefined ? { code, message } : { code, message, data },
  };
}

/** Runs one request object; returns the response object (or null for a notification without id). */
function runOne(rpc: RpcMethods, req: unknown, conn: Conn, log: (s: string) => void): unknown {
  if (!req || typeof req !== "object" || Array.isArray(req)) return errorObj(null, -32600, "Invalid Request");
  const r = req as Req;
  const id = r.id;
  if (r.jsonrpc !== "2.0" || typeof r.method !== "string") return errorObj(id, -32600, "Invalid Request");
  if (id !== undefined && id !== null && typeof id !== "number" && typeof id !== "string") {
    return errorObj(null, -32600, "Invalid Request: id must be a number or string");
  }
  const params = r.params === undefined ? [] : r.params;
  if (!Array.isArray(params)) return errorObj(id, -32602, "Invalid params: params must be an array");
  try {
    const result = rpc.call(r.method, params, conn);
    return { jsonrpc: "2.0", id: id ?? null, result: result === undefined ? null : result };
  } catch (e) {
    if (e instanceof RpcError) return errorObj(id, e.code, e.message, e.data);
    log(`rpc ${r.method} failed: ${(e as Error).stack}`);
    return errorObj(id, -32603, "Internal error", (e as Error).message);
  }
}

function handleText(rpc: RpcMethods, text: string, conn: Conn, log: (s: string) => void): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return errorObj(null, -32700, "Parse error");
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return errorObj(null, -32600, "Invalid Request: empty batch");
    return parsed.map((p) => runOne(rpc, p, conn, log));
  }
  return runOne(rpc, parsed, conn, log);
}

export interface RpcServer {
  port: number;
  url: string;
  httpUrl: string;
  close(): Promise<void>;
}

export function serveRpc(
  rpc: RpcMethods,
  host: string,
  port: number,
  log: (s: string) => void,
): Promise<RpcServer> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const sockets = new Set<WebSocket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") {
      res.writeHead(405, { "content-type": "application/json", allow: "POST" });
      res.end(
        JSON.stringify(
          errorObj(null, -32600, "Invalid Request: use POST with a JSON-RPC body, or a WebSocket"),
        ),
      );
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Uint8Array) => {
      size += c.length;
      if (size > MAX_MESSAGE) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (tooBig) {
        res.statusCode = 413;
        res.end(
          JSON.stringify(errorObj(null, -32600, `Invalid Request: body larger than ${MAX_MESSAGE} bytes`)),
        );
        return;
      }
      const text = new TextDecoder().decode(Buffer.concat(chunks));
      const conn: Conn = { notify: null, subs: new Map() };
      res.end(JSON.stringify(handleText(rpc, text, conn, log)));
    });
    req.on("error", () => res.destroy());
  });
  server.on("upgrade", (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      const conn: Conn = {
        notify: (method, subscription, result) => {
          if (ws.readyState === ws.OPEN) {
            ws.send(JSON.stringify({ jsonrpc: "2.0", method, params: { subscription, result } }));
          }
        },
        subs: new Map(),
      };
      ws.on("message", (data, isBinary) => {
        const text = isBinary ? "" : data.toString();
        const out = handleText(rpc, text, conn, log);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(out));
      });
      ws.on("close", () => {
        sockets.delete(ws);
        for (const stop of conn.subs.values()) stop();
        conn.subs.clear();
      });
      ws.on("error", () => ws.terminate());
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      const h = host.includes(":") ? `[${host}]` : host;
      resolve({
        port: addr.port,
        url: `ws://${h}:${addr.port}`,
        httpUrl: `http://${h}:${addr.port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const ws of sockets) ws.terminate();
            wss.close();
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}
