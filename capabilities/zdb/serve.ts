// The 0-db server on its own, without the kernel: `deno run --allow-net=HOST:PORT --allow-read=DIR
// --allow-write=DIR capabilities/zdb/serve.ts --data DIR [--listen HOST] [--port N] [--socket PATH]
// [--admin PASSWORD] [--protect] [--datasize BYTES]`. Prints one JSON line `{"ready":true,"port":N,…}` on stdout
// once it accepts connections. Used by the tests (kill -9, restart) and bench/zdb.ts; the node runs main.ts.
import process from "node:process";
import { parseArgs } from "node:util";
import { CommandServer } from "./commands.ts";
import { serve } from "./server.ts";
import { Store } from "./store.ts";

let values;
try {
  ({ values } = parseArgs({
    options: {
      data: { type: "string" },
      listen: { type: "string" },
      port: { type: "string" },
      socket: { type: "string" },
      admin: { type: "string" },
      protect: { type: "boolean" },
      datasize: { type: "string" },
      help: { type: "boolean" },
    },
  }));
} catch (err) {
  console.error(`zdb: ${(err as Error).message}`);
  process.exit(2);
}
if (values.help || !values.data) {
  console.error("usage: serve.ts --data DIR [--listen HOST] [--port N] [--socket PATH] [--admin PASSWORD] [--protect] [--datasize BYTES]");
  process.exit(values.help ? 0 : 2);
}
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
  console.error(`zdb: --port "${values.port}" is not a port number (0-65535)`);
  process.exit(2);
}
const store = new Store(values.data, { dataFileSize: values.datasize ? Number(values.datasize) : undefined, log: (l) => console.error(l) });
const srv = new CommandServer({ store, admin: values.admin ?? null, protect: values.protect ?? false });
const l = await serve(srv, { host: values.listen, port, socket: values.socket });
process.stdout.write(JSON.stringify({ ready: true, host: l.host, port: l.port, socket: l.socket }) + "\n");
const stop = async () => {
  await l.close();
  store.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
