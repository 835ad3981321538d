// Gateway names, where each is read: a deployment's gateway-name-proxy / gateway-fqdn-proxy workload (the node's
// validation, modules/lib/gridtypes), a route handed to the gateway driver (capabilities/gateway/routes.ts, its
// security boundary) and the server name in a TLS ClientHello the :443 proxy reads before routing
// (capabilities/gateway/sni.ts; mutated copies of a real ClientHello from node:tls). Pure code: every answer
// is a refusal naming the field, or a value the oracle checks (a name the pattern allows, no loopback backend).
import { createServer, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { DeploymentError, parseDeployment, validateDeployment } from "../../../modules/lib/gridtypes/mod.ts";
import { parseRoute } from "../../../capabilities/gateway/routes.ts";
import { parseClientHello } from "../../../capabilities/gateway/sni.ts";
import type { Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

const NAME = /^[a-zA-Z0-9-_]+$/;
const FQDN = /^([a-zA-Z0-9-_]+\.)+[a-zA-Z0-9-_]{2,}$/;

function name(rng: Rng): string {
  return rng.chance(0.5) ? rng.mutateText(rng.pick(["site", "my-site_1", "a.example.com", "xn--bcher-kva.example", "A".repeat(63)])) : rng.text(30);
}

/** The first bytes a TLS client sends for `servername`. */
async function realClientHello(servername: string): Promise<Uint8Array> {
  let resolve!: (b: Uint8Array) => void;
  const got = new Promise<Uint8Array>((r) => (resolve = r));
  const server = createServer((s: Socket) => s.once("data", (d) => {
    resolve(new Uint8Array(d));
    s.destroy();
  }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const c = tlsConnect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false });
  c.on("error", () => {});
  const hello = await got;
  c.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return hello;
}

function deployment(rng: Rng): string {
  const fqdn = rng.chance(0.5);
  const data = fqdn ? { fqdn: name(rng), tls_passthrough: rng.chance(0.5), backends: [rng.pick(["http://1.2.3.4:80", "1.2.3.4:443", "http://127.0.0.1:80", rng.text(20)])] }
    : { name: name(rng), tls_passthrough: false, backends: [rng.pick(["http://1.2.3.4:80", "http://[::1]:80", rng.text(20)])] };
  return JSON.stringify({
    version: 0, twin_id: 42, contract_id: 1, metadata: "", description: "", expiration: 0,
    workloads: [{ version: 0, name: "gw", type: fqdn ? "gateway-fqdn-proxy" : "gateway-name-proxy", data, metadata: "", description: "" }],
    signature_requirement: { requests: [{ twin_id: 42, weight: 1 }], weight_required: 1, signatures: [], signature_style: "" },
  });
}

function route(rng: Rng): string {
  const r: Record<string, unknown> = { id: rng.chance(0.8) ? "r1" : rng.text(10), host: name(rng), tlsPassthrough: rng.chance(0.3), backends: [rng.pick(["http://10.20.2.2:8080", "10.20.2.2:443", "http://127.0.0.1", "[::1]:443", "http://169.254.1.1", "http://0.0.0.0", rng.text(20)])] };
  if (rng.chance(0.1)) r[rng.text(5)] = 1;
  return rng.chance(0.2) ? rng.mutateText(JSON.stringify(r)) : JSON.stringify(r);
}

export const gatewaySurface: Surface = {
  name: "gateway-names",
  what: "gateway names in deployments (node validation), in driver routes, and in TLS ClientHellos (SNI)",
  async start(): Promise<Target> {
    const hellos = [await realClientHello("site.gw.example.com"), await realClientHello("a-b_c.example")];
    const feed = (rng: Rng): Verdict => {
      const k = rng.int(3);
      if (k === 0) {
        try {
          const json = deployment(rng);
          validateDeployment(parseDeployment(json));
          const w = JSON.parse(json).workloads[0];
          const data = w.data as { name?: string; fqdn?: string };
          const ok = w.type === "gateway-name-proxy" ? NAME.test(data.name ?? "") : FQDN.test(data.fqdn ?? "");
          if (!ok) throw new Error(`an invalid gateway name was accepted: ${JSON.stringify(data)}`);
          return { accepted: true };
        } catch (e) {
          if (e instanceof DeploymentError) return { refused: e.message };
          throw e;
        }
      }
      if (k === 1) {
        let r;
        try {
          r = parseRoute(route(rng), ["10.0.0.1"]);
        } catch (e) {
          if (e instanceof Error && e.constructor === Error) return { refused: e.message };
          throw e;
        }
        if (!/^([a-z0-9_-]+\.)+[a-z0-9_-]{2,}$/.test(r.spec.host) || r.dials.some((d) => /^(127\.|::1$|0\.0\.0\.0|169\.254\.)/.test(d.hostname))) {
          throw new Error(`route accepted with host ${JSON.stringify(r.spec.host)} and backends ${JSON.stringify(r.spec.backends)}`);
        }
        return { accepted: true };
      }
      const h = parseClientHello(rng.mutate(rng.pick(hellos)));
      if (h.kind === "invalid") return { refused: h.reason };
      if (h.kind === "sni" && (typeof h.name !== "string" || h.name.length > 255)) throw new Error(`SNI name ${JSON.stringify(h.name).slice(0, 100)}`);
      return { accepted: true };
    };
    return {
      feed: (rng) => Promise.resolve(feed(rng)),
      state: () => Promise.resolve("pure functions: no state"),
      alive: async () => {
        const h = parseClientHello(hellos[0]);
        if (h.kind !== "sni" || h.name !== "site.gw.example.com") throw new Error(`a real ClientHello reads as ${JSON.stringify(h)}`);
      },
      stop: () => Promise.resolve(),
    };
  },
};
