// capabilities/rmb: the RMB wire format, its signatures and encryption, and the relay session (RmbPeer).
export * from "./envelope.ts";
export { challenge, signEnvelope, verifyEnvelope } from "./challenge.ts";
export { createJwt, type JwtClaims, JwtError, parseJwt, verifyJwt } from "./jwt.ts";
export {
  cryptoReady,
  type KeyType,
  miniSecretFromMnemonic,
  type Signer,
  signerFromMnemonic,
  signerFromSeed,
  signPrefixed,
  verifyPrefixed,
} from "./signer.ts";
export { E2eError, type E2eKey, e2eKeyFromSecret, open, seal } from "./e2e.ts";
export { CachedTwins, InMemoryTwins, type Twin, type TwinLookup } from "./twins.ts";
export { PeerErrorCode, RmbError, type RmbErrorOrigin } from "./errors.ts";
export { type Handler, type PeerStats, type RequestContext, RmbPeer, type RmbPeerOptions } from "./peer.ts";
export { BUSY_CODE } from "./peer.ts";
export { asRmbSigner, checkJwtClaims, MAX_JWT_TTL_S, type RmbSigner, rmbSignerFrom } from "./rmb-signer.ts";
export { type Admission, DEFAULT_REPLAY_LIMITS, ReplayCache, type ReplayLimits } from "./replay.ts";
export { FairGate, type FairGateOptions, type Release } from "./fair-gate.ts";
