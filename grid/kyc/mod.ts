// The dev grid's KYC service and the client environment that lets an unmodified official client
// reach it (see service.ts and client-env.ts).
export { kycHost, KYC_HOSTS, type KycStatus, type RunningKyc, startKyc } from "./service.ts";
export { writeClientEnv } from "./client-env.ts";
