// The dev grid's indexer: a GridModel fed from the dev chain's blocks (feed.ts) and served as the
// TFChain indexer's GraphQL API (schema.ts) at http://host:port/graphql.
import { createServer, type Server } from "node:http";
import type { DevChain } from "../chain/mod.ts";
import { attachFeed, type Feed } from "./feed.ts";
import { GridModel } from "./model.ts";
import { rootValue } from "./resolve.ts";
import { Rows } from "./rows.ts";
import { buildIndexerSchema } from "./schema.ts";
import { graphqlHandler } from "./server.ts";

export { GridModel } from "./model.ts";
export { attachFeed } from "./feed.ts";

export interface StartIndexerOptions {
  chain: DevChain;
  host?: string;
  port?: number;
  /** share a model already fed from the chain (the explorer's) */
  model?: GridModel;
  feed?: Feed;
  log?: (line: string) => void;
}

export interface RunningIndexer {
  url: string; // http://host:port/graphql
  model: GridModel;
  feed: Feed;
  stop(): Promise<void>;
}

export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const a = server.address();
  return typeof a === "object" && a ? a.port : port;
}

export function loopbackOnly(host: string, what: string): void {
  if (!["127.0.0.1", "::1", "localhost"].includes(host)) {
    throw new Error(`the ${what} listens on loopback only (got host ${host})`);
  }
}

export function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startIndexer(o: StartIndexerOptions): Promise<RunningIndexer> {
  const host = o.host ?? "127.0.0.1";
  loopbackOnly(host, "indexer");
  const model = o.model ?? new GridModel();
  const ownFeed = !o.feed;
  const feed = o.feed ?? attachFeed(o.chain, model, o.log);
  const rows = new Rows(model);
  const root = rootValue(rows);
  const handle = graphqlHandler(buildIndexerSchema(), () => root);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/graphql" && path !== "/graphql/") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ message: `no such path ${path}: the GraphQL endpoint is /graphql` }] }));
      return;
    }
    handle(req, res).catch((e) => {
      o.log?.(`indexer: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ message: "internal error" }] }));
    });
  });
  let port: number;
  try {
    port = await listen(server, host, o.port ?? 0);
  } catch (e) {
    if (ownFeed) feed.stop();
    throw e;
  }
  return {
    url: `http://${hostForUrl(host)}:${port}/graphql`,
    model,
    feed,
    stop: async () => {
      if (ownFeed) feed.stop();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
