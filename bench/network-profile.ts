// NR setup, step by step (root): the operations the network module sends for one NR (nrOps), each run
// alone through the netlink driver's code, timed; so the floor (process starts: wireguard-go, nft) and
// what batching saves are visible. Prints a table; bench/network.ts writes the same-run comparison.
//
// usage: node_modules/deno/deno run -A bench/network-profile.ts [--n 5]
import { parseArgs } from "node:util";
import { Lab, wgKeys } from "../modules/network/test/lab.ts";
import { hostOps, nrConfig, nrOps } from "../modules/network/nr.ts";
import { applyOps } from "../capabilities/netlink/apply.ts";
import { parseGrant } from "../capabilities/netlink/grant.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "5" } } });
const N = Number(values.n);
if (process.getuid?.() !== 0) {
  console.error("bench/network-profile.ts needs root (namespaces)");
  process.exit(2);
}
const lab = new Lab(1, "network-prof");
const a = lab.nodes[0];
const grant = parseGrant({ namespaces: ["n-", "ndmz", "public", "host"], hostLinks: ["b-", "br-ndmz", "br-pub", "p-"] });
const per = new Map<string, number[]>();
try {
  const layout = a.service.layout;
  await applyOps(a.ops, grant, JSON.stringify(hostOps(layout)));
  for (let i = 0; i < N; i++) {
    const k = wgKeys();
    const c = nrConfig(1, `prof${i}`, {
      ip_range: "10.60.0.0/16", subnet: `10.60.${i + 1}.0/24`, wireguard_private_key: k.priv, wireguard_listen_port: 5100 + i,
      peers: [{ subnet: "10.60.200.0/24", wireguard_public_key: wgKeys().pub, allowed_ips: ["10.60.200.0/24"], endpoint: "198.18.0.2:5999" }],
    });
    for (const op of nrOps(layout, c, `100.127.9.${i + 2}`)) {
      const t0 = performance.now();
      await applyOps(a.ops, grant, JSON.stringify([op]));
      const key = op.op === "link.add" ? `link.add ${op.kind}` : op.op;
      per.set(key, [...(per.get(key) ?? []), performance.now() - t0]);
    }
  }
  const rows = [...per.entries()].map(([k, v]) => ({ k, total: v.reduce((x, y) => x + y, 0) / N, each: v.reduce((x, y) => x + y, 0) / v.length, count: v.length / N }));
  rows.sort((x, y) => y.total - x.total);
  console.log("| step | per NR ms | calls per NR | ms each |\n|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.k} | ${r.total.toFixed(1)} | ${r.count} | ${r.each.toFixed(2)} |`);
  console.log(`| total, one operation per call | ${rows.reduce((x, r) => x + r.total, 0).toFixed(1)} | | |`);
  // the same NRs as the module sends them: one batch (process starts overlapping the rtnetlink steps)
  const whole: number[] = [];
  for (let i = 0; i < N; i++) {
    const k = wgKeys();
    const t0 = performance.now();
    await a.service.provision({
      twin: 2, workloadId: `2-${i}-whole${i}`, name: `whole${i}`, type: "network",
      data: { ip_range: "10.62.0.0/16", subnet: `10.62.${i + 1}.0/24`, wireguard_private_key: k.priv, wireguard_listen_port: 5300 + i, peers: [{ subnet: "10.62.200.0/24", wireguard_public_key: wgKeys().pub, allowed_ips: ["10.62.200.0/24"], endpoint: "198.18.0.2:5999" }] },
    });
    whole.push(performance.now() - t0);
  }
  whole.sort((x, y) => x - y);
  console.log(`\nwhole NR through the module, one batch: p50 ${whole[Math.floor(N / 2)].toFixed(1)} ms (min ${whole[0].toFixed(1)}, max ${whole[N - 1].toFixed(1)})`);
  // wireguard-go alone: spawn to UAPI socket (the floor of an NR)
  const wgs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await a.ops.wgStart("public", `zt-wgp${i}`);
    wgs.push(performance.now() - t0);
    await a.ops.wgDown(`zt-wgp${i}`);
  }
  wgs.sort((x, y) => x - y);
  console.log(`wireguard-go start (spawn → UAPI socket): p50 ${wgs[Math.floor(N / 2)].toFixed(1)} ms`);
} finally {
  await lab.close();
}
