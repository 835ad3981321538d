// The hypervisor driver: QEMU VMs from typed requests (hypervisor.ts), exposed as `hypervisor`
// (capabilities/schema/hypervisor.capnp). Args: <state dir> <netns file where the VM taps are (opened there, handed to QEMU as fds), "-" = this one>
// <root NAME=/path>... (where a request's kernel, initrd, 9p root, disks and shares may be: the pools'
// mount root, the flist cache) [--qemu=<path | extension URL#tree-sha256=HEX>] (qemu-extension.ts; with an
// extension the grant `flist` fetches it, from driver start on, before the first VM needs it). Grant restrictions: {"roots": [...names], "tapPrefix": "t-", "owners"?: [...]}.
// On an orderly stop the VMs are powered off (their records stay, so the next start brings them back);
// a driver that dies leaves QEMU running and the next one adopts it.
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startProcess } from "../lib/guest/process.ts";
import { Ref } from "../lib/guest/ref.ts";
import { flistClient } from "../flist/client.ts";
import { scopeFor, parseRoots } from "./grant.ts";
import { Hypervisor } from "./hypervisor.ts";
import { parseQemuSource, QemuProvider } from "./qemu-extension.ts";
import { hypervisorServer } from "./server.ts";

const args = process.argv.slice(2);
const qemuArg = args.find((a) => a.startsWith("--qemu="))?.slice("--qemu=".length) ?? "/usr/bin/qemu-system-x86_64";
const [stateDir, netns, ...rootArgs] = args.filter((a) => !a.startsWith("--qemu="));
if (!stateDir || !netns) {
  console.error("hypervisor: usage: hypervisor/main.ts <state dir> <netns file|-> [NAME=/root ...]");
  process.exit(2);
}
const roots = parseRoots(rootArgs);
let qemuSource;
try {
  qemuSource = parseQemuSource(qemuArg);
} catch (e) {
  console.error(`hypervisor: ${(e as Error).message}`);
  process.exit(2);
}
const tun = join(stateDir, "tun");
const hv = new Hypervisor({
  stateDir,
  netns: netns === "-" ? "" : netns,
  // without udev /dev/net/tun is root-only: the kernel's root caller makes this node (modules/node/tun-node.ts),
  // through which the driver opens VM taps (sys.ts); on the image /dev/net/tun is 0666 and none is made
  tun: existsSync(tun) ? tun : "",
  accel: { kind: "tcg" },
  qemuCommand: () => qemu.command(),
  log: (l) => console.error(l),
});
let opened = false;

const guest = startProcess({
  provide: {
    hypervisor: (restrictions, grantee) => hypervisorServer(hv, scopeFor(restrictions, roots), grantee),
  },
  health: () => ({ ready: opened, detail: opened ? "" : "adopting VMs" }),
  onShutdown: () => hv.stopAll(800), // within the kernel's 2 s shutdown deadline (kernel.ts stopOne)
});

if (netns !== "-" && !existsSync(netns)) console.error(`hypervisor: the namespace ${netns} does not exist yet; VMs with taps fail until it does`);
const flistRef = qemuSource.kind === "flist" ? new Ref(guest.session, "flist", (c) => c) : null;
const qemu = new QemuProvider(qemuSource, flistRef ? flistClient((fn) => flistRef.use(fn)) : null);
if (qemuSource.kind === "flist") {
  // fetch and check the extension now, so the first VM does not wait for it (a failure is retried then)
  qemu.command().then(
    (argv) => console.error(`hypervisor: QEMU from the extension ${qemuSource.url}: ${argv[3]}`),
    (e) => console.error(`hypervisor: ${(e as Error).message}`),
  );
}
await hv.open();
opened = true;
console.error(`hypervisor: ready (roots ${[...roots].map(([n, p]) => `${n}=${p}`).join(" ") || "none"})`);
