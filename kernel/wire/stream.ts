// Binds a Peer to a pair of node streams (a child's stdio seen from the kernel, or process.stdin/stdout
// seen from inside the child).
import type { Readable, Writable } from "node:stream";
import { Peer, type Cap, type PeerOptions } from "./peer.ts";

export function peerOverStreams(input: Readable, output: Writable, bootstrap: Cap | null, opts: PeerOptions = {}): Peer {
  let peer: Peer | null = null;
  const transport = {
    send(bytes: Uint8Array): void {
      if (!output.writableEnded && !output.destroyed) output.write(bytes);
    },
    close(): void {
      try {
        output.end();
      } catch { /* gone */ }
      input.removeAllListeners("data");
      input.pause();
      // deno-lint-ignore no-explicit-any
      (input as any).destroy?.();
    },
  };
  peer = new Peer(transport, bootstrap, opts);
  const p = peer;
  input.on("data", (chunk: Uint8Array) => p.receive(chunk));
  input.on("end", () => p.close("end of stream"));
  input.on("error", (err: Error) => p.close(`stream error: ${err.message}`));
  output.on("error", (err: Error) => p.close(`stream error: ${err.message}`));
  return peer;
}
