// Small helpers over capnp-es messages for code that moves capabilities without generated accessors:
// a `:Capability` field is an AnyPointer holding an index into its message's cap table.
import * as $ from "capnp-es";
import { FailedClient } from "./mod.ts";

interface WithCapTable {
  _capnp: { capTable?: Array<$.Client | null> };
}

/** The cap table of a message (created empty when missing). */
export function capTableOf(msg: $.Message): Array<$.Client | null> {
  const c = (msg as unknown as WithCapTable)._capnp;
  if (!c.capTable) c.capTable = [];
  return c.capTable;
}

/** Stores `client` in the AnyPointer `ptr` (a `:Capability` field of a params or results struct). */
export function setCap(ptr: $.Pointer, client: $.Client): void {
  $.utils.setInterfacePointer(ptr.segment.message.addCap(client), ptr);
}

/** The client in the AnyPointer `ptr`, or a client whose calls fail when there is none. */
export function getCap(ptr: $.Pointer): $.Client {
  if ($.utils.isNull(ptr) || $.utils.getPointerType(ptr) !== $.PointerType.OTHER) {
    return new FailedClient(new Error("failed: no capability in the result"));
  }
  const id = $.utils.getInterfacePointer(ptr);
  return capTableOf(ptr.segment.message)[id] ?? new FailedClient(new Error("failed: capability index out of range"));
}

/** A call with its params as a struct (building them from `paramsFunc` when that is how it came). */
export function asDataCall<P extends $.Struct, R extends $.Struct>(call: $.Call<P, R>): { method: $.Method<P, R>; params: P } {
  if ($.isDataCall(call)) return { method: call.method, params: call.params };
  const params = new $.Message().initRoot(call.method.ParamsClass);
  call.paramsFunc?.(params);
  return { method: call.method, params };
}
