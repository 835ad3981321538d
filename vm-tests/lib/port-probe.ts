// The "no listening socket but the manifest's" claim checked from outside the guest, not from its own
// report: QEMU user networking forwards host ports to guest ports (`hostfwd_add` on the human monitor,
// batch by batch), and the host connects through each. slirp accepts on the host side, then opens the
// connection to the guest: a guest port without a listener answers RST and slirp closes our socket at
// once; a listener keeps it open (and the 0-db server answers a RESP PING, the positive control that
// shows the probe can see a listener at all). TCP only: slirp reports nothing for a closed UDP port.
import { connect, createServer } from "node:net";

/** The ports a default sweep covers: every privileged port and the usual service ports above them. */
export const DEFAULT_PORTS: number[] = [
  ...Array.from({ length: 1024 }, (_, i) => i + 1),
  1080, 1443, 2049, 2375, 2376, 2379, 3000, 3306, 4001, 5000, 5001, 5432, 5900, 6060, 6379, 6443, 7946, 8000, 8008,
  8051, 8080, 8081, 8443, 8545, 8888, 9000, 9090, 9100, 9292, 9900, 9933, 9944, 9945, 10250, 16379, 30333,
];

export interface PortVerdict {
  port: number;
  open: boolean;
  /** the first bytes the guest answered to `hello`, when it did */
  answer?: string;
}

/** Runs a batch of human-monitor commands on one connection; resolves with everything QEMU printed. */
export type Monitor = (commands: string[]) => Promise<string>;

function freeHostPorts(n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () =>
    new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.on("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const a = s.address();
        s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    })));
}

/** One connection through a forward: closed by slirp (guest RST) or still open after `openAfterMs`. */
function probe(hostPort: number, guestPort: number, openAfterMs: number, hello?: string): Promise<PortVerdict> {
  return new Promise((resolve) => {
    const sock = connect(hostPort, "127.0.0.1");
    let answer = "";
    let done = false;
    const finish = (open: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(answer ? { port: guestPort, open, answer } : { port: guestPort, open });
    };
    const timer = setTimeout(() => finish(true), openAfterMs);
    sock.on("connect", () => {
      if (hello) sock.write(hello);
    });
    sock.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
      finish(true);
    });
    sock.on("end", () => finish(false));
    sock.on("close", () => finish(false));
    sock.on("error", () => finish(false));
  });
}

/**
 * Sweeps `ports` of the guest behind user netdev `netdev`: forwards a batch, probes each port, removes the
 * forwards. Every port is sent `hello` (a RESP PING by default: the 0-db server answers +PONG).
 */
export async function sweepGuestPorts(monitor: Monitor, o: {
  netdev: string;
  ports: number[];
  batch?: number;
  openAfterMs?: number;
  hello?: string;
}): Promise<PortVerdict[]> {
  const batch = o.batch ?? 96;
  const openAfter = o.openAfterMs ?? 4000;
  const hello = o.hello ?? "*1\r\n$4\r\nPING\r\n";
  const out: PortVerdict[] = [];
  for (let i = 0; i < o.ports.length; i += batch) {
    const guest = o.ports.slice(i, i + batch);
    const host = await freeHostPorts(guest.length);
    const added = await monitor(guest.map((g, k) => `hostfwd_add ${o.netdev} tcp:127.0.0.1:${host[k]}-:${g}`));
    if (/could not|error|invalid/i.test(added)) throw new Error(`QEMU refused a port forward: ${added.trim().split("\n").filter((l) => /could not|error|invalid/i.test(l)).slice(0, 3).join(" / ")}`);
    try {
      out.push(...await Promise.all(guest.map((g, k) => probe(host[k], g, openAfter, hello))));
    } finally {
      await monitor(host.map((h) => `hostfwd_remove ${o.netdev} tcp:127.0.0.1:${h}`));
    }
  }
  return out;
}

/** Parses "1-1024,9900" into ports (for `--probe-ports`). */
export function parsePorts(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a port or a range like 1-1024`);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (a < 1 || b > 65535 || a > b) throw new Error(`"${part}" is not within 1-65535`);
    for (let p = a; p <= b; p++) out.add(p);
  }
  return [...out].sort((x, y) => x - y);
}
