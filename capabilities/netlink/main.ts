// The netlink driver: the node's only holder of the network (rtnetlink, namespaces, nftables, WireGuard).
// Args: <namespace pin folder> <wireguard UAPI folder>; a TUN device node `tun` next to the UAPI folder, when
// the kernel's caller made one (modules/node/tun-node.ts), is what wireguard-go uses instead of /dev/net/tun. Exposes `netlink` (network.capnp Netlink),
// attenuated per grant by namespace and host-link prefixes (grant.ts). Linux capabilities it needs are
// listed in its manifest entry (CAP_NET_ADMIN for rtnetlink and TUN, CAP_SYS_ADMIN for setns/unshare and
// the namespace pin mounts); docs/capabilities.md explains why each is needed.
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { Netlink$Server } from "../schema/gen/network.ts";
import { startProcess } from "../lib/guest/process.ts";
import { applyOps } from "./apply.ts";
import { parseGrant } from "./grant.ts";
import { NetOps } from "./ops.ts";
import { denoSys } from "./sys.ts";

const [pinDir, uapiDir] = process.argv.slice(2);
if (!pinDir || !uapiDir) {
  console.error("netlink: usage: netlink/main.ts <namespace pin folder> <wireguard UAPI folder>");
  process.exit(2);
}

const ops = new NetOps(denoSys(), pinDir, uapiDir);
// One batch at a time: namespace switching and the per-namespace sockets are not reentrant across awaits.
let queue: Promise<unknown> = Promise.resolve();

startProcess({
  provide: {
    netlink: (r) => {
      const g = parseGrant(r);
      return new Netlink$Server({
        apply(p, res) {
          const run = queue.then(() => applyOps(ops, g, p.ops));
          queue = run.catch(() => {});
          return run.then((out) => {
            res.json = JSON.stringify(out);
          }, (err: Error) => {
            throw new Error(err.message.startsWith("denied") ? err.message : `failed: netlink: ${err.message}`);
          });
        },
      });
    },
  },
  onShutdown: () => ops.teardown(),
});
