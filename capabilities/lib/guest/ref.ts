// A granted reference that heals: when a call fails with `disconnected` (the provider crashed and the
// kernel revoked the reference), drop it, ask the Session again (the kernel waits for the restarted
// provider) and retry. Only `disconnected` is retried; other errors are the callee's answer.
import type * as $ from "capnp-es";
import { RpcError } from "../rpc/mod.ts";
import type { SessionHandle } from "./process.ts";

export class Ref<T> {
  private readonly session: SessionHandle;
  private readonly name: string;
  private readonly wrap: (cap: $.Client) => T;
  private current: Promise<T> | null = null;
  private readonly attempts: number;

  constructor(session: SessionHandle, name: string, wrap: (cap: $.Client) => T, attempts = 5) {
    this.session = session;
    this.name = name;
    this.wrap = wrap;
    this.attempts = attempts;
  }

  private acquire(): Promise<T> {
    if (!this.current) {
      this.current = this.session.get(this.name).then(this.wrap);
      this.current.catch(() => (this.current = null));
    }
    return this.current;
  }

  async use<R>(fn: (client: T) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(await this.acquire());
      } catch (err) {
        if (!(err instanceof RpcError) || err.type !== "disconnected" || attempt >= this.attempts) throw err;
        this.current = null;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }
}
