// `zmachine` and `zmachine-light` (zosbase zmachine.go, zmachine_light.go, zmachine_utils.go).
import { arr, bool, fields, hexBytes, ip, join, obj, optObj, str, strArr, strMap, u64, uint, U8 } from "../decode.ts";
import type { JsonValue } from "../json.ts";
import { goIPString, type GoIP } from "../ip.ts";
import { encodeHex } from "../hex.ts";
import { ChallengeWriter, fieldError, type TypeHandler, type WorkloadGetter } from "../handler.ts";
import { GiB, MiB } from "../types.ts";
import { parseJson } from "../json.ts";

export interface MachineInterface {
  network: string;
  ip: GoIP | null;
}

export interface MyceliumIP {
  network: string;
  hex_seed: Uint8Array;
}

export interface ZMachineData {
  flist: string;
  network: {
    public_ip: string;
    planetary: boolean;
    mycelium: MyceliumIP | null;
    interfaces: MachineInterface[];
  };
  size: bigint;
  compute_capacity: { cpu: number; memory: bigint };
  mounts: { name: string; mountpoint: string }[];
  entrypoint: string;
  env: Map<string, string>;
  corex: boolean;
  gpu: string[];
}

function decode(v: JsonValue, path: string, light = false): ZMachineData {
  const f = fields(v, path);
  const np = join(path, "network");
  const nf = fields(obj(f, "network"), np);
  const my = optObj(nf, "mycelium");
  let mycelium: MyceliumIP | null = null;
  if (my !== undefined) {
    const mp = join(np, "mycelium");
    const mf = fields(my, mp);
    // MyceliumIP.Network has no JSON tag: Go matches the key "Network" case-insensitively
    mycelium = { network: str(mf, "network", mp), hex_seed: hexBytes(mf, "hex_seed", mp) };
  }
  const cp = join(path, "compute_capacity");
  const cf = fields(obj(f, "compute_capacity"), cp);
  return {
    flist: str(f, "flist", path),
    network: {
      // the light network struct has no public_ip/planetary: Go ignores those keys there
      public_ip: light ? "" : str(nf, "public_ip", np),
      planetary: light ? false : bool(nf, "planetary", np),
      mycelium,
      interfaces: arr(nf, "interfaces", np).map((iv, i) => {
        const ip_ = join(join(np, "interfaces"), i);
        const x = fields(iv, ip_);
        return { network: str(x, "network", ip_), ip: ip(x, "ip", ip_) };
      }),
    },
    size: u64(f, "size", path),
    compute_capacity: { cpu: uint(cf, "cpu", cp, U8), memory: u64(cf, "memory", cp) },
    mounts: arr(f, "mounts", path).map((mv, i) => {
      const mp = join(join(path, "mounts"), i);
      const x = fields(mv, mp);
      return { name: str(x, "name", mp), mountpoint: str(x, "mountpoint", mp) };
    }),
    entrypoint: str(f, "entrypoint", path),
    env: strMap(f, "env", path),
    corex: bool(f, "corex", path),
    gpu: strArr(f, "gpu", path),
  };
}

const utf8 = new TextEncoder();

/** Go sort.Strings order: bytewise on UTF-8 (= code point order, unlike JS's UTF-16 sort). */
function byteCompare(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function challengeTail(d: ZMachineData, w: ChallengeWriter): void {
  w.n(d.size);
  w.n(d.compute_capacity.cpu);
  w.n(d.compute_capacity.memory);
  for (const m of d.mounts) {
    w.s(m.name);
    w.s(m.mountpoint);
  }
  w.s(d.entrypoint);
  const keys = [...d.env.keys()];
  if (keys.every(isAscii)) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  else keys.sort(byteCompare);
  for (const k of keys) w.s(`${k}=${d.env.get(k)}`);
  for (const g of d.gpu) w.s(g);
}

function challengeInterfaces(d: ZMachineData, w: ChallengeWriter): void {
  for (const i of d.network.interfaces) {
    w.s(i.network);
    w.s(goIPString(i.ip));
  }
  if (d.network.mycelium) {
    w.s(d.network.mycelium.network);
    w.s(encodeHex(d.network.mycelium.hex_seed));
  }
}

export function minRootSize(d: ZMachineData): bigint {
  const cu = (BigInt(d.compute_capacity.cpu) * d.compute_capacity.memory) / (8n * GiB);
  return cu === 0n ? 500n * MiB : 2n * GiB;
}

function validateCommon(d: ZMachineData): string | null {
  if (d.network.interfaces.length !== 1) {
    return fieldError("network.interfaces", `only one private network interface is supported, got ${d.network.interfaces.length}`);
  }
  if (!d.network.interfaces[0].ip) return fieldError("network.interfaces[0].ip", "invalid IP: it is empty");
  if (d.compute_capacity.cpu === 0) return fieldError("compute_capacity.cpu", "cpu capacity can't be 0");
  if (d.compute_capacity.memory < 250n * MiB) {
    return fieldError("compute_capacity.memory", `mem capacity can't be less than 250M (got ${d.compute_capacity.memory} bytes)`);
  }
  const min = minRootSize(d);
  if (d.size !== 0n && d.size < min) return fieldError("size", `disk size can't be less than ${min}. Set to 0 for minimum`);
  return null;
}

function validateTail(d: ZMachineData): string | null {
  for (const [i, ifc] of d.network.interfaces.entries()) {
    if (ifc.network === "ygg" || ifc.network === "pub" || ifc.network === "mycelium") {
      return fieldError(`network.interfaces[${i}].network`, `'${ifc.network}' is reserved network name`);
    }
  }
  const my = d.network.mycelium;
  if (my && my.hex_seed.length !== 6) {
    return fieldError("network.mycelium.hex_seed", `invalid mycelium seed length ${my.hex_seed.length}, expected 6 bytes`);
  }
  return null;
}

function publicIpName(data: JsonValue | undefined): string | null {
  try {
    const f = fields(data ?? null, "");
    return str(fields(obj(f, "network"), "network"), "public_ip", "");
  } catch {
    return null;
  }
}

function validatePublicIp(d: ZMachineData, getter: WorkloadGetter): string | null {
  const name = d.network.public_ip;
  if (name === "") return null;
  const wl = getter.get(name);
  if (!wl) return fieldError("network.public_ip", `public ip workload '${name}' is not found in this deployment`);
  if (wl.type !== "ip" && wl.type !== "ipv4") return fieldError("network.public_ip", `workload of name '${name}' is not a public ip`);
  let count = 0;
  for (const vm of getter.byType("zmachine")) if (publicIpName(vm.data) === name) count++;
  if (count > 1) return fieldError("network.public_ip", `public ip '${name}' is assigned to multiple vms`);
  return null;
}

export const zmachineHandler: TypeHandler<ZMachineData> = {
  decode,
  challenge(d, w) {
    w.s(d.flist);
    w.s(d.network.public_ip);
    w.b(d.network.planetary);
    challengeInterfaces(d, w);
    challengeTail(d, w);
  },
  validate(d, getter) {
    return validateCommon(d) ?? validatePublicIp(d, getter) ?? validateTail(d);
  },
  capacity(d) {
    const min = minRootSize(d);
    return { cru: BigInt(d.compute_capacity.cpu), mru: d.compute_capacity.memory, sru: d.size > min ? d.size : min, hru: 0n, ipv4u: 0n };
  },
};

export const zmachineLightHandler: TypeHandler<ZMachineData> = {
  decode: (v, path) => decode(v, path, true),
  challenge(d, w) {
    w.s(d.flist);
    challengeInterfaces(d, w);
    challengeTail(d, w);
  },
  validate(d) {
    return validateCommon(d) ?? validateTail(d);
  },
  capacity: zmachineHandler.capacity,
};

void parseJson;
