// Typed calls over the kernel wire using the classes capnp-es generates from a schema: `invoke` encodes a
// method's params struct and decodes its results struct; `serve` turns an object of method implementations
// into a Cap that dispatches on (interfaceId, methodId) and refuses anything else.
import * as $ from "capnp-es";
import type { Cap, Payload } from "./peer.ts";
import { RpcError } from "./errors.ts";

// deno-lint-ignore no-explicit-any
type AnyMethod = $.Method<any, any>;
type StructCtor<T extends $.Struct> = $.StructCtor<T>;

export interface Reply<R> {
  results: R;
  caps: Cap[];
}

export function encodeStruct<T extends $.Struct>(ctor: StructCtor<T>, fill?: (s: T) => void): Uint8Array {
  const m = new $.Message();
  const s = m.initRoot(ctor);
  fill?.(s);
  return new Uint8Array(m.toArrayBuffer());
}

export function decodeStruct<T extends $.Struct>(ctor: StructCtor<T>, bytes: Uint8Array): T {
  if (!bytes.length) return new $.Message().initRoot(ctor);
  return new $.Message(bytes, false).getRoot(ctor);
}

export async function invoke<P extends $.Struct, R extends $.Struct>(
  cap: Cap,
  method: $.Method<P, R>,
  fill?: (p: P) => void,
  caps: Cap[] = [],
): Promise<Reply<R>> {
  const bytes = encodeStruct(method.ParamsClass, fill);
  const res = await cap.call(method.interfaceId, method.methodId, { bytes, caps });
  try {
    return { results: decodeStruct(method.ResultsClass, res.bytes), caps: res.caps };
  } catch (err) {
    throw new RpcError("failed", `undecodable results of ${method.methodName}: ${(err as Error).message}`);
  }
}

export interface CallContext {
  /** Capabilities that came with the params. */
  caps: Cap[];
  /** Capabilities to send back with the results. */
  resultCaps: Cap[];
}

// deno-lint-ignore no-explicit-any
export type MethodImpl = (params: any, results: any, ctx: CallContext) => Promise<void> | void;

export interface InterfaceClient {
  interfaceId: bigint;
  methods: readonly AnyMethod[];
}

/** A local capability implementing `iface` (a generated `X$Client` class) with `impl` (by method name). */
export function serve(iface: InterfaceClient, impl: Record<string, MethodImpl>, onRelease?: () => void): Cap {
  const table = new Map<number, { method: AnyMethod; fn: MethodImpl }>();
  for (const m of iface.methods) {
    const name = m.methodName ?? "";
    if (Object.hasOwn(impl, name)) table.set(m.methodId, { method: m, fn: impl[name] });
  }
  return {
    async call(interfaceId: bigint, methodId: number, params: Payload): Promise<Payload> {
      const entry = interfaceId === iface.interfaceId ? table.get(methodId) : undefined;
      if (!entry) {
        throw new RpcError("unimplemented", `method ${methodId} of interface 0x${interfaceId.toString(16)} is not served here`);
      }
      let p: $.Struct;
      try {
        p = decodeStruct(entry.method.ParamsClass, params.bytes);
      } catch (err) {
        throw new RpcError("failed", `malformed params for ${entry.method.methodName}: ${(err as Error).message}`);
      }
      const m = new $.Message();
      const r = m.initRoot(entry.method.ResultsClass);
      const ctx: CallContext = { caps: params.caps, resultCaps: [] };
      await entry.fn(p, r, ctx);
      return { bytes: new Uint8Array(m.toArrayBuffer()), caps: ctx.resultCaps };
    },
    release(): void {
      onRelease?.();
    },
  };
}
