// Loads @threefold/grid_client 2.9.2 (CommonJS build, after reflect-metadata, no network) and
// builds signed deployments of every workload type with its own builders and zos classes.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

// deno-lint-ignore no-explicit-any
type Any = any;

export interface Signer {
  twin: number;
  secret: string;
  type: "ed25519" | "sr25519";
}

export interface Sdk {
  gc: Any;
  QSFSPrimitive: Any;
  publicKey(s: Signer): Promise<Uint8Array>;
}

let sdk: Sdk | null = null;

export async function loadSdk(): Promise<Sdk> {
  if (sdk) return sdk;
  // grid_client pulls two @polkadot versions and warns about it on stderr; that is expected here
  const warn = console.warn;
  console.warn = () => {};
  try {
    require("reflect-metadata");
    const gc = require("@threefold/grid_client");
    const root = dirname(require.resolve("@threefold/grid_client"));
    const QSFSPrimitive = require(join(root, "primitives/qsfs.js")).QSFSPrimitive;
    const { Keyring } = require("@polkadot/keyring");
    const { cryptoWaitReady } = require("@polkadot/util-crypto");
    await cryptoWaitReady();
    sdk = {
      gc,
      QSFSPrimitive,
      publicKey(s) {
        return Promise.resolve(new Keyring({ type: s.type }).addFromUri(s.secret).publicKey as Uint8Array);
      },
    };
    return sdk;
  } finally {
    console.warn = warn;
  }
}

function wl(gc: Any, type: string, name: string, data: Any, metadata = "", description = ""): Any {
  const w = new gc.Workload();
  w.version = 0;
  w.name = name;
  w.type = type;
  w.data = data;
  w.metadata = metadata;
  w.description = description;
  return w;
}

/** A full VM deployment: network, zmount, volume, ip, zmachine (mounts, env, mycelium, gpu), zlogs. */
export function vmDeployment(s: Sdk, twin: number): Any {
  const gc = s.gc;
  const znet = new gc.Znet();
  znet.subnet = "10.20.2.0/24";
  znet.ip_range = "10.20.0.0/16";
  znet.wireguard_private_key = "CGKI1m+OXaB429P1KOiDlHnc6gJmDG6t7ODQR3c4N6Q=";
  znet.wireguard_listen_port = 3090;
  const peer = new gc.Peer();
  peer.subnet = "10.20.3.0/24";
  peer.wireguard_public_key = "eFNHo0cuHMfAy8Ql+ZcnB4Xy0PoBx/XUqSUfvP+ybhw=";
  peer.allowed_ips = ["10.20.3.0/24", "100.64.20.3/32"];
  peer.endpoint = "185.206.122.31:3090";
  znet.peers = [peer];
  const my = new gc.Mycelium();
  my.hex_key = "ab".repeat(32);
  my.peers = [];
  znet.mycelium = my;
  const net = wl(gc, "network", "net_ü", znet, "", "réseau");
  const disk = new gc.DiskPrimitive().create(15, "data_disk", "disk meta ✓", "a disk", 0);
  const vol = new gc.Volume();
  vol.size = 2 * 1024 ** 3;
  const volume = wl(gc, "volume", "vol1", vol);
  const ip = new gc.PublicIPPrimitive().create("pubip", "", "", 0, true, true);
  const mounts = [new gc.DiskPrimitive().createMount("data_disk", "/data"), new gc.DiskPrimitive().createMount("vol1", "/vol")];
  const env = { SSH_KEY: "ssh-ed25519 AAAAC3Nz user@host", Zeta: "z", alpha: "ä", "日本": "語", EMPTY: "" };
  const vm = new gc.VMPrimitive().create(
    "vm_1", "https://hub.grid.tf/tf-official-apps/base:latest.flist", 2, 2048, 20, mounts, "net_ü", "10.20.2.5", true, true,
    "0a1b2c3d4e5f", "pubip", "/sbin/zinit init", env, "vm metadata 🚀", "", 0, false, ["0000:28:00.0/1002/731f"],
  );
  const logs = new gc.ZlogsPrimitive().create("vm_1", "redis://10.20.2.9:6379/logs");
  return new gc.DeploymentFactory({ twinId: twin }).create([net, disk, volume, ip, vm, logs], 0, "{\"type\":\"vm\",\"name\":\"πλάνο\"}", "full vm", 0);
}

/** network-light without a WireGuard port (as ZNetworkLight.addNode builds it) + zmachine-light. */
export function lightDeployment(s: Sdk, twin: number): Any {
  const gc = s.gc;
  const nl = new gc.NetworkLight();
  nl.subnet = "10.30.4.0/24";
  nl["ip_range"] = "10.30.0.0/16";
  nl["node_id"] = 11;
  const my = new gc.Mycelium();
  my.hex_key = "0f".repeat(32);
  my.peers = [];
  nl.mycelium = my;
  const net = wl(gc, "network-light", "lightnet", nl);
  const vm = new gc.VMLightPrimitive().create(
    "lightvm", "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist", 1, 1024, 0, [], "lightnet", "10.30.4.2", false, true,
    "aabbccddeeff", "", "", { LANG: "C.UTF-8" }, "", "", 0, false, [],
  );
  return new gc.DeploymentFactory({ twinId: twin }).create([net, vm], 0, "light ☀", "", 0);
}

/** zdb, qsfs, both gateways; signed by several twins with weights. */
export function storageGatewayDeployment(s: Sdk, twins: number[]): Any {
  const gc = s.gc;
  const zdb = new gc.ZdbPrimitive().create("zdb_ns", 5, "user", "pässword", true, "zdb meta", "", 0);
  const backend = (i: number) => {
    const b = new gc.ZdbBackend();
    b.address = `[2a02:1802:5e::${i}]:9900`;
    b.namespace = `ns${i}`;
    b.password = "pw";
    return b;
  };
  const group = new gc.ZdbGroup();
  group.backends = [backend(1), backend(2), backend(3)];
  const qsfs = new s.QSFSPrimitive().create("qsfs_1", 2, 3, "prefix", [backend(7), backend(8)], [group], "secret passphrase", 1);
  const gwName = new gc.GWPrimitive().createName("mysite", false, ["http://185.206.122.40:8080"], undefined, "", "", 0);
  const gwFqdn = new gc.GWPrimitive().createFQDN("app.example.com", true, ["185.206.122.41:443"], "fqdn_gw", "net_ü", "", "", 0);
  const d = new gc.DeploymentFactory({ twinId: twins[0] }).create([zdb, qsfs, gwName, gwFqdn], 1626394539, "", "gateways", 0);
  const reqs = twins.map((t, i) => {
    const r = new gc.SignatureRequest();
    r.twin_id = t;
    r.required = i === 1;
    r.weight = i + 1;
    return r;
  });
  d.signature_requirement.requests = reqs;
  d.signature_requirement.weight_required = reqs.reduce((a: number, r: Any) => a + r.weight, 0);
  return d;
}
