// Typed wrappers over the kernel.capnp interfaces for code running in drivers and modules (and tests).
// Each takes a Cap from Session.get and turns calls into plain async functions.
import {
  Clock$Client, Counter$Client, Echo$Client, Greeter$Client, Kv$Client, Log$Client,
} from "../../capabilities/schema/gen/kernel.ts";
import type { Cap } from "../wire/peer.ts";
import { invoke } from "../wire/typed.ts";

export class KvClient {
  readonly cap: Cap;
  constructor(cap: Cap) {
    this.cap = cap;
  }
  async get(key: string): Promise<Uint8Array | null> {
    const { results } = await invoke(this.cap, Kv$Client.methods[0], (p) => (p.key = key));
    return results.found ? new Uint8Array(results.value.toUint8Array()) : null;
  }
  async getText(key: string): Promise<string | null> {
    const v = await this.get(key);
    return v === null ? null : new TextDecoder().decode(v);
  }
  async put(key: string, value: Uint8Array | string): Promise<void> {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
    await invoke(this.cap, Kv$Client.methods[1], (p) => {
      p.key = key;
      p._initValue(bytes.length).copyBuffer(bytes);
    });
  }
  async delete(key: string): Promise<boolean> {
    const { results } = await invoke(this.cap, Kv$Client.methods[2], (p) => (p.key = key));
    return results.existed;
  }
  async list(prefix = ""): Promise<string[]> {
    const { results } = await invoke(this.cap, Kv$Client.methods[3], (p) => (p.prefix = prefix));
    return results.keys.toArray();
  }
}

export class LogClient {
  readonly cap: Cap;
  constructor(cap: Cap) {
    this.cap = cap;
  }
  async write(level: "debug" | "info" | "warn" | "error", message: string): Promise<void> {
    await invoke(this.cap, Log$Client.methods[0], (p) => {
      p.level = level;
      p.message = message;
    });
  }
  info(message: string): Promise<void> {
    return this.write("info", message);
  }
}

export class ClockClient {
  readonly cap: Cap;
  constructor(cap: Cap) {
    this.cap = cap;
  }
  async now(): Promise<{ unixMs: number; monotonicMs: number }> {
    const { results } = await invoke(this.cap, Clock$Client.methods[0]);
    return { unixMs: results.unixMs, monotonicMs: results.monotonicMs };
  }
}

export class CounterClient {
  readonly cap: Cap;
  constructor(cap: Cap) {
    this.cap = cap;
  }
  async increment(by = 1): Promise<number> {
    const { results } = await invoke(this.cap, Counter$Client.methods[0], (p) => (p.by = BigInt(by)));
    return Number(results.value);
  }
  async get(): Promise<number> {
    const { results } = await invoke(this.cap, Counter$Client.methods[1]);
    return Number(results.value);
  }
}

export class GreeterClient {
  readonly cap: Cap;
  constructor(cap: Cap) {
    this.cap = cap;
  }
  async greet(name: string): Promise<string> {
    const { results } = await invoke(this.cap, Greeter$Client.methods[0], (p) => (p.name = name));
    return results.message;
  }
}

export class EchoClient {
  readonly cap: Cap;
  constructor(cap: Cap) {
    this.cap = cap;
  }
  async echo(data: Uint8Array): Promise<Uint8Array> {
    const { results } = await invoke(this.cap, Echo$Client.methods[0], (p) => p._initData(data.length).copyBuffer(data));
    return new Uint8Array(results.data.toUint8Array());
  }
}
