// Per-session token buckets: one for envelopes, one for bytes. A session over either budget gets
// an error envelope for that frame; it is not disconnected.
export interface RateLimits {
  /** sustained envelopes per second (burst = 2 s worth) */
  messagesPerSecond: number;
  /** sustained bytes per second (burst = 2 s worth) */
  bytesPerSecond: number;
  /** largest single envelope accepted for routing */
  maxEnvelopeBytes: number;
  /** connection attempts per second from one remote address (burst = 2 s worth); more get HTTP 429 */
  connectsPerSecondPerAddress: number;
  /** live sessions (distinct sids) one twin may hold; a new sid beyond this gets HTTP 429 */
  maxSessionsPerTwin: number;
}

export const DEFAULT_LIMITS: RateLimits = {
  messagesPerSecond: 1000,
  bytesPerSecond: 32 * 1024 * 1024,
  maxEnvelopeBytes: 1024 * 1024,
  connectsPerSecondPerAddress: 50,
  maxSessionsPerTwin: 64,
};

export class TokenBucket {
  private tokens: number;
  private last: number;
  private rate: number;
  private burst: number;

  constructor(ratePerSecond: number, burstSeconds = 2) {
    this.rate = ratePerSecond;
    this.burst = ratePerSecond * burstSeconds;
    this.tokens = this.burst;
    this.last = performance.now();
  }

  take(n: number): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}
