// For end-to-end tests: "a node under the kernel + an RMB user" in one call, beside test-tmp.ts. An in-process
// dev chain, relay and activation service; the node started as users start it (startNode: manifests/node.json
// under the capability kernel, loop-device disks when root); a funded grid user with a twin, a CLI session
// (`zos client` code) and the official RMB client (@threefold/rmb_direct_client + grid_client's RMB), so a test
// calls `zos.*` as a grid user does. stop() takes it all down in order; the temp folder goes at exit.
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import process from "node:process";
import { startChain, type RunningChain } from "../grid/chain/mod.ts";
import { startRelay, type RunningRelay } from "../grid/relay/mod.ts";
import { type RunningActivation, startActivation } from "../grid/activation/mod.ts";
import { ChainClient } from "../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../capabilities/rmb/signer.ts";
import { OfficialClient } from "../capabilities/rmb/official-sdk.test-helper.ts";
import { DevFaucet } from "../cli/commands/dev/faucet.ts";
import { ensureDevUser } from "../cli/commands/dev/user.ts";
import { openSession, type UserSession } from "../cli/commands/client/session.ts";
import type { KernelEvent } from "../kernel/mod.ts";
import { type NodeOptions, type RunningNode, startNode } from "../modules/node.ts";
import { tempDir } from "./test-tmp.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
type Any = any;

export interface TestNodeOptions {
  /** temp folder prefix, e.g. "zt-zdb-e2e-" */
  prefix: string;
  /** relay limits (startRelay's) */
  relayLimits?: { maxEnvelopeBytes?: number };
  /** anything else for startNode (disks, manifest, …) */
  node?: Partial<NodeOptions>;
  /** also connect the official RMB client (default true) */
  officialRmb?: boolean;
}

export interface TestNode {
  dir: string;
  chain: RunningChain;
  relay: RunningRelay;
  activation: RunningActivation;
  node: RunningNode;
  /** the test's own chain connection and the dev faucet (alice) */
  client: ChainClient;
  faucet: DevFaucet;
  /** the grid user: mnemonic, twin, and a `zos client` session bound to the node */
  user: { mnemonic: string; twinId: number };
  session: UserSession;
  /** grid_client's RMB over the official direct client (null with officialRmb: false) */
  rmb: Any;
  /** `zos.*` to the node as that user, over RMB with the official client */
  call(command: string, payload?: unknown, timeoutS?: number): Promise<Any>;
  /** every kernel event, and the processes' output lines ("<process>: <line>") */
  events: KernelEvent[];
  lines: string[];
  stop(): Promise<void>;
}

export async function startTestNode(o: TestNodeOptions): Promise<TestNode> {
  const dir = tempDir(o.prefix);
  const events: KernelEvent[] = [];
  const lines: string[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };
  try {
    const chain = await startChain({ blockTimeMs: 0, log: () => {} });
    stops.push(() => chain.stop());
    const relay = await startRelay({ chainUrl: chain.url, ...(o.relayLimits ? { limits: o.relayLimits } : {}) });
    stops.push(() => relay.stop());
    const alice = chain.devAccounts.find((a) => a.name === "alice") ?? chain.devAccounts[0];
    // the node account is funded the Zero-OS way: the chain driver POSTs to the activation service (bob pays)
    const bob = chain.devAccounts.find((a) => a.name === "bob")!;
    const activation = await startActivation({ chainUrl: chain.url, funderMnemonic: bob.mnemonic, log: () => {} });
    stops.push(() => activation.stop());
    const node = await startNode({
      stateDir: join(dir, "node"),
      chainUrl: chain.url,
      relayUrl: relay.url,
      farmId: 1,
      activationUrl: activation.url,
      registerTimeoutMs: 90_000,
      ...o.node,
      onEvent: (e) => {
        events.push(e);
        if (e.event === "output") lines.push(`${e.process}: ${e.line}`);
        if (process.env.ZT_NODE_TRACE) console.error(JSON.stringify(e));
        o.node?.onEvent?.(e);
      },
    }).catch((err) => {
      console.error(lines.slice(-40).join("\n"));
      throw err;
    });
    stops.push(() => node.stop());
    const client = await ChainClient.connect({ urls: [chain.url] });
    stops.push(() => client.close());
    const faucet = new DevFaucet(client, await signerFromMnemonic(alice.mnemonic, "sr25519"));
    const u = await ensureDevUser(join(dir, "user"), client, faucet, relay.url);
    const session = await openSession({ chainUrl: chain.url, relayUrl: relay.url, mnemonic: u.mnemonic, keyType: "sr25519", nodeId: node.nodeId });
    stops.push(() => session.close());
    let rmb: Any = null;
    if (o.officialRmb !== false) {
      const { RMB }: Any = require("@threefold/grid_client");
      const official = new OfficialClient(chain.url, relay.url, u.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
      await official.connect();
      stops.push(() => official.disconnect());
      rmb = new RMB(official);
    }
    return {
      dir, chain, relay, activation, node, client, faucet, session, rmb, events, lines, stop,
      user: { mnemonic: u.mnemonic, twinId: u.twinId },
      call(command, payload = "", timeoutS = 30) {
        if (!rmb) throw new Error("startTestNode: started with officialRmb: false");
        return rmb.request([node.twinId], command, typeof payload === "string" ? payload : JSON.stringify(payload), timeoutS);
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
