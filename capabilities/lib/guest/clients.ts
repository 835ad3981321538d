// Plain async wrappers over the generated clients of kernel.capnp, for drivers, modules and tests.
// Each takes a capability (a `$.Client` from Session.get) and hides params/results plumbing.
import type * as $ from "capnp-es";
import {
  Clock$Client, Counter$Client, Echo$Client, Greeter$Client, Kv$Client, Log$Client,
} from "../../schema/gen/kernel.ts";

export class KvClient {
  readonly cap: $.Client;
  private readonly c: Kv$Client;
  constructor(cap: $.Client) {
    this.cap = cap;
    this.c = new Kv$Client(cap);
  }
  async get(key: string): Promise<Uint8Array | null> {
    const r = await this.c.get((p) => (p.key = key)).promise();
    return r.found ? new Uint8Array(r.value.toUint8Array()) : null;
  }
  async getText(key: string): Promise<string | null> {
    const v = await this.get(key);
    return v === null ? null : new TextDecoder().decode(v);
  }
  async put(key: string, value: Uint8Array | string): Promise<void> {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
    await this.c.put((p) => {
      p.key = key;
      p._initValue(bytes.length).copyBuffer(bytes);
    }).promise();
  }
  async delete(key: string): Promise<boolean> {
    return (await this.c.delete((p) => (p.key = key)).promise()).existed;
  }
  async list(prefix = ""): Promise<string[]> {
    return (await this.c.list((p) => (p.prefix = prefix)).promise()).keys.toArray();
  }
}

export class LogClient {
  readonly cap: $.Client;
  private readonly c: Log$Client;
  constructor(cap: $.Client) {
    this.cap = cap;
    this.c = new Log$Client(cap);
  }
  async write(level: "debug" | "info" | "warn" | "error", message: string): Promise<void> {
    await this.c.write((p) => {
      p.level = level;
      p.message = message;
    }).promise();
  }
  info(message: string): Promise<void> {
    return this.write("info", message);
  }
}

export class ClockClient {
  private readonly c: Clock$Client;
  constructor(cap: $.Client) {
    this.c = new Clock$Client(cap);
  }
  async now(): Promise<{ unixMs: number; monotonicMs: number }> {
    const r = await this.c.now().promise();
    return { unixMs: r.unixMs, monotonicMs: r.monotonicMs };
  }
}

export class CounterClient {
  private readonly c: Counter$Client;
  constructor(cap: $.Client) {
    this.c = new Counter$Client(cap);
  }
  async increment(by = 1): Promise<number> {
    return Number((await this.c.increment((p) => (p.by = BigInt(by))).promise()).value);
  }
  async get(): Promise<number> {
    return Number((await this.c.get().promise()).value);
  }
}

export class GreeterClient {
  private readonly c: Greeter$Client;
  constructor(cap: $.Client) {
    this.c = new Greeter$Client(cap);
  }
  async greet(name: string): Promise<string> {
    return (await this.c.greet((p) => (p.name = name)).promise()).message;
  }
}

export class EchoClient {
  private readonly c: Echo$Client;
  constructor(cap: $.Client) {
    this.c = new Echo$Client(cap);
  }
  async echo(data: Uint8Array): Promise<Uint8Array> {
    const r = await this.c.echo((p) => p._initData(data.length).copyBuffer(data)).promise();
    return new Uint8Array(r.data.toUint8Array());
  }
}
