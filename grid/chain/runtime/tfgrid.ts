// TfgridModule: terms and conditions, twins, farms, nodes, uptime, public config, power state —
// with TFChain's checks, storage layout, events and error names (validation limits are the dev
// chain's own where TFChain's exact bounds are not documented; see docs/dev-chain.md).
import { bytesToString, Ctx } from "./context.ts";

const P = "TfgridModule";
export const FARM_VERSION = 4;
export const NODE_VERSION = 6;

// deno-lint-ignore no-explicit-any
type Any = any;

function hasSignedTc(ctx: Ctx, account: string): boolean {
  const list = ctx.get<unknown[]>(P, "UsersTermsAndConditions", account);
  return Array.isArray(list) && list.length > 0;
}

function checkLen(ctx: Ctx, s: string, min: number, max: number, short: string, long: string): void {
  if (s.length < min) ctx.fail(P, short);
  if (s.length > max) ctx.fail(P, long);
}

function validateRelay(ctx: Ctx, relay: string | null): void {
  if (relay === null) return;
  const s = bytesToString(relay);
  checkLen(ctx, s, 3, 512, "RelayTooShort", "RelayTooLong");
  // relay hosts joined with "_"; ":" and "/" are allowed so loopback test relays (ws:/127.0.0.1:PORT,
  // the string the official RMB client computes) can be registered.
  if (!/^[A-Za-z0-9._:/-]+$/.test(s)) ctx.fail(P, "InvalidRelay");
}

function userAcceptTc(ctx: Ctx, a: Any): void {
  const link = bytesToString(a.document_link);
  const hash = bytesToString(a.document_hash);
  checkLen(ctx, link, 1, 50, "DocumentLinkInputTooShort", "DocumentLinkInputTooLong");
  checkLen(ctx, hash, 1, 50, "DocumentHashInputTooShort", "DocumentHashInputTooLong");
  const list = ctx.get<Any[]>(P, "UsersTermsAndConditions", ctx.signer) ?? [];
  list.push({
    accountId: ctx.signer,
    timestamp: ctx.nowSecs(),
    documentLink: a.document_link,
    documentHash: a.document_hash,
  });
  ctx.put(P, "UsersTermsAndConditions", [ctx.signer], list);
}

function createTwin(ctx: Ctx, a: Any): void {
  if (!hasSignedTc(ctx, ctx.signer)) ctx.fail(P, "UserDidNotSignTermsAndConditions");
  if (ctx.has(P, "TwinIdByAccountID", ctx.signer)) ctx.fail(P, "TwinExists");
  validateRelay(ctx, a.relay);
  const id = (ctx.get<number>(P, "TwinID") ?? 0) + 1;
  const twin = { id, accountId: ctx.signer, relay: a.relay, entities: [], pk: a.pk };
  ctx.put(P, "TwinID", [], id);
  ctx.put(P, "Twins", [id], twin);
  ctx.put(P, "TwinIdByAccountID", [ctx.signer], id);
  ctx.deposit(P, "TwinStored", twin);
}

function updateTwin(ctx: Ctx, a: Any): void {
  const id = ctx.twinOf();
  const twin = ctx.get<Any>(P, "Twins", id);
  if (!twin) ctx.fail(P, "TwinNotExists");
  if (ctx.meta.registry.createType("AccountId32", twin.accountId).toHex() !== ctx.signer) {
    ctx.fail(P, "UnauthorizedToUpdateTwin");
  }
  validateRelay(ctx, a.relay);
  twin.relay = a.relay;
  twin.pk = a.pk;
  ctx.put(P, "Twins", [id], twin);
  ctx.deposit(P, "TwinUpdated", twin);
}

function validateFarmName(ctx: Ctx, name: string): void {
  checkLen(ctx, name, 1, 50, "FarmNameTooShort", "FarmNameTooLong");
  if (!/^[A-Za-z0-9_-]+$/.test(name)) ctx.fail(P, "InvalidFarmName");
}

/** A public IPv4 in CIDR form (`a.b.c.d/len`); the gateway a plain IPv4 inside that subnet. */
function validatePublicIp(ctx: Ctx, ip: string, gw: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(ip);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32 || Number(m[5]) < 1) {
    ctx.fail(P, "InvalidPublicIP");
  }
  const g = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(gw);
  if (!g || g.slice(1, 5).some((o) => Number(o) > 255)) ctx.fail(P, "InvalidGW4");
}

function createFarm(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf();
  const name = bytesToString(a.name);
  validateFarmName(ctx, name);
  if (ctx.has(P, "FarmIdByName", a.name)) ctx.fail(P, "FarmExists");
  const ips: Any[] = [];
  for (const p of a.public_ips as Any[]) {
    validatePublicIp(ctx, bytesToString(p.ip), bytesToString(p.gw));
    if (ips.some((x) => x.ip === p.ip)) ctx.fail(P, "IpExists");
    ips.push({ ip: p.ip, gateway: p.gw, contractId: 0 });
  }
  const id = (ctx.get<number>(P, "FarmID") ?? 0) + 1;
  const farm = {
    version: FARM_VERSION,
    id,
    name: a.name,
    twinId,
    pricingPolicyId: 1,
    certification: "NotCertified",
    publicIps: ips,
    dedicatedFarm: false,
    farmingPolicyLimits: null,
  };
  ctx.put(P, "FarmID", [], id);
  ctx.put(P, "Farms", [id], farm);
  ctx.put(P, "FarmIdByName", [a.name], id);
  ctx.deposit(P, "FarmStored", farm);
}

function addFarmIp(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf();
  const farm = ctx.get<Any>(P, "Farms", a.farm_id);
  if (!farm) ctx.fail(P, "FarmNotExists");
  if (farm.twinId !== twinId) ctx.fail(P, "CannotUpdateFarmWrongTwin");
  validatePublicIp(ctx, bytesToString(a.ip), bytesToString(a.gw));
  if ((farm.publicIps as Any[]).some((x) => x.ip === a.ip)) ctx.fail(P, "IpExists");
  farm.publicIps.push({ ip: a.ip, gateway: a.gw, contractId: 0 });
  ctx.put(P, "Farms", [farm.id], farm);
  ctx.deposit(P, "FarmUpdated", farm);
}

function validateNodeInput(ctx: Ctx, a: Any): void {
  const r = a.resources;
  if (!(Number(r.cru) > 0)) ctx.fail(P, "InvalidCRUInput");
  if (!(Number(r.mru) > 0)) ctx.fail(P, "InvalidMRUInput");
  const loc = a.location;
  const lat = bytesToString(loc.latitude);
  const lon = bytesToString(loc.longitude);
  checkLen(ctx, lat, 1, 50, "LatitudeInputTooShort", "LatitudeInputTooLong");
  checkLen(ctx, lon, 1, 50, "LongitudeInputTooShort", "LongitudeInputTooLong");
  if (!/^-?\d+(\.\d+)?$/.test(lat) || Math.abs(Number(lat)) > 90) ctx.fail(P, "InvalidLatitudeInput");
  if (!/^-?\d+(\.\d+)?$/.test(lon) || Math.abs(Number(lon)) > 180) ctx.fail(P, "InvalidLongitudeInput");
  const country = bytesToString(loc.country);
  const city = bytesToString(loc.city);
  checkLen(ctx, country, 1, 100, "CountryNameTooShort", "CountryNameTooLong");
  checkLen(ctx, city, 1, 100, "CityNameTooShort", "CityNameTooLong");
  for (const i of a.interfaces as Any[]) {
    const name = bytesToString(i.name);
    checkLen(ctx, name, 1, 20, "InterfaceNameTooShort", "InterfaceNameTooLong");
    const mac = bytesToString(i.mac);
    if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) ctx.fail(P, "InvalidMacAddress");
  }
  if (a.serial_number !== null) {
    const s = bytesToString(a.serial_number);
    checkLen(ctx, s, 1, 128, "SerialNumberTooShort", "SerialNumberTooLong");
  }
}

function createNode(ctx: Ctx, a: Any): void {
  const farm = ctx.get<Any>(P, "Farms", a.farm_id);
  if (!farm) ctx.fail(P, "FarmNotExists");
  const twinId = ctx.twinOf();
  if (ctx.has(P, "NodeIdByTwinID", twinId)) ctx.fail(P, "NodeWithTwinIdExists");
  validateNodeInput(ctx, a);
  const id = (ctx.get<number>(P, "NodeID") ?? 0) + 1;
  const node = {
    version: NODE_VERSION,
    id,
    farmId: a.farm_id,
    twinId,
    resources: a.resources,
    location: a.location,
    publicConfig: null,
    created: ctx.nowSecs(),
    farmingPolicyId: 1,
    interfaces: a.interfaces,
    certification: "Diy",
    secureBoot: a.secure_boot,
    virtualized: a.virtualized,
    serialNumber: a.serial_number,
    connectionPrice: ctx.get<number>(P, "ConnectionPrice") ?? 0,
  };
  ctx.put(P, "NodeID", [], id);
  ctx.put(P, "Nodes", [id], node);
  ctx.put(P, "NodeIdByTwinID", [twinId], id);
  const list = ctx.get<number[]>(P, "NodesByFarmID", a.farm_id) ?? [];
  list.push(id);
  ctx.put(P, "NodesByFarmID", [a.farm_id], list);
  ctx.deposit(P, "NodeStored", node);
}

function updateNode(ctx: Ctx, a: Any): void {
  const node = ctx.get<Any>(P, "Nodes", a.node_id);
  if (!node) ctx.fail(P, "NodeNotExists");
  const twinId = ctx.twinOf();
  if (node.twinId !== twinId) ctx.fail(P, "NodeUpdateNotAuthorized");
  if (!ctx.has(P, "Farms", a.farm_id)) ctx.fail(P, "FarmNotExists");
  validateNodeInput(ctx, a);
  if (node.farmId !== a.farm_id) {
    const old = (ctx.get<number[]>(P, "NodesByFarmID", node.farmId) ?? []).filter((n) => n !== node.id);
    ctx.put(P, "NodesByFarmID", [node.farmId], old);
    const neu = ctx.get<number[]>(P, "NodesByFarmID", a.farm_id) ?? [];
    neu.push(node.id);
    ctx.put(P, "NodesByFarmID", [a.farm_id], neu);
  }
  node.farmId = a.farm_id;
  node.resources = a.resources;
  node.location = a.location;
  node.interfaces = a.interfaces;
  node.secureBoot = a.secure_boot;
  // once the chain says "not virtualized" it stays so (TFChain keeps the first false)
  node.virtualized = node.virtualized && a.virtualized;
  node.serialNumber = a.serial_number;
  ctx.put(P, "Nodes", [node.id], node);
  ctx.deposit(P, "NodeUpdated", node);
}

function nodeOfSigner(ctx: Ctx): Any {
  const twinId = ctx.twinOf();
  const nodeId = ctx.get<number>(P, "NodeIdByTwinID", twinId);
  const node = nodeId ? ctx.get<Any>(P, "Nodes", nodeId) : null;
  if (!node) ctx.fail(P, "NodeNotExists");
  return node;
}

function reportUptimeV2(ctx: Ctx, a: Any): void {
  const node = nodeOfSigner(ctx);
  const now = ctx.nowSecs();
  const hint = Number(a.timestamp_hint);
  if (Math.abs(hint - now) > 60) ctx.fail(P, "InvalidTimestampHint");
  ctx.deposit(P, "NodeUptimeReported", node.id, now, a.uptime);
}

function reportUptime(ctx: Ctx): void {
  ctx.fail(P, "MethodIsDeprecated");
}

function addNodePublicConfig(ctx: Ctx, a: Any): void {
  const farm = ctx.get<Any>(P, "Farms", a.farm_id);
  if (!farm) ctx.fail(P, "FarmNotExists");
  const twinId = ctx.twinOf();
  if (farm.twinId !== twinId) ctx.fail(P, "CannotUpdateFarmWrongTwin");
  const node = ctx.get<Any>(P, "Nodes", a.node_id);
  if (!node) ctx.fail(P, "NodeNotExists");
  if (node.farmId !== a.farm_id) ctx.fail(P, "NodeUpdateNotAuthorized");
  const pc = a.public_config;
  if (pc) {
    validatePublicIp(ctx, bytesToString(pc.ip4.ip), bytesToString(pc.ip4.gw));
    if (pc.ip6) {
      if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(bytesToString(pc.ip6.ip))) ctx.fail(P, "InvalidIP6");
      if (!/^[0-9a-fA-F:]+$/.test(bytesToString(pc.ip6.gw))) ctx.fail(P, "InvalidGW6");
    }
    if (pc.domain && !/^[A-Za-z0-9.-]+$/.test(bytesToString(pc.domain))) ctx.fail(P, "InvalidDomain");
  }
  node.publicConfig = pc;
  ctx.put(P, "Nodes", [node.id], node);
  ctx.deposit(P, "NodePublicConfigStored", node.id, pc);
}

function changePowerState(ctx: Ctx, a: Any): void {
  const node = nodeOfSigner(ctx);
  const power = ctx.get<Any>(P, "NodePower", node.id);
  const up = a.power_state === "Up";
  const state = up ? { Up: null } : { Down: ctx.blockNumber };
  const wasUp = power.state && Object.prototype.hasOwnProperty.call(power.state, "up");
  if (wasUp === up) return;
  ctx.put(P, "NodePower", [node.id], { state, target: power.target === "Down" ? "Down" : "Up" });
  ctx.deposit(P, "PowerStateChanged", node.farmId, node.id, state);
}

export const tfgridCalls: Record<string, (ctx: Ctx, a: Any) => void> = {
  user_accept_tc: userAcceptTc,
  create_twin: createTwin,
  update_twin: updateTwin,
  create_farm: createFarm,
  add_farm_ip: addFarmIp,
  create_node: createNode,
  update_node: updateNode,
  report_uptime: reportUptime,
  report_uptime_v2: reportUptimeV2,
  add_node_public_config: addNodePublicConfig,
  change_power_state: changePowerState,
};
