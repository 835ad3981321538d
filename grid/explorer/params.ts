// Query-string decoding as the grid proxy does it (gorilla/schema over its filter and Limit structs):
// empty values are dropped, an unknown key is a 400, lists are one comma-separated value, booleans
// are true/false, numbers unsigned decimals; page/size/ret_count/randomize/sort_by/sort_order/balance
// are the pagination keys shared by every list endpoint.

export type ParamKind = "uint" | "bool" | "string" | "float" | "strings" | "uints";
export type ParamSpec = Record<string, ParamKind>;
export type Params = Record<string, number | boolean | string | string[] | number[]>;

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface Limit {
  page: number;
  size: number;
  retCount: boolean;
  randomize: boolean;
  sortBy: string;
  sortOrder: "asc" | "desc";
}

const LIMIT_KEYS: ParamSpec = {
  page: "uint",
  size: "uint",
  ret_count: "bool",
  randomize: "bool",
  sort_by: "string",
  sort_order: "string",
  balance: "float",
};

function decodeOne(key: string, kind: ParamKind, raw: string): Params[string] {
  const bad = (what: string) => new HttpError(400, `failed to decode params: schema: error converting value for "${key}": ${what}`);
  switch (kind) {
    case "uint":
      if (!/^\d+$/.test(raw)) throw bad(`"${raw}" is not an unsigned integer`);
      return Number(raw);
    case "float":
      if (!/^\d+(\.\d+)?$/.test(raw)) throw bad(`"${raw}" is not a number`);
      return Number(raw);
    case "bool":
      if (raw !== "true" && raw !== "false") throw bad(`"${raw}" is not true or false`);
      return raw === "true";
    case "string":
      return raw;
    case "strings":
      return raw.split(",").filter((s) => s !== "");
    case "uints":
      return raw.split(",").filter((s) => s !== "").map((s) => {
        if (!/^\d+$/.test(s)) throw bad(`"${s}" is not an unsigned integer`);
        return Number(s);
      });
  }
}

/** Decodes `search` against the endpoint's filter keys; throws HttpError(400) like the proxy. */
export function decodeParams(search: URLSearchParams, filters: ParamSpec, sortKeys: readonly string[], typeName: string): { filter: Params; limit: Limit } {
  const filter: Params = {};
  const raw: Params = {};
  for (const [key, value] of search) {
    if (value === "") continue; // the proxy drops empty values before decoding
    const kind = filters[key] ?? LIMIT_KEYS[key];
    if (!kind) throw new HttpError(400, `failed to decode params: schema: invalid path "${key}"`);
    const v = decodeOne(key, kind, value);
    if (filters[key]) filter[key] = v;
    else raw[key] = v;
  }
  const order = String(raw.sort_order ?? "asc").toLowerCase();
  if (order !== "asc" && order !== "desc") throw new HttpError(400, `"${raw.sort_order}" is not a valid sort order, use asc or desc`);
  const sortBy = String(raw.sort_by ?? sortKeys[0]);
  if (!sortKeys.includes(sortBy)) throw new HttpError(400, `"${sortBy}" is not a sort field for ${typeName} type`);
  const page = raw.page === undefined ? 1 : Number(raw.page);
  const size = raw.size === undefined ? 50 : Number(raw.size);
  if (page < 1) throw new HttpError(400, "failed to decode params: page must be 1 or more");
  return {
    filter,
    limit: { page, size, retCount: raw.ret_count === true, randomize: raw.randomize === true, sortBy, sortOrder: order },
  };
}

export interface Page<T> {
  items: T[];
  count: number;
}

/** Sorts, then pages `all` as the proxy does (offset = (page-1)*size); count = every match. */
export function paginate<T>(all: T[], limit: Limit, key: (t: T, field: string) => number | string | boolean | null, tieBreak: (t: T) => number, first?: (t: T) => boolean): Page<T> {
  let sorted: T[];
  if (limit.randomize) {
    sorted = [...all];
    for (let i = sorted.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
    }
  } else {
    const dir = limit.sortOrder === "desc" ? -1 : 1;
    sorted = [...all].sort((a, b) => {
      if (first) {
        const fa = first(a), fb = first(b);
        if (fa !== fb) return fa ? -1 : 1;
      }
      const x = key(a, limit.sortBy), y = key(b, limit.sortBy);
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * dir;
      }
      return tieBreak(a) - tieBreak(b);
    });
  }
  const from = (limit.page - 1) * limit.size;
  return { items: sorted.slice(from, from + limit.size), count: all.length };
}
