// An in-process transport pair (bytes still go through framing and serialization): for tests and for
// connecting two components living in one process.
import type { Transport, TransportSink } from "./transport.ts";

export function memoryTransportPair(): [Transport, Transport] {
  const sinks: Array<TransportSink | null> = [null, null];
  const pending: Uint8Array[][] = [[], []];
  const closed = [false, false];
  function deliver(to: number, bytes: Uint8Array): void {
    const s = sinks[to];
    if (s) queueMicrotask(() => !closed[to] && s.data(bytes));
    else pending[to].push(bytes);
  }
  function end(i: number): void {
    if (closed[i]) return;
    closed[i] = true;
    const s = sinks[i];
    if (s) queueMicrotask(() => s.end());
  }
  function side(me: number): Transport {
    const other = 1 - me;
    return {
      start(sink: TransportSink): void {
        sinks[me] = sink;
        for (const b of pending[me].splice(0)) deliver(me, b);
      },
      write(bytes: Uint8Array): void {
        if (!closed[me] && !closed[other]) deliver(other, bytes.slice());
      },
      close(): void {
        end(me);
        end(other);
      },
    };
  }
  return [side(0), side(1)];
}
