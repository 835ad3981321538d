// Conversions from the chain's `toPrimitive` JSON (what both the chain driver library and the chain driver's
// capabilities return) to the registrar's types. Pure: shared by the kernel-hosted registrar
// (modules/node/registrar-chain.ts) and the in-process dev node (cli/commands/dev/registrar_chain.ts).
import type { ChainNode, ChainTwin } from "./ports.ts";

// deno-lint-ignore no-explicit-any
type Plain = any;

/** Option<Bytes> as toPrimitive gives it: text when printable, 0x-hex otherwise. */
export function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  if (/^0x([0-9a-f]{2})+$/i.test(s)) return new TextDecoder().decode(Uint8Array.from(s.slice(2).match(/../g)!, (x) => parseInt(x, 16)));
  return s;
}

/** A twin pk as 0x-hex of its bytes (toPrimitive gives printable bytes as text); empty → null. */
export function asHex(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  const s = String(v);
  if (/^0x[0-9a-f]*$/i.test(s)) return s.length > 2 ? s.toLowerCase() : null;
  return "0x" + Array.from(new TextEncoder().encode(s), (x) => x.toString(16).padStart(2, "0")).join("");
}

export function chainTwinFrom(id: number, t: Plain): ChainTwin | null {
  return t ? { id, relay: asText(t.relay), pk: asHex(t.pk) } : null;
}

export function chainNodeFrom(id: number, n: Plain): ChainNode | null {
  if (!n) return null;
  return {
    id,
    twinId: Number(n.twinId),
    farmId: Number(n.farmId),
    resources: { hru: Number(n.resources.hru), sru: Number(n.resources.sru), cru: Number(n.resources.cru), mru: Number(n.resources.mru) },
    location: {
      city: asText(n.location.city) ?? "",
      country: asText(n.location.country) ?? "",
      latitude: asText(n.location.latitude) ?? "",
      longitude: asText(n.location.longitude) ?? "",
    },
    interfaces: (n.interfaces ?? []).map((i: Plain) => ({
      name: asText(i.name) ?? "",
      mac: asText(i.mac) ?? "",
      ips: (i.ips ?? []).map((x: unknown) => asText(x) ?? ""),
    })),
    secureBoot: Boolean(n.secureBoot),
    virtualized: Boolean(n.virtualized),
    serialNumber: asText(n.serialNumber),
  };
}
