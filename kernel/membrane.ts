// The membrane: every reference the kernel hands to a process is wrapped here. It counts calls per grant,
// checks the granted interface, and can be revoked at once together with every capability that flowed
// through it in either direction (params and results are wrapped transitively with the same revoker).
import { RpcError } from "./wire/errors.ts";
import type { Cap, Payload } from "./wire/peer.ts";

export interface GrantCounters {
  calls: number;
  errors: number;
}

export class Revoker {
  revoked = false;
  reason = "";
  revoke(reason: string): void {
    if (this.revoked) return;
    this.revoked = true;
    this.reason = reason;
  }
}

export interface MembraneOptions {
  label: string;
  revoker: Revoker;
  counters: GrantCounters;
  /** When set, only calls on this interface pass (the top-level granted reference). */
  interfaceId?: bigint;
  interfaceName?: string;
  /** Release the wrapped reference when this one is released (true for caps that flowed through). */
  ownsInner: boolean;
}

export class MembraneCap implements Cap {
  private readonly inner: Cap;
  private readonly opts: MembraneOptions;
  private released = false;

  constructor(inner: Cap, opts: MembraneOptions) {
    this.inner = inner;
    this.opts = opts;
  }

  get isReleased(): boolean {
    return this.released;
  }

  private dead(): RpcError | null {
    if (this.opts.revoker.revoked) return new RpcError("disconnected", `${this.opts.label} was revoked (${this.opts.revoker.reason}); ask your Session again`);
    if (this.released) return new RpcError("disconnected", `${this.opts.label} was released`);
    return null;
  }

  private wrap(cap: Cap): Cap {
    return new MembraneCap(cap, { label: `${this.opts.label} (passed capability)`, revoker: this.opts.revoker, counters: this.opts.counters, ownsInner: true });
  }

  async call(interfaceId: bigint, methodId: number, params: Payload): Promise<Payload> {
    const d = this.dead();
    if (d) throw d;
    if (this.opts.interfaceId !== undefined && interfaceId !== this.opts.interfaceId) {
      throw new RpcError("denied", `${this.opts.label} is a ${this.opts.interfaceName ?? "different interface"}; calls on interface 0x${interfaceId.toString(16)} are refused`);
    }
    this.opts.counters.calls++;
    let res: Payload;
    try {
      res = await this.inner.call(interfaceId, methodId, { bytes: params.bytes, caps: params.caps.map((c) => this.wrap(c)) });
    } catch (err) {
      this.opts.counters.errors++;
      const d2 = this.dead();
      if (d2) throw d2;
      throw err;
    }
    const d3 = this.dead();
    if (d3) {
      for (const c of res.caps) c.release();
      throw d3;
    }
    return { bytes: res.bytes, caps: res.caps.map((c) => this.wrap(c)) };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.opts.ownsInner) this.inner.release();
  }
}
