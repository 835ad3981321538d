// Errors a caller of RmbPeer can tell apart: the remote handler said no, the relay could not route,
// the reply did not come in time, or the reply failed verification.
export type RmbErrorOrigin = "remote" | "relay" | "timeout" | "invalid-reply" | "local";

export class RmbError extends Error {
  readonly code: number;
  readonly origin: RmbErrorOrigin;
  constructor(origin: RmbErrorOrigin, code: number, message: string) {
    super(message);
    this.name = "RmbError";
    this.origin = origin;
    this.code = code;
  }
}

/** Error codes a peer sends back when it cannot process a request (same numbers as rmb-peer). */
export const PeerErrorCode = {
  /** zos/Go router style: handler errors and unknown commands */
  handler: 0,
  invalidMessage: 100,
  invalidPayload: 101,
  expired: 102,
  unknownTwin: 103,
  badSignature: 104,
  senderHasNoPk: 105,
  crypto: 106,
  other: 500,
} as const;
