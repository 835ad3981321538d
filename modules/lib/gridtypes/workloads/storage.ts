// `zmount`, `volume`, `zdb`, `qsfs` (zosbase zmount.go, volume.go, zdb.go, qsfs.go).
import { arr, bool, type Fields, fields, hexBytes, join, obj, type Occ, str, u64, uint, U32 } from "../decode.ts";
import type { JsonValue } from "../json.ts";
import { encodeHex } from "../hex.ts";
import { fieldError, type TypeHandler } from "../handler.ts";
import { GiB, zeroCapacity } from "../types.ts";

export interface SizeData {
  size: bigint;
}

function sizeHandler(sru: boolean): TypeHandler<SizeData> {
  return {
    decode(v, path) {
      return { size: u64(fields(v, path), "size", path) };
    },
    challenge(d, w) {
      w.n(d.size);
    },
    validate(d) {
      return d.size === 0n ? fieldError("size", "invalid size: must be greater than 0") : null;
    },
    capacity(d) {
      const c = zeroCapacity();
      if (sru) c.sru = d.size;
      else c.hru = d.size;
      return c;
    },
  };
}

export const zmountHandler = sizeHandler(true);
export const volumeHandler = sizeHandler(true);

export interface ZdbData {
  size: bigint;
  mode: string;
  password: string;
  public: boolean;
}

export const zdbHandler: TypeHandler<ZdbData> = {
  decode(v, path) {
    const f = fields(v, path);
    return { size: u64(f, "size", path), mode: str(f, "mode", path), password: str(f, "password", path), public: bool(f, "public", path) };
  },
  challenge(d, w) {
    w.n(d.size);
    w.s(d.mode);
    w.s(d.password);
    w.b(d.public);
  },
  validate(d) {
    if (d.size === 0n) return fieldError("size", "invalid size: must be greater than 0");
    if (d.mode !== "user" && d.mode !== "seq") return fieldError("mode", `invalid mode ${JSON.stringify(d.mode)}: must be "user" or "seq"`);
    return null;
  },
  capacity(d) {
    const c = zeroCapacity();
    c.hru = d.size;
    return c;
  },
};

interface Encryption {
  algorithm: string;
  key: Uint8Array;
}
interface Backend {
  address: string;
  namespace: string;
  password: string;
}

export interface QsfsData {
  cache: bigint;
  config: {
    minimal_shards: number;
    expected_shards: number;
    redundant_groups: number;
    redundant_nodes: number;
    max_zdb_data_dir_size: number;
    encryption: Encryption;
    meta: { type: string; config: { prefix: string; encryption: Encryption; backends: Backend[] } };
    groups: { backends: Backend[] }[];
    compression: { algorithm: string };
  };
}

function enc(v: JsonValue | Occ, path: string): Encryption {
  const f = fields(v, path);
  return { algorithm: str(f, "algorithm", path), key: hexBytes(f, "key", path) };
}

function backends(m: Fields | null, path: string): Backend[] {
  return arr(m, "backends", path).map((b, i) => {
    const p = join(join(path, "backends"), i);
    const f = fields(b, p);
    return { address: str(f, "address", p), namespace: str(f, "namespace", p), password: str(f, "password", p) };
  });
}

export const qsfsHandler: TypeHandler<QsfsData> = {
  decode(v, path) {
    const f = fields(v, path);
    const cp = join(path, "config");
    const c = fields(obj(f, "config"), cp);
    const mp = join(cp, "meta");
    const mf = fields(obj(c, "meta"), mp);
    const mcp = join(mp, "config");
    const mcf = fields(obj(mf, "config"), mcp);
    return {
      cache: u64(f, "cache", path),
      config: {
        minimal_shards: uint(c, "minimal_shards", cp, U32),
        expected_shards: uint(c, "expected_shards", cp, U32),
        redundant_groups: uint(c, "redundant_groups", cp, U32),
        redundant_nodes: uint(c, "redundant_nodes", cp, U32),
        max_zdb_data_dir_size: uint(c, "max_zdb_data_dir_size", cp, U32),
        encryption: enc(obj(c, "encryption"), join(cp, "encryption")),
        meta: {
          type: str(mf, "type", mp),
          config: { prefix: str(mcf, "prefix", mcp), encryption: enc(obj(mcf, "encryption"), join(mcp, "encryption")), backends: backends(mcf, mcp) },
        },
        groups: arr(c, "groups", cp).map((g, i) => {
          const gp = join(join(cp, "groups"), i);
          return { backends: backends(fields(g, gp), gp) };
        }),
        compression: { algorithm: str(fields(obj(c, "compression"), join(cp, "compression")), "algorithm", join(cp, "compression")) },
      },
    };
  },
  challenge(d, w) {
    const c = d.config;
    w.n(d.cache);
    w.n(c.minimal_shards);
    w.n(c.expected_shards);
    w.n(c.redundant_groups);
    w.n(c.redundant_nodes);
    w.n(c.max_zdb_data_dir_size);
    w.s(c.encryption.algorithm);
    w.s(encodeHex(c.encryption.key));
    w.s(c.meta.type);
    w.s(c.meta.config.prefix);
    w.s(c.meta.config.encryption.algorithm);
    w.s(encodeHex(c.meta.config.encryption.key));
    for (const b of c.meta.config.backends) w.s(b.address + b.namespace + b.password);
    for (const g of c.groups) for (const b of g.backends) w.s(b.address + b.namespace + b.password);
    w.s(c.compression.algorithm);
  },
  validate(d) {
    if (d.config.minimal_shards > d.config.expected_shards) {
      return fieldError("config.minimal_shards", `minimal shards (${d.config.minimal_shards}) can't be greater than expected shards (${d.config.expected_shards})`);
    }
    return null;
  },
  capacity(d) {
    return { cru: 1n, mru: GiB, sru: d.cache, hru: 0n, ipv4u: 0n };
  },
};
