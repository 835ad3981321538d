// Query resolvers: where filters (`<field>_<op>`, AND, OR), orderBy, offset/limit and Connections,
// over the rows of grid/indexer/rows.ts.
import { ENTITIES, type EntitySpec } from "./schema.ts";
import type { Row, Rows } from "./rows.ts";

type Where = Record<string, unknown>;

function test(v: unknown, op: string, arg: unknown): boolean {
  switch (op) {
    case "isNull":
      return (v === null || v === undefined) === arg;
    case "eq":
      return v === arg;
    case "not_eq":
      return v !== arg;
    case "gt":
      return (v as number) > (arg as number);
    case "gte":
      return (v as number) >= (arg as number);
    case "lt":
      return (v as number) < (arg as number);
    case "lte":
      return (v as number) <= (arg as number);
    case "in":
      return (arg as unknown[]).includes(v);
    case "not_in":
      return !(arg as unknown[]).includes(v);
  }
  const s = typeof v === "string" ? v : "";
  const a = String(arg);
  switch (op) {
    case "contains":
      return s.includes(a);
    case "not_contains":
      return !s.includes(a);
    case "containsInsensitive":
      return s.toLowerCase().includes(a.toLowerCase());
    case "not_containsInsensitive":
      return !s.toLowerCase().includes(a.toLowerCase());
    case "startsWith":
      return s.startsWith(a);
    case "not_startsWith":
      return !s.startsWith(a);
    case "endsWith":
      return s.endsWith(a);
    case "not_endsWith":
      return !s.endsWith(a);
  }
  throw new Error(`unknown filter operator _${op}`);
}

export function matches(row: Row, where: Where | null | undefined): boolean {
  if (!where) return true;
  for (const [key, arg] of Object.entries(where)) {
    if (arg === undefined || arg === null) continue;
    if (key === "AND") {
      if (!(arg as Where[]).every((w) => matches(row, w))) return false;
      continue;
    }
    if (key === "OR") {
      if (!(arg as Where[]).some((w) => matches(row, w))) return false;
      continue;
    }
    const i = key.indexOf("_");
    if (!test(row[key.slice(0, i)], key.slice(i + 1), arg)) return false;
  }
  return true;
}

function sortRows(rows: Row[], orderBy: string[] | null | undefined): Row[] {
  if (!orderBy?.length) return rows;
  const keys = orderBy.map((o) => {
    const i = o.lastIndexOf("_");
    return { field: o.slice(0, i), dir: o.slice(i + 1) === "DESC" ? -1 : 1 };
  });
  return [...rows].sort((a, b) => {
    for (const { field, dir } of keys) {
      const x = a[field] as number | string | null;
      const y = b[field] as number | string | null;
      if (x === y) continue;
      if (x === null || x === undefined) return dir;
      if (y === null || y === undefined) return -dir;
      return (x < y ? -1 : 1) * dir;
    }
    return 0;
  });
}

interface ListArgs {
  where?: Where;
  orderBy?: string[];
  offset?: number;
  limit?: number;
}

interface ConnArgs {
  where?: Where;
  orderBy: string[];
  first?: number;
  after?: string;
}

function cursorOf(n: number): string {
  return String(n);
}

function offsetOf(after: string | undefined): number {
  if (after === undefined || after === null) return 0;
  if (!/^\d+$/.test(after)) throw new Error(`invalid cursor "${after}"`);
  return Number(after);
}

function entityResolvers(e: EntitySpec, rows: Rows): Record<string, (args: never) => unknown> {
  const all = () => rows.of(e.type);
  return {
    [e.plural]: (a: ListArgs) => {
      const found = sortRows(all().filter((r) => matches(r, a.where)), a.orderBy);
      const from = a.offset ?? 0;
      return found.slice(from, a.limit === undefined || a.limit === null ? undefined : from + a.limit);
    },
    [`${e.singular}ById`]: (a: { id: string }) => all().find((r) => r.id === a.id) ?? null,
    [`${e.plural}Connection`]: (a: ConnArgs) => {
      const found = sortRows(all().filter((r) => matches(r, a.where)), a.orderBy);
      const from = offsetOf(a.after);
      const page = found.slice(from, a.first === undefined || a.first === null ? undefined : from + a.first);
      return {
        totalCount: found.length,
        edges: page.map((node, i) => ({ node, cursor: cursorOf(from + i + 1) })),
        pageInfo: {
          hasNextPage: from + page.length < found.length,
          hasPreviousPage: from > 0,
          startCursor: page.length ? cursorOf(from + 1) : "",
          endCursor: page.length ? cursorOf(from + page.length) : "",
        },
      };
    },
  } as Record<string, (args: never) => unknown>;
}

/** The root value for graphql(): one resolver per query field. */
export function rootValue(rows: Rows): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const e of ENTITIES) Object.assign(root, entityResolvers(e, rows));
  return root;
}
