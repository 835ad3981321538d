// The GraphQL endpoint over HTTP, as the indexer's graphql-server answers it: POST a JSON body
// {query, variables?, operationName?} (or GET ?query=...); the answer is {data, errors?} with status
// 200, or 400 for a body that is not a GraphQL request.
import type { IncomingMessage, ServerResponse } from "node:http";
import { graphql, type GraphQLSchema } from "graphql";

const MAX_BODY = 1 << 20;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "access-control-allow-origin": "*",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function graphqlHandler(schema: GraphQLSchema, root: () => Record<string, unknown>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "content-type",
      });
      res.end();
      return;
    }
    let q: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      if (req.method === "GET") {
        const u = new URL(req.url ?? "/", "http://x");
        const v = u.searchParams.get("variables");
        q = { query: u.searchParams.get("query") ?? undefined, variables: v ? JSON.parse(v) : undefined };
      } else if (req.method === "POST") {
        q = JSON.parse(await readBody(req));
      } else {
        send(res, 405, { errors: [{ message: `method ${req.method} not allowed: POST a JSON {"query": ...}` }] });
        return;
      }
    } catch (e) {
      send(res, 400, { errors: [{ message: `bad request: ${(e as Error).message}` }] });
      return;
    }
    if (!q || typeof q.query !== "string" || !q.query.trim()) {
      send(res, 400, { errors: [{ message: 'bad request: the body must be JSON {"query": "<GraphQL document>", "variables": {...}}' }] });
      return;
    }
    const variables = q.variables && typeof q.variables === "object" ? q.variables as Record<string, unknown> : undefined;
    const result = await graphql({
      schema,
      source: q.query,
      rootValue: root(),
      variableValues: variables,
      operationName: typeof q.operationName === "string" ? q.operationName : undefined,
    });
    send(res, 200, result);
  };
}
