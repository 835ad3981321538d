// GatewayBackend over the granted `gateway` capability (capabilities/schema/gateway.capnp), re-acquired
// through the Session when the driver restarts.
import type { UseCap } from "../../node/caps.ts";
import { Gateway$Client } from "../../../capabilities/schema/gen/gateway.ts";
import type { GatewayBackend } from "./gateway.ts";

export function gatewayBackend(use: UseCap): GatewayBackend {
  return {
    setRoute: (route) => use(async (c) => JSON.parse((await new Gateway$Client(c).setRoute((p) => (p.json = JSON.stringify(route))).promise()).json)),
    deleteRoute: (id) => use(async (c) => (await new Gateway$Client(c).deleteRoute((p) => (p.id = id)).promise()).existed),
  };
}
