// The dev/test "underlay": a veth pair joining two namespaces pinned anywhere (e.g. the public namespaces
// of two nodes on one host, each node's pins in its own folder), with an address on each end. Used by
// `zos dev` and the tests as root; not reachable through a grant.
import { type Sys } from "./sys.ts";
import { RtnlSocket, seq } from "./rtnl-socket.ts";
import * as m from "../lib/netlink/codec.ts";

export interface End {
  /** namespace pin file */
  pin: string;
  ifname: string;
  /** address with prefix, e.g. 198.18.0.1/24; none when the end joins a bridge */
  cidr?: string;
}

function ifindex(s: RtnlSocket, name: string): number {
  const r = s.get(`link ${name}`, m.getLink(seq(), name), [19, 2]);
  if (!r) throw new Error(`no link ${name}`);
  return m.decodeLink(r.body).index;
}

export function joinNamespaces(sys: Sys, a: End, b: End): void {
  const sa = new RtnlSocket(sys.netlink(a.pin));
  const sb = new RtnlSocket(sys.netlink(b.pin));
  const fd = sys.openFd(b.pin);
  try {
    sa.request(`veth ${a.ifname}`, m.newLink(seq(), { name: a.ifname, kind: "veth", peer: b.ifname, peerNsFd: fd }));
    for (const [s, e] of [[sa, a], [sb, b]] as const) {
      const i = ifindex(s, e.ifname);
      if (e.cidr) s.request(`address on ${e.ifname}`, m.addAddress(seq(), i, e.cidr));
      s.request(`${e.ifname} up`, m.setLink(seq(), i, { up: true }));
    }
  } finally {
    sys.closeFd(fd);
    sa.close();
    sb.close();
  }
}
