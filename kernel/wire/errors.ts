// Errors that cross the wire. `type` is what callers branch on: "disconnected" means the reference is dead
// (revoked, its provider crashed, or it was released) and must be re-acquired through Session.get.
export type RpcErrorType = "disconnected" | "failed" | "denied" | "overloaded" | "unimplemented";

const TYPES: ReadonlySet<string> = new Set(["disconnected", "failed", "denied", "overloaded", "unimplemented"]);

export class RpcError extends Error {
  readonly type: RpcErrorType;
  constructor(type: RpcErrorType, reason: string) {
    super(`${type}: ${reason}`);
    this.name = "RpcError";
    this.type = type;
  }
  get reason(): string {
    return this.message.slice(this.type.length + 2);
  }
}

export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new RpcError("failed", msg);
}

export function parseErrorType(t: string): RpcErrorType {
  return (TYPES.has(t) ? t : "failed") as RpcErrorType;
}
