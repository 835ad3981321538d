// Cap'n Proto RPC (level 1) for zos-ts. See README.md in this folder.
export { connect, Connection, type ConnectOptions, type ConnectionStats } from "./connection.ts";
export { Question } from "./question.ts";
export { newMessage } from "./wire.ts";
export { ImportClient, LocalRef, PipelinedClient } from "./clients.ts";
export { defaultFrameLimits, FrameError, type FrameLimits, FrameReader } from "./framing.ts";
export { memoryTransportPair } from "./memory.ts";
export { type Address, dial, listen, type Listener } from "./net.ts";
export { connectStdio, type SpawnedConnection, spawnConnected } from "./stdio.ts";
export {
  type AnyReadable,
  type AnyWritable,
  socketTransport,
  streamTransport,
  type Transport,
  type TransportSink,
} from "./transport.ts";
export { AnyStruct, type Answer, disconnectedError, FailedAnswer, FailedClient, type PipelineOp, RpcError, type RpcErrorType } from "./types.ts";
