// "Retry until the chain answers": a substrate JSON-RPC call over WebSocket. Any JSON-RPC reply with
// our id (even an error object) proves the chain endpoint is reachable and speaking the protocol.

export interface ProbeResult {
  url: string;
  attempts: number;
  ms: number;
  answer: string;
}

/** One attempt: opens a WebSocket, sends `system_chain`, resolves with the reply's result/error text. */
export function probeOnce(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    let ws: WebSocket;
    const finish = (err: Error | null, v?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        ws?.close();
      } catch { /* already closed */ }
      if (err) reject(err);
      else resolve(v!);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      ws = new WebSocket(url);
    } catch (err) {
      finish(err as Error);
      return;
    }
    ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "system_chain", params: [] }));
    ws.onerror = (e) => finish(new Error(`cannot reach ${url}: ${(e as ErrorEvent).message ?? "connection failed"}`));
    ws.onclose = () => finish(new Error(`${url} closed the connection without answering`));
    ws.onmessage = (ev) => {
      try {
        const m = JSON.parse(String(ev.data));
        if (m?.id === 1) finish(null, m.result !== undefined ? JSON.stringify(m.result) : `error ${JSON.stringify(m.error)}`);
      } catch {
        finish(new Error(`${url} answered something that is not JSON-RPC`));
      }
    };
  });
}

/**
 * Tries each URL in turn with exponential backoff (capped at `maxDelayMs`) until one answers or
 * `deadlineMs` passes (0 = forever, as a node does). `onAttempt` sees every failure.
 */
export async function waitForChain(
  urls: string[],
  opts: { deadlineMs?: number; maxDelayMs?: number; attemptTimeoutMs?: number; onAttempt?: (url: string, err: string, attempt: number) => void } = {},
): Promise<ProbeResult> {
  if (!urls.length) throw new Error("no substrate URL to try");
  const t0 = performance.now();
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    const url = urls[(attempt - 1) % urls.length];
    try {
      const answer = await probeOnce(url, opts.attemptTimeoutMs ?? 5000);
      return { url, attempts: attempt, ms: Math.round(performance.now() - t0), answer };
    } catch (err) {
      opts.onAttempt?.(url, (err as Error).message, attempt);
    }
    if (opts.deadlineMs && performance.now() - t0 > opts.deadlineMs) {
      throw new Error(`the chain did not answer within ${opts.deadlineMs} ms (tried ${urls.join(", ")})`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(opts.maxDelayMs ?? 10_000, delay * 2);
  }
}
