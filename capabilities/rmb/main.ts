// The rmb driver: the node's presence on the relay. Args: <relay ws url>.
// It signs envelopes and relay JWTs through the "signer" capability (purpose rmb) granted by the identity
// driver, finds its own twin and senders' twins through the chain driver's "reader", verifies every
// request (signature, replay, expiry, decryption: capabilities/rmb/peer.ts) and hands it to the handler
// capability a module registered with serve(). Grant:
//   rmb {"prefixes"?: ["zos."]}   serve() only commands with one of these prefixes (default none: info only)
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { ss58Encode } from "../lib/ss58.ts";
import { type RmbHandler$Client, Rmb$Server, RmbRegistration$Server } from "../schema/gen/node.ts";
import { startProcess } from "../lib/guest/process.ts";
import { Ref } from "../lib/guest/ref.ts";
import { remoteRmbSigner } from "../identity/remote-signer.ts";
import { ChainReaderClient } from "../chain/reader-client.ts";
import { type E2eKey, e2eKeyFromSecret } from "./e2e.ts";
import { RmbPeer } from "./peer.ts";
import { ReaderTwins } from "./reader-twins.ts";
import { CachedTwins } from "./twins.ts";

const relayUrl = process.argv[2];
if (!relayUrl || relayUrl.includes("${") || !/^wss?:\/\//.test(relayUrl)) {
  console.error("rmb: usage: rmb/main.ts <ws url of the relay> (the manifest's ${relayurl} was not set)");
  process.exit(2);
}
const relayHost = new URL(relayUrl).host;


const handlers = new Map<string, { handler: RmbHandler$Client; id: number }>();
let nextRegistration = 1;
let peer: RmbPeer | null = null;
let twinId = 0;
let e2e: E2eKey | null = null;
let stopping = false;

async function dispatch(command: string, raw: Uint8Array, twin: number): Promise<unknown> {
  const h = handlers.get(command);
  if (!h) throw new Error("function is not found");
  try {
    const r = await h.handler.handle((p) => {
      p.twin = twin;
      p.command = command;
      p._initPayload(raw.length).copyBuffer(raw);
    }).promise();
    return r.json === "" ? null : JSON.parse(r.json);
  } catch (err) {
    // the handler's own message is the reply; a handler that went away reads as the node being busy
    const msg = (err as Error).message ?? String(err);
    throw new Error(msg.startsWith("disconnected") ? `${command}: the node's api is restarting, retry` : msg);
  }
}

function attach(command: string): void {
  peer?.handle(command, (_payload, ctx) => dispatch(ctx.command, ctx.raw, ctx.twin));
}

function rmbCap(restrictions: Record<string, unknown>): Rmb$Server {
  for (const k of Object.keys(restrictions)) {
    if (k !== "prefixes") throw new Error(`denied: rmb: unknown restriction "${k}" (known: prefixes)`);
  }
  const raw = restrictions.prefixes ?? [];
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string" || x === "")) {
    throw new Error("denied: rmb: restrictions.prefixes must be a list of non-empty command prefixes");
  }
  const prefixes = raw as string[];
  return new Rmb$Server({
    serve(p, r) {
      const commands = p.commands.toArray();
      const bad = commands.filter((c) => !prefixes.some((x) => c.startsWith(x)));
      if (bad.length) {
        throw new Error(`denied: rmb: this grant may only serve commands starting with ${prefixes.map((x) => `"${x}"`).join(", ") || "(nothing)"}; refused: ${bad.slice(0, 5).join(", ")}`);
      }
      const id = nextRegistration++;
      const handler = p.handler;
      for (const c of commands) {
        handlers.set(c, { handler, id });
        attach(c);
      }
      r.registration = new RmbRegistration$Server({
        cancel() {
          for (const c of commands) if (handlers.get(c)?.id === id) handlers.delete(c);
          return Promise.resolve();
        },
      }).client();
      return Promise.resolve();
    },
    info(_p, r) {
      const out = r._initInfo();
      out.twinId = twinId;
      const pk = e2e?.publicKey ?? new Uint8Array();
      out._initE2ePublicKey(pk.length).copyBuffer(pk);
      const l = out._initRelays(1);
      l.set(0, relayHost);
      out.connected = peer?.isConnected() ?? false;
      return Promise.resolve();
    },
  });
}

const { session } = startProcess({
  provide: { rmb: (r) => rmbCap(r) },
  health: () => ({ ready: e2e !== null, detail: e2e ? "" : "deriving the e2e key" }),
  onShutdown: async () => {
    stopping = true;
    await peer?.close();
  },
});

const signerRef = new Ref(session, "signer", (c) => c);
const readerRef = new Ref(session, "reader", (c) => c);
const reader = new ChainReaderClient((fn) => readerRef.use(fn));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(): Promise<void> {
  // the rmb-purpose signer signs envelopes and JWTs it builds itself, never raw bytes; the e2e secret is
  // derived from the node key inside the identity driver
  const signer = await remoteRmbSigner((fn) => signerRef.use(fn));
  e2e = e2eKeyFromSecret(await signer.e2eSecret());
  const address = ss58Encode(signer.publicKey, 42);
  // the registrar creates the twin; until then there is nothing to connect as
  for (let i = 0; !stopping; i++) {
    try {
      const id = await reader.twinIdByAccount(address);
      if (id) {
        twinId = id;
        break;
      }
    } catch (err) {
      if (i % 20 === 0) console.error(`rmb: twin lookup: ${(err as Error).message}`);
    }
    await sleep(500);
  }
  if (stopping) return;
  peer = new RmbPeer({
    relayUrls: [relayUrl],
    twinId,
    signer,
    twins: new CachedTwins(new ReaderTwins(reader), { ttlMs: 30_000 }),
    e2e,
    log: (l) => console.error(`rmb: ${l}`),
  });
  for (const c of handlers.keys()) attach(c);
  // start() resolves on the first open link and keeps redialling after; a slow relay only delays that
  await peer.start(30_000).catch((err) => console.error(`rmb: relay not reachable yet: ${(err as Error).message}`));
  console.error(`rmb: twin ${twinId} on ${relayHost}`);
}

run().catch((err) => {
  console.error(`rmb: ${(err as Error).message}`);
  process.exit(1); // the kernel restarts the driver
});
