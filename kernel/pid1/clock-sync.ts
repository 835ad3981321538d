// The node's wall clock, kept at the grid's time. Zero-OS runs ntpd under zinit once the network is up, so
// a node's clock is right before it registers and stays right afterwards; the chain refuses uptime reports
// whose timestamp hint is more than 60 s off its block time (InvalidTimestampHint) and the relay's peers
// drop envelopes whose validity window the clock says is over. This node takes the time from the chain
// endpoint it already must reach (the HTTP `Date` of a JSON-RPC answer, as htpdate does; no NTP server is
// part of the grid it boots against) at boot, before the kernel registers anything, and again every minute:
// a clock that jumped (a guest under TCG, a dead RTC battery) is stepped back to the chain's time instead of
// failing every uptime report from then on.

export interface ClockReading {
  url: string;
  /** chain time minus local time, in ms (the `Date` header has 1 s resolution: ±(500 ms + half the round trip)) */
  offsetMs: number;
  rttMs: number;
}

export interface ClockSyncOptions {
  /** the node's substrate URLs (ws:// or wss://): tried in turn */
  urls: string[];
  /** step the clock when it is off by more than this (default 5 s: the chain tolerates 60 s) */
  stepAboveMs?: number;
  timeoutMs?: number;
  /** the local wall clock (Date.now) */
  now?: () => number;
  /** sets the wall clock (clock_settime(CLOCK_REALTIME) in the image) */
  setClock: (unixMs: number) => void;
}

export interface ClockSyncResult extends ClockReading {
  stepped: boolean;
}

/** The HTTP(S) URL a substrate WebSocket URL also answers JSON-RPC on. */
export function rpcHttpUrl(substrateUrl: string): string {
  const u = new URL(substrateUrl);
  if (u.protocol === "ws:") u.protocol = "http:";
  else if (u.protocol === "wss:") u.protocol = "https:";
  else if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`not a substrate URL: ${substrateUrl}`);
  return u.toString();
}

/**
 * The offset of the server's clock from ours: its `Date` (whole seconds, so the true time lies in the
 * second after it: +500 ms) against the middle of our request's round trip.
 */
export function offsetFromDate(dateHeader: string, sentMs: number, receivedMs: number): number {
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) throw new Error(`the answer's Date header is not a date: ${JSON.stringify(dateHeader)}`);
  return server + 500 - (sentMs + receivedMs) / 2;
}

/** One reading from one chain endpoint: a `system_chain` call over HTTP POST and its answer's `Date`. */
export async function readChainClock(url: string, timeoutMs = 5000, now: () => number = Date.now): Promise<ClockReading> {
  const http = rpcHttpUrl(url);
  const sent = now();
  const res = await fetch(http, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "system_chain", params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  const received = now();
  const date = res.headers.get("date");
  if (!date) throw new Error(`${http} answered without a Date header`);
  return { url, offsetMs: Math.round(offsetFromDate(date, sent, received)), rttMs: received - sent };
}

/** Reads the chain's time (first endpoint that answers) and steps the wall clock when it is off. */
export async function syncClock(o: ClockSyncOptions): Promise<ClockSyncResult> {
  const now = o.now ?? Date.now;
  const errors: string[] = [];
  for (const url of o.urls) {
    let r: ClockReading;
    try {
      r = await readChainClock(url, o.timeoutMs, now);
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
      continue;
    }
    const stepped = Math.abs(r.offsetMs) > (o.stepAboveMs ?? 5000);
    if (stepped) o.setClock(now() + r.offsetMs);
    return { ...r, stepped };
  }
  throw new Error(`no chain endpoint told the time: ${errors.join("; ") || "no substrate URL"}`);
}

/** "+461043.2 s" */
export function describeOffset(ms: number): string {
  return `${ms >= 0 ? "+" : "-"}${(Math.abs(ms) / 1000).toFixed(1)} s`;
}

/**
 * Keeps the clock: a sync every `intervalMs` (default 60 s), logging only steps and the first failure of a
 * run of failures. Returns a stop function.
 */
export function keepClock(o: ClockSyncOptions & { intervalMs?: number; log: (line: string) => void }): () => void {
  let failing = false;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const r = await syncClock(o);
      if (r.stepped) o.log(`zos-boot: clock: stepped ${describeOffset(r.offsetMs)} to the time of ${r.url}`);
      failing = false;
    } catch (err) {
      if (!failing) o.log(`zos-boot: clock: ${(err as Error).message} (kept as it is; retried every ${(o.intervalMs ?? 60_000) / 1000} s)`);
      failing = true;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs ?? 60_000);
  return () => clearInterval(timer);
}
