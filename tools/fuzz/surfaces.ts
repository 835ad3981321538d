// Every fuzzed surface, by name (the order `npm run fuzz` runs them in).
import type { Surface } from "./harness.ts";
import { capnpSurface } from "./surfaces/capnp.ts";
import { cloudInitSurface } from "./surfaces/cloudinit.ts";
import { chainSurface } from "./surfaces/chain.ts";
import { gatewaySurface } from "./surfaces/gateway.ts";
import { hubSurface } from "./surfaces/hub.ts";
import { nodeRmbSurface, relaySurface } from "./surfaces/rmb.ts";
import { respSurface } from "./surfaces/resp.ts";

export const SURFACES: Surface[] = [relaySurface, nodeRmbSurface, chainSurface, capnpSurface, respSurface, hubSurface, gatewaySurface, cloudInitSurface];
