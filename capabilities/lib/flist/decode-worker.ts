// A worker of the materialiser's decode pool (decode-pool.ts): runs writeBlock (block-write.ts) for each
// block it is sent — the same checks and the same safe write as on the materialiser's thread.
import "../../../modules/node/no-env.ts"; // first: a sandboxed process's worker has no environment either
import { workerData } from "node:worker_threads";
import { BlockError, BlockScratch } from "./block.ts";
import { type BlockTask, writeBlock } from "./block-write.ts";

export type DecodeRequest = BlockTask & { n: number; data: Uint8Array };
/** n = -1: the worker has loaded (block.ts's WASM included) and takes requests */
export type DecodeReply = { n: number; error?: string; blockError?: boolean };

const scratch = new BlockScratch();
// every block comes through the web MessagePort the pool hands over in workerData (decode-pool.ts says why)
const port = (workerData as { port: MessagePort }).port;
port.onmessage = ({ data: t }: MessageEvent<DecodeRequest>) => {
  writeBlock(t, t.data, scratch).then(
    () => port.postMessage({ n: t.n } satisfies DecodeReply),
    (e) => port.postMessage({ n: t.n, error: (e as Error).message, blockError: e instanceof BlockError } satisfies DecodeReply),
  );
};
port.postMessage({ n: -1 } satisfies DecodeReply);
