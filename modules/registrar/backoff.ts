// Exponential backoff with a ceiling (Zero-OS retries registration forever, at most 2 min apart).
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const REGISTRATION_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 120_000, factor: 2 };

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const n = Math.max(1, Math.floor(attempt));
  const d = policy.initialMs * Math.pow(policy.factor, n - 1);
  return Math.min(policy.maxMs, d);
}
