// The dev grid's explorer: the grid proxy's REST API (routes.ts) over the same GridModel the indexer
// serves, fed from the dev chain; node facts the proxy gets over RMB come from node-info.ts.
import { createServer } from "node:http";
import type { DevChain } from "../chain/mod.ts";
import { attachFeed, type Feed } from "../indexer/feed.ts";
import { hostForUrl, listen, loopbackOnly } from "../indexer/mod.ts";
import { GridModel } from "../indexer/model.ts";
import { type NodeAsk, NodeInfoSource } from "./node-info.ts";
import { HttpError } from "./params.ts";
import { route } from "./routes.ts";

export type { NodeAsk } from "./node-info.ts";

export interface StartExplorerOptions {
  chain: DevChain;
  host?: string;
  port?: number;
  model?: GridModel;
  feed?: Feed;
  /** RMB requests to nodes (features, health, statistics); null = none (those stay empty / 502) */
  ask?: NodeAsk | null;
  log?: (line: string) => void;
}

export interface RunningExplorer {
  url: string; // http://host:port (no trailing slash: gridproxy_client appends "/contracts")
  model: GridModel;
  feed: Feed;
  info: NodeInfoSource;
  stop(): Promise<void>;
}

export async function startExplorer(o: StartExplorerOptions): Promise<RunningExplorer> {
  const host = o.host ?? "127.0.0.1";
  loopbackOnly(host, "explorer");
  const model = o.model ?? new GridModel();
  const ownFeed = !o.feed;
  const feed = o.feed ?? attachFeed(o.chain, model, o.log);
  const ask = o.ask ?? null;
  const info = new NodeInfoSource(model, ask);
  const deps = { model, info, ask };
  const server = createServer((req, res) => {
    const base = { "access-control-allow-origin": "*", "access-control-expose-headers": "*" };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { ...base, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...base, "content-type": "text/plain" });
      res.end("405 method not allowed\n");
      return;
    }
    const u = new URL(req.url ?? "/", "http://x");
    route(deps, u.pathname, u.searchParams).then((r) => {
      if (r.text !== undefined) {
        res.writeHead(r.status, { ...base, "content-type": "text/plain; charset=utf-8" });
        res.end(r.text);
      } else send(r.status, r.body, r.headers);
    }, (e) => {
      if (e instanceof HttpError) send(e.status, { error: e.message });
      else {
        o.log?.(`explorer: ${u.pathname}: ${(e as Error).stack}`);
        send(500, { error: "internal error" });
      }
    });
  });
  let port: number;
  try {
    port = await listen(server, host, o.port ?? 0);
  } catch (e) {
    if (ownFeed) feed.stop();
    throw e;
  }
  info.start();
  return {
    url: `http://${hostForUrl(host)}:${port}`,
    model,
    feed,
    info,
    stop: async () => {
      info.stop();
      if (ownFeed) feed.stop();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
