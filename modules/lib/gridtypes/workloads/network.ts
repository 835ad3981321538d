// `network` and `network-light` (zosbase pkg/gridtypes/zos/network.go, network_light.go).
import { arr, type Fields, fields, hexBytes, ipnet, ipnetOf, join, Occ, str, strArr, uint, optObj, U16 } from "../decode.ts";
import type { JsonValue } from "../json.ts";
import { goIPNetString, type GoIPNet } from "../ip.ts";
import { encodeHex } from "../hex.ts";
import { ChallengeWriter, fieldError, type TypeHandler } from "../handler.ts";
import { zeroCapacity } from "../types.ts";

export interface Peer {
  subnet: GoIPNet | null;
  wireguard_public_key: string;
  /** null entries (JSON null or "") print as <nil>. */
  allowed_ips: (GoIPNet | null)[];
  endpoint: string;
}

export interface Mycelium {
  hex_key: Uint8Array;
  peers: string[];
}

export interface NetworkData {
  ip_range: GoIPNet | null;
  subnet: GoIPNet | null;
  wireguard_private_key: string;
  wireguard_listen_port: number;
  peers: Peer[];
  mycelium: Mycelium | null;
}

function decodePeers(m: Fields | null, path: string): Peer[] {
  return arr(m, "peers", path).map((pv, i) => {
    const pp = join(join(path, "peers"), i);
    const f = fields(pv, pp);
    return {
      subnet: ipnet(f, "subnet", pp),
      wireguard_public_key: str(f, "wireguard_public_key", pp),
      allowed_ips: arr(f, "allowed_ips", pp).map((a, j) => ipnetOf(a, join(join(pp, "allowed_ips"), j))),
      endpoint: str(f, "endpoint", pp),
    };
  });
}

export function decodeMycelium(v: JsonValue | Occ, path: string): Mycelium {
  const f = fields(v, path);
  return { hex_key: hexBytes(f, "hex_key", path), peers: strArr(f, "peers", path) };
}

function decodeNetwork(v: JsonValue, path: string): NetworkData {
  const f = fields(v, path);
  const my = optObj(f, "mycelium");
  return {
    ip_range: ipnet(f, "ip_range", path),
    subnet: ipnet(f, "subnet", path),
    wireguard_private_key: str(f, "wireguard_private_key", path),
    wireguard_listen_port: uint(f, "wireguard_listen_port", path, U16),
    peers: decodePeers(f, path),
    mycelium: my === undefined ? null : decodeMycelium(my, join(path, "mycelium")),
  };
}

function challengePeers(d: NetworkData, w: ChallengeWriter): void {
  for (const p of d.peers) {
    w.s(p.wireguard_public_key);
    w.s(p.endpoint);
    w.s(goIPNetString(p.subnet));
    // a JSON null inside allowed_ips decodes to an empty IPNet, which prints <nil>
    for (const a of p.allowed_ips) w.s(goIPNetString(a));
  }
}

function challengeMycelium(m: Mycelium, w: ChallengeWriter): void {
  w.s(encodeHex(m.hex_key));
  for (const p of m.peers) w.s(p);
}

function validateMycelium(m: Mycelium): string | null {
  if (m.hex_key.length !== 32) return fieldError("mycelium.hex_key", `invalid mycelium key length ${m.hex_key.length}, expected 32 bytes`);
  if (m.peers.length !== 0) return fieldError("mycelium.peers", "user defined peers list is not supported right now");
  return null;
}

function validatePeers(d: NetworkData): string | null {
  for (let i = 0; i < d.peers.length; i++) {
    const p = d.peers[i];
    if (!p.subnet) return fieldError(`peers[${i}].subnet`, "peer wireguard subnet cannot be empty");
    if (p.allowed_ips.length === 0) return fieldError(`peers[${i}].allowed_ips`, "peer wireguard allowedIPs cannot be empty");
    if (p.wireguard_public_key === "") return fieldError(`peers[${i}].wireguard_public_key`, "peer wireguard public key cannot be empty");
  }
  return null;
}

export const networkHandler: TypeHandler<NetworkData> = {
  decode: decodeNetwork,
  challenge(d, w) {
    w.s(goIPNetString(d.ip_range));
    w.s(goIPNetString(d.subnet));
    w.s(d.wireguard_private_key);
    w.n(d.wireguard_listen_port);
    challengePeers(d, w);
    if (d.mycelium) challengeMycelium(d.mycelium, w);
  },
  validate(d) {
    if (!d.ip_range) return fieldError("ip_range", "network IP range cannot be empty");
    if (!d.subnet) return fieldError("subnet", "network resource subnet cannot be empty");
    if (d.wireguard_private_key === "") return fieldError("wireguard_private_key", "network resource wireguard private key cannot be empty");
    const pe = validatePeers(d);
    if (pe) return pe;
    if (d.mycelium) return validateMycelium(d.mycelium);
    return null;
  },
  capacity: () => zeroCapacity(),
};

export const networkLightHandler: TypeHandler<NetworkData> = {
  decode(v, path) {
    const d = decodeNetwork(v, path);
    // mycelium is a value (not a pointer) on network-light: absent = zero key, always hashed
    if (!d.mycelium) d.mycelium = { hex_key: new Uint8Array(0), peers: [] };
    return d;
  },
  challenge(d, w) {
    w.s(goIPNetString(d.ip_range));
    w.s(goIPNetString(d.subnet));
    w.s(d.wireguard_private_key);
    w.n(d.wireguard_listen_port);
    challengePeers(d, w);
    challengeMycelium(d.mycelium!, w);
  },
  validate(d) {
    if (!d.subnet) return fieldError("subnet", "network resource subnet cannot be empty");
    const pe = validatePeers(d);
    if (pe) return pe;
    return validateMycelium(d.mycelium!);
  },
  capacity: () => zeroCapacity(),
};

/**
 * The official TS client (grid_client 2.9.2) hashes a network-light without wireguard_listen_port
 * as "" where the node writes "0". This renders the client's variant so a signature over either
 * is accepted (issue requirement); returns null when the data has a port (no second rendering).
 */
export function networkLightClientVariant(v: JsonValue, path: string): ((w: ChallengeWriter) => void) | null {
  const d = networkLightHandler.decode(v, path);
  if (d.wireguard_listen_port !== 0) return null;
  // the client writes `value || ""`: a 0 port and an absent ip_range become empty text
  return (w) => {
    w.s(d.ip_range ? goIPNetString(d.ip_range) : "");
    w.s(goIPNetString(d.subnet));
    w.s(d.wireguard_private_key);
    challengePeers(d, w);
    challengeMycelium(d.mycelium!, w);
  };
}

