// The relay of bench/relay-load.ts in its own process (so its CPU and memory are its own): twins 1..N with
// deterministic ed25519 keys (twinSeed), a twin table in memory (a stand-in for the chain's, which would need
// N twin extrinsics first). Prints "url <ws url>" when listening; stops on stdin end.
import process from "node:process";
import { startRelayWith } from "../../grid/relay/mod.ts";
import { InMemoryTwins } from "../../capabilities/rmb/twins.ts";
import { signerFromSeed } from "../../capabilities/rmb/signer.ts";
import { twinSeed } from "./twin-seed.ts";

const n = Number(process.argv[2]);
const twins = new InMemoryTwins();
for (let i = 1; i <= n; i++) twins.set({ id: i, accountId: (await signerFromSeed(twinSeed(i), "ed25519")).publicKey, relay: null, pk: null });
// one machine's peers all come from 127.0.0.1: the per-address connect rate (50/s) would pace the bench, not the relay
const relay = await startRelayWith(twins, { limits: { connectsPerSecondPerAddress: 1e6, messagesPerSecond: 1e6 } });
console.log(`url ${relay.url}`);
process.stdin.on("data", () => {});
process.stdin.on("end", async () => {
  await relay.stop();
  process.exit(0);
});
