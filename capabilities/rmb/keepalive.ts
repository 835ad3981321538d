// Keep-alive judgement that does not blame the other side for this process's own stall. A WebSocket's
// keep-alive drops a link silent for two periods; but a tick that runs much later than its period means
// this process was too busy to read what arrived meanwhile (a pong, a request or a reply sitting unread in
// the socket), and dropping the link then loses exactly that. The node-load bench saw it: 500 users and the
// relay in one busy process, every session dropped at once by the relay's keep-alive.

/** A tick this much later than its period says nothing about the peer. */
const LATE_FACTOR = 1.5;

export class KeepAliveClock {
  readonly periodMs: number;
  readonly #now: () => number;
  #last: number;

  constructor(periodMs: number, now: () => number = () => performance.now()) {
    this.periodMs = periodMs;
    this.#now = now;
    this.#last = now();
  }

  /** Call once per tick: true when it came on time, so silence since the last tick is the peer's. */
  onTime(): boolean {
    const now = this.#now();
    const onTime = now - this.#last <= this.periodMs * LATE_FACTOR;
    this.#last = now;
    return onTime;
  }
}
