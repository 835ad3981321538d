// modules/registrar: puts the node on chain (account, T&C, twin, node) and keeps it there (uptime).
export { MIN_BALANCE, Registrar, RegistrationError, relayField, TERMS_HASH, TERMS_LINK, UNKNOWN_LOCATION } from "./registrar.ts";
export type { RegistrarOptions } from "./registrar.ts";
export { backoffDelay, REGISTRATION_BACKOFF } from "./backoff.ts";
export type { BackoffPolicy } from "./backoff.ts";
export type { RegistrationPhase, RegistrationState, RegistrationStep } from "./state.ts";
export type * from "./ports.ts";
