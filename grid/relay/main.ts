// Runs the relay on its own: deno run -A grid/relay/main.ts --chain-url ws://127.0.0.1:9944 [--host H] [--port P]
// (`zos grid up` normally starts it next to the dev chain.) Ctrl-C stops it.
import { parseArgs } from "node:util";
import { startRelay } from "./mod.ts";

const usage =
  "usage: relay --chain-url WS_URL [--host 127.0.0.1] [--port 0] [--max-envelope-bytes N] [--rate N]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        "chain-url": { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "0" },
        "max-envelope-bytes": { type: "string" },
        rate: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`relay: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const chainUrl = values["chain-url"];
  if (!chainUrl || !/^wss?:\/\//.test(chainUrl)) {
    console.error(`relay: --chain-url must be the chain's WebSocket URL (ws://host:port)\n${usage}`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`relay: --port must be 0..65535, got ${values.port}`);
    return 2;
  }
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  let limits;
  try {
    limits = {
      maxEnvelopeBytes: num(values["max-envelope-bytes"], "max-envelope-bytes"),
      messagesPerSecond: num(values.rate, "rate"),
    };
  } catch (err) {
    console.error(`relay: ${(err as Error).message}`);
    return 2;
  }
  let relay;
  try {
    relay = await startRelay({
      chainUrl,
      host: values.host,
      port,
      limits: JSON.parse(JSON.stringify(limits)),
      log: (l) => console.error(l),
    });
  } catch (err) {
    console.error(`relay: cannot start: ${(err as Error).message}`);
    return 1;
  }
  console.log(
    JSON.stringify({ relay_url: relay.url, metrics_url: relay.url.replace(/^ws/, "http") + "/metrics" }),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await relay.stop();
  return 0;
}

process.exitCode = await main();
