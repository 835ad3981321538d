// The gateway driver under the real kernel (root), as manifests/node.json declares it: its own uid with
// exactly CAP_NET_BIND_SERVICE + CAP_SYS_ADMIN, its proxy process inside a namespace standing in for the
// public one, on :443. HTTPS for a terminated route verifies against the driver's CA; a passthrough route
// shows the backend's own certificate; adding, changing and deleting a route keeps the others serving; a
// restart serves the stored routes again; the proxy dies with the driver.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { capabilityMask } from "../../kernel/linux.ts";
import { startKernel } from "../../kernel/mod.ts";
import { Gateway$Client } from "../schema/gen/gateway.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { BACKEND2_IP, BACKEND_IP, GatewayLab, gatewayManifest } from "./test/lab.ts";
import { issueLeaf, makeRoot } from "./x509.ts";
import { rootOnly } from "../../tools/test-env.ts";
import { alive } from "../../tools/test-proc.ts";

const root = rootOnly("the gateway driver under a root kernel (namespaces)");

test("under the kernel: own uid, exact capabilities, terminate + passthrough on :443, live route changes, restart", async () => {
  if (!root) return console.log("  (skipped: needs a root kernel and a namespace)");
  const tmp = tempDir("zt-gateway-drv-");
  const lab = new GatewayLab(tmp, "drv");
  const state = join(tmp, "state");
  // the node's way: the netlink driver shares its pin of `public` with the gateway (grant netns)
  const { manifest, vars } = gatewayManifest(tmp, lab.pinForNetlink(state), "0.0.0.0:443");
  const log: string[] = [];
  const onEvent = (e: { event: string; process?: string; line?: unknown }) => e.process === "gateway" && log.push(`${e.event} ${e.line ?? ""}`);
  let h = await startKernel({ manifest, stateDir: state, vars, bootTimeoutMs: 30_000, onEvent });
  try {
    assert.equal(h.notReady, [], log.join("\n"));
    // the node starts the gateway on demand: the first use of a grant to it starts it
    const gw = new Gateway$Client(await h.kernel.grantFor("probe", "gateway"));
    let pid = h.kernel.pid("gateway")!;
    const st = Object.fromEntries(readFileSync(`/proc/${pid}/status`, "utf8").split("\n").map((l) => [l.split(":")[0], (l.split(":")[1] ?? "").trim()]));
    const mask = capabilityMask(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]);
    for (const set of ["CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(st[set], mask, `gateway ${set}`);
    assert.is.not(st.Uid.split(/\s+/)[0], "0");
    // its proxy runs in the lab's public namespace, entered through the pin the netlink driver shared
    const proxyPid = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0]);
    assert.is(readlinkSync(`/proc/${proxyPid}/ns/net`), `net:[${statSync(lab.pin).ino}]`, "the proxy is in the public namespace");
    assert.ok(log.some((l) => /in the public namespace/.test(l)), log.join("\n"));

    // backends: two plain HTTP servers and one TLS server with a certificate of its own CA
    const own = makeRoot();
    const leaf = issueLeaf(own, "pass.gw.test");
    await lab.backends({
      http: [`${BACKEND_IP}:8080`, `${BACKEND2_IP}:8080`],
      tls: [{ listen: `${BACKEND2_IP}:8443`, cert: leaf.certPem, key: leaf.keyPem, name: "pass.gw.test" }],
    });

    const info = JSON.parse((await gw.info().promise()).json);
    assert.is(info.listen, "0.0.0.0:443");
    assert.match(info.ca, /BEGIN CERTIFICATE/);
    const set = async (route: unknown) => JSON.parse((await gw.setRoute((p) => (p.json = JSON.stringify(route))).promise()).json);

    const a = await set({ id: "1-1-a", host: "a.gw.test", tlsPassthrough: false, backends: [`http://${BACKEND_IP}:8080`] });
    assert.is(a.host, "a.gw.test");
    let r = lab.curl("a.gw.test", info.ca, "/hello");
    assert.ok(r.ok, r.error);
    assert.is(r.body, `backend ${BACKEND_IP}:8080 /hello host=a.gw.test`);

    // passthrough: verifies only against the backend's own CA, never the gateway's
    await set({ id: "1-2-p", host: "pass.gw.test", tlsPassthrough: true, backends: [`${BACKEND2_IP}:8443`] });
    r = lab.curl("pass.gw.test", own.certPem);
    assert.ok(r.ok, r.error);
    assert.is(r.body, "passthrough pass.gw.test");
    assert.not.ok(lab.curl("pass.gw.test", info.ca).ok, "the gateway's CA does not verify a passthrough route");

    // an unknown name is refused at the handshake
    assert.not.ok(lab.curl("nobody.gw.test", info.ca).ok);

    // changing one route (new backend) and adding another keep the first serving
    await set({ id: "1-3-b", host: "b.gw.test", backends: [`http://${BACKEND2_IP}:8080`] });
    assert.is(lab.curl("b.gw.test", info.ca).body, `backend ${BACKEND2_IP}:8080 / host=b.gw.test`);
    assert.is(lab.curl("a.gw.test", info.ca).body, `backend ${BACKEND_IP}:8080 / host=a.gw.test`);
    await set({ id: "1-1-a", host: "a.gw.test", tlsPassthrough: false, backends: [`http://${BACKEND2_IP}:8080`] });
    assert.is(lab.curl("a.gw.test", info.ca).body, `backend ${BACKEND2_IP}:8080 / host=a.gw.test`);
    assert.ok(lab.curl("pass.gw.test", own.certPem).ok);

    // escape: a read-only grant lists but cannot change; an unknown restriction is no grant at all;
    // a backend on the node's own loopback (its internal listeners) is refused and changes nothing
    const viewer = new Gateway$Client(await h.kernel.grantFor("probe", "viewer"));
    const err = (p: Promise<unknown>) => p.then(() => "", (e: Error) => e.message);
    assert.match(await err(viewer.setRoute((p) => (p.json = JSON.stringify({ id: "x", host: "x.gw.test", backends: [`http://${BACKEND_IP}:8080`] }))).promise()), /denied: gateway: setRoute needs a grant without readOnly/);
    assert.match(await err(viewer.deleteRoute((p) => (p.id = "1-1-a")).promise()), /denied: gateway: deleteRoute/);
    assert.is(JSON.parse((await viewer.list().promise()).json).length, 3);
    assert.match(await err(h.kernel.grantFor("probe", "widened").then((c) => new Gateway$Client(c).info().promise())), /unknown restriction listen/);
    for (const b of ["http://127.0.0.1:9900", "http://10.251.0.1:443", "http://[::1]:80", "http://169.254.169.254"]) {
      assert.match(await err(set({ id: "1-9-evil", host: "evil.gw.test", backends: [b] })), /failed: gateway: backend/, b);
    }
    assert.is(JSON.parse((await gw.list().promise()).json).length, 3, "refused routes changed nothing");
    assert.not.ok(lab.curl("evil.gw.test", info.ca).ok);

    // a host belongs to one route
    const dup = await set({ id: "9-9-x", host: "b.gw.test", backends: [`http://${BACKEND_IP}:8080`] }).then(() => "", (e: Error) => e.message);
    assert.match(dup, /b\.gw\.test is already routed by 1-3-b/);

    // delete: that name stops at the handshake, the others keep serving
    assert.is((await gw.deleteRoute((p) => (p.id = "1-3-b")).promise()).existed, true);
    assert.not.ok(lab.curl("b.gw.test", info.ca).ok);
    assert.ok(lab.curl("a.gw.test", info.ca).ok);
    assert.equal(JSON.parse((await gw.list().promise()).json).map((x: { id: string }) => x.id).sort(), ["1-1-a", "1-2-p"]);

    // kill -9 of the proxy process (found by the fault suite: the driver kept answering with every route down):
    // the driver ends, the kernel restarts it, and its new proxy serves the stored routes
    const firstProxy = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0]);
    process.kill(firstProxy, "SIGKILL");
    for (let i = 0; i < 300 && !(h.kernel.pid("gateway") !== pid && h.kernel.states().gateway === "ready"); i++) await new Promise((res) => setTimeout(res, 100));
    assert.is.not(h.kernel.pid("gateway"), pid, "the driver was restarted after its proxy died");
    pid = h.kernel.pid("gateway")!;
    assert.is(lab.curl("a.gw.test", info.ca).body, `backend ${BACKEND2_IP}:8080 / host=a.gw.test`);

    // restart: the proxy process dies with the driver; the stored routes serve again, same CA
    const proxyPids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).map(Number).filter(Boolean);
    assert.ok(proxyPids.length >= 1, "the driver has its proxy process");
    await h.stop();
    for (let i = 0; i < 40 && proxyPids.some(alive); i++) await new Promise((res) => setTimeout(res, 50));
    assert.not.ok(proxyPids.some(alive), "no proxy process left after stop");
    lab.pinForNetlink(state); // the netlink driver's stop removed its pins, as a node's shutdown does
    h = await startKernel({ manifest, stateDir: state, vars, bootTimeoutMs: 30_000 });
    assert.equal(h.notReady, []);
    const gw2 = new Gateway$Client(await h.kernel.grantFor("probe", "gateway"));
    assert.is(JSON.parse((await gw2.info().promise()).json).ca, info.ca, "the CA is kept");
    assert.is(lab.curl("a.gw.test", info.ca).body, `backend ${BACKEND2_IP}:8080 / host=a.gw.test`);
    assert.ok(lab.curl("pass.gw.test", own.certPem).ok);
  } finally {
    await h.stop();
    lab.close();
  }
});

test.run();
