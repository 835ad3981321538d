// Envelopes that differ from each other in one part of the signing challenge at a time (spec/RMB.md §4),
// for known-answer tests. Run directly, it prints each one's challenge as the official
// @threefold/rmb_direct_client 2.9.2 computes it, the answers kept in challenge.test.ts:
//   node_modules/deno/deno run -A --no-lock capabilities/rmb/challenge-cases.test-helper.ts
import type { Envelope } from "./envelope.ts";

const enc = new TextEncoder();

const base: Envelope = {
  uid: "6f1c7c3e-0000-4000-8000-000000000001",
  timestamp: 1_763_000_000,
  expiration: 300,
  source: { twin: 17, connection: "abcdefghij" },
  destination: { twin: 4_000_000_000 },
  message: { kind: "request", command: "zos.deployment.get" },
  schema: "application/json",
  federation: "relay.example",
  plain: enc.encode('{"contract_id":9}'),
  relays: ["r1.example", "r2.example"],
};

export const CASES: Record<string, Envelope> = {
  "request": base,
  "with tags": { ...base, tags: "fail-fast" },
  // (no case without a schema: the official ClientEnvelope always sets "application/json")
  "no federation": { ...base, federation: undefined },
  "cipher instead of plain": { ...base, plain: undefined, cipher: new Uint8Array([4, 5, 6]) },
  "empty plain, cipher": { ...base, plain: new Uint8Array(0), cipher: new Uint8Array([7]) },
  "no relays": { ...base, relays: [] },
  "response": { ...base, message: { kind: "response" } },
  "error": { ...base, message: { kind: "error", code: 404, message: "function is not found" } },
  "destination session, source without one": { ...base, source: { twin: 3 }, destination: { twin: 4, connection: "c" } },
  "no payload": { ...base, plain: undefined },
  "other timestamp": { ...base, timestamp: 1_763_000_001, expiration: 30 },
};

if (import.meta.main) {
  const { encodeEnvelope } = await import("./envelope.ts");
  const { OfficialClientEnvelope, officialTypes } = await import("./official-sdk.test-helper.ts");
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  for (const [name, e] of Object.entries(CASES)) {
    // an empty payload is no payload on the wire (protobuf drops it); the challenge must treat it the same
    const wire = e.plain && !e.plain.length ? { ...e, plain: undefined } : e;
    const official = new OfficialClientEnvelope(null, officialTypes.Envelope.deserializeBinary(encodeEnvelope(wire)), "", null, new Map());
    console.log(`  ${JSON.stringify(name)}: "${hex(official.challenge())}",`);
  }
}
