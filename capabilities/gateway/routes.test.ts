// The gateway's pure parts: the ClientHello parser on real ClientHellos (captured from node:tls clients
// of this runtime, and split at every byte), route validation as the escape boundary (backends that would
// reach the node itself are refused), and the internal CA's certificates.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { createServer, type Socket } from "node:net";
import { connect } from "node:tls";
import { X509Certificate } from "node:crypto";
import { parseClientHello } from "./sni.ts";
import { forbiddenIp, parseRoute } from "./routes.ts";
import { CA_NAME, issueLeaf, makeRoot } from "./x509.ts";

/** The first bytes a TLS client sends for `servername` (a real ClientHello from node:tls). */
function captureHello(servername: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s: Socket) => {
      let got = Buffer.alloc(0);
      s.on("data", (d) => {
        got = Buffer.concat([got, d]);
        if (parseClientHello(got).kind !== "more") {
          s.destroy();
          srv.close();
          resolve(got);
        }
      });
    });
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      const c = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false });
      c.on("error", () => {});
      setTimeout(() => reject(new Error("no ClientHello")), 5000).unref();
    });
  });
}

test("SNI: read from real ClientHellos, at any split; no SNI and non-TLS are told apart", async () => {
  const hello = await captureHello("App.GW.test");
  assert.equal(parseClientHello(hello), { kind: "sni", name: "app.gw.test" });
  for (let i = 0; i < hello.length; i++) assert.is(parseClientHello(hello.subarray(0, i)).kind, "more", `prefix ${i}`);
  // the same hello split across two TLS records
  const body = hello.subarray(5);
  const rec = (b: Buffer) => Buffer.concat([Buffer.from([22, 3, 1, b.length >> 8, b.length & 0xff]), b]);
  assert.equal(parseClientHello(Buffer.concat([rec(body.subarray(0, 40)), rec(body.subarray(40))])), { kind: "sni", name: "app.gw.test" });
  // an IP literal gets no server_name (RFC 6066): nothing to route on
  const bare = await captureHello(undefined);
  assert.is(parseClientHello(bare).kind, "none");
  assert.is(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n")).kind, "invalid");
  assert.is(parseClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0])).kind, "invalid", "a ServerHello is not a ClientHello");
  const huge = Buffer.concat([Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0xff, 0xff, 0xff]), Buffer.alloc(16 * 1024)]);
  assert.is(parseClientHello(huge).kind, "invalid", "an endless hello is cut at 16 KiB");
});

test("escape: backends that reach the node itself, or names instead of IPs, are refused", () => {
  const own = ["10.251.0.1"];
  const bad: [string, boolean, RegExp][] = [
    ["http://127.0.0.1:9900", false, /loopback/],
    ["http://127.1.2.3", false, /loopback/],
    ["http://[::1]:80", false, /loopback/],
    ["http://[::ffff:127.0.0.1]:80", false, /loopback/],
    ["http://0.0.0.0:80", false, /unspecified/],
    ["http://[::]:80", false, /unspecified/],
    ["http://169.254.169.254/", false, /link-local/],
    ["http://[fe80::1]:80", false, /link-local/],
    ["http://224.0.0.1:80", false, /multicast/],
    ["http://10.251.0.1:443", false, /gateway's own address/],
    ["http://localhost:80", false, /http:\/\/IP\[:PORT\]/],
    ["http://example.com:80", false, /http:\/\/IP\[:PORT\]/],
    ["https://10.0.0.2:443", false, /http:\/\/IP\[:PORT\]/],
    ["http://10.0.0.2:80/path?x", false, /http:\/\/IP\[:PORT\]/],
    ["http://10.0.0.2:99999", false, /http:\/\/IP\[:PORT\]/],
    ["127.0.0.1:443", true, /loopback/],
    ["10.0.0.2", true, /IP:PORT/],
    ["http://10.0.0.2:443", true, /IP:PORT/],
  ];
  for (const [b, pass, re] of bad) {
    assert.throws(() => parseRoute(JSON.stringify({ id: "1-1-x", host: "x.gw.test", tlsPassthrough: pass, backends: [b] }), own), re, b);
  }
  assert.equal(parseRoute(JSON.stringify({ id: "1-1-x", host: "X.gw.test", backends: ["http://10.0.0.2", "http://[2001:db8::2]:8080"] }), own).dials, [
    { hostname: "10.0.0.2", port: 80 },
    { hostname: "2001:db8::2", port: 8080 },
  ]);
  assert.is(parseRoute(JSON.stringify({ id: "1-1-x", host: "X.gw.test", backends: ["http://10.0.0.2"] }), own).spec.host, "x.gw.test");
  // malformed routes
  assert.throws(() => parseRoute("{", own), /a route is JSON/);
  assert.throws(() => parseRoute(JSON.stringify({ id: "../x", host: "x.gw.test", backends: ["http://10.0.0.2"] }), own), /route id/);
  assert.throws(() => parseRoute(JSON.stringify({ id: "a", host: "*.gw.test", backends: ["http://10.0.0.2"] }), own), /not a domain name/);
  assert.throws(() => parseRoute(JSON.stringify({ id: "a", host: "x.gw.test", backends: [] }), own), /non-empty list/);
  assert.throws(() => parseRoute(JSON.stringify({ id: "a", host: "x.gw.test", backends: ["http://10.0.0.2"], listen: 80 }), own), /unknown field "listen"/);
  assert.is(forbiddenIp("8.8.8.8", own), null);
});

test("internal CA: a 10-year root and short serverAuth leaves for one host, verified by node:crypto", () => {
  const root = makeRoot();
  const leaf = issueLeaf(root, "app.gw.test");
  const ca = new X509Certificate(root.certPem);
  const cert = new X509Certificate(leaf.certPem);
  assert.ok(ca.ca, "root is a CA");
  assert.ok(!cert.ca, "leaf is not a CA");
  assert.ok(cert.verify(ca.publicKey), "leaf signed by the root");
  assert.ok(cert.checkIssued(ca));
  assert.is(cert.subjectAltName, "DNS:app.gw.test");
  assert.is(cert.checkHost("app.gw.test"), "app.gw.test");
  assert.is(cert.checkHost("other.gw.test"), undefined);
  assert.match(ca.subject, new RegExp(CA_NAME));
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
  assert.ok(days > 6.9 && days < 7.1, `leaf lasts 7 days (${days})`);
  assert.not.ok(cert.verify(new X509Certificate(makeRoot().certPem).publicKey), "another root does not verify it");
});

test.run();
