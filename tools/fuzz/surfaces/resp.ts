// RESP into 0-db (capabilities/zdb/serve.ts, the server the zdb driver runs, as a real process): mutated copies of
// real commands, RESP arrays of random commands and arguments, inline commands, random bytes — each on a new
// TCP connection that never authenticated. The default namespace is --protect'ed and a second one is public,
// so every write must be refused: namespaces, their entries and sizes stay as they were, and the server answers.
import { connect } from "node:net";
import { tempDir } from "../../test-tmp.ts";
import { startZdb, type ZdbProcess } from "../../../capabilities/zdb/test/server.ts";
import type { Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

const COMMANDS = ["PING", "SET", "GET", "DEL", "EXISTS", "CHECK", "LENGTH", "KEYCUR", "SCAN", "RSCAN", "SCANX", "HISTORY", "INFO", "NSNEW", "NSDEL",
  "NSINFO", "NSLIST", "NSSET", "SELECT", "DBSIZE", "TIME", "AUTH", "WAIT", "FLUSH", "HOOKS", "INDEX", "DATA", "MULTI", "QUIT", "STOP", "", "set"];

const resp = (args: (string | Uint8Array)[]) => {
  const parts: Uint8Array[] = [new TextEncoder().encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? new TextEncoder().encode(a) : a;
    parts.push(new TextEncoder().encode(`$${b.length}\r\n`), b, new TextEncoder().encode("\r\n"));
  }
  return Buffer.concat(parts);
};

function input(rng: Rng): Uint8Array {
  const arg = () => rng.chance(0.3) ? rng.bytes(rng.int(40)) : rng.pick(["default", "fz", "k1", "", "0", "zt-fuzz-nz", "-1", "18446744073709551616", "password", "public", "mode", "worm", "maxsize", rng.text(20)]);
  const cmd = () => [rng.pick(COMMANDS), ...Array.from({ length: rng.int(5) }, arg)];
  switch (rng.int(6)) {
    case 0: return rng.mutate(resp(cmd()));
    case 1: return rng.mutate(Buffer.concat([resp(["SELECT", "fz"]), resp(["SET", "k1", "v"]), resp(["GET", "k1"])]));
    case 2: return new TextEncoder().encode(`${cmd().map(String).join(" ")}\r\n`); // inline
    case 3: return new TextEncoder().encode(rng.pick([`*${rng.int(2 ** 31)}\r\n`, `$-5\r\n`, `*1\r\n$99999999999\r\n`, `*-1\r\n`, `*2\r\n$3\r\nGET\r\n:5\r\n`]));
    case 4: return rng.bytes(rng.int(200));
    default: return Buffer.concat([resp(["SELECT", rng.pick(["default", "fz"])]), resp(cmd())]);
  }
}

/** Sends `bytes` on a fresh connection; everything the server wrote until it went quiet (or closed). */
function exchange(port: number, bytes: Uint8Array): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let text = "";
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const done = (closed: boolean) => {
      clearTimeout(quiet);
      sock.destroy();
      resolve({ text, closed });
    };
    const arm = (ms: number) => {
      clearTimeout(quiet);
      quiet = setTimeout(() => done(false), ms);
    };
    sock.on("connect", () => {
      sock.write(bytes);
      arm(60);
    });
    sock.on("data", (d) => {
      text += d.toString("latin1");
      arm(10);
    });
    sock.on("close", () => done(true));
    sock.on("error", (e) => (text ? done(true) : reject(new Error(`connection failed: ${e.message}`))));
  });
}

export const respSurface: Surface = {
  name: "zdb-resp",
  what: "RESP to a 0-db server process (--protect, a public namespace), unauthenticated, one connection per input",
  async start(): Promise<Target> {
    const z: ZdbProcess = await startZdb(tempDir("zt-tests-fuzz-zdb-"), { admin: "zt-fuzz-admin", protect: true });
    const admin = z.client();
    await admin.call("AUTH", "zt-fuzz-admin");
    await admin.call("NSNEW", "fz");
    await admin.call("NSSET", "fz", "password", "zt-fuzz-ns"); // without a password a namespace is open to all
    await admin.call("NSSET", "fz", "public", "1"); // readable by all, writable with the password
    await admin.call("SELECT", "fz", "zt-fuzz-ns");
    await admin.call("SET", "k1", "kept");
    await admin.call("SELECT", "default", "zt-fuzz-admin"); // --protect: default is writable with the admin password
    await admin.call("SET", "k0", "kept");
    return {
      async feed(rng): Promise<Verdict> {
        const { text } = await exchange(z.port, input(rng));
        if (z.proc.exitCode !== null || z.proc.signalCode !== null) throw new Error(`zdb exited (${z.proc.exitCode ?? z.proc.signalCode}): ${z.stderr().slice(-500)}`);
        const errors = text.split("\r\n").filter((l) => l.startsWith("-"));
        if (errors.length) return { refused: errors.map((l) => l.slice(1)).join("; ") };
        return text ? { accepted: true } : { refused: "no answer (incomplete command)" };
      },
      async state() {
        const names = (await admin.call("NSLIST")) as string[];
        const info: string[] = [];
        for (const n of [...names].sort()) {
          const lines = String(await admin.call("NSINFO", n)).split("\n").filter((l) => /entries|data_size|index_size|password|public|mode|worm|data_limits/.test(l));
          info.push(`${n}: ${lines.join(", ")}`);
        }
        return info.join(" | ");
      },
      async alive() {
        const { text } = await exchange(z.port, resp(["PING"]));
        if (!text.startsWith("+PONG")) throw new Error(`PING answered ${JSON.stringify(text)}`);
      },
      stop: () => z.stop(),
    };
  },
};
