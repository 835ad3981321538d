// The dev grid's activation service (ZOS-REFERENCE §2.4 step 2): a node whose SS58 account does not exist or
// holds ≤ 0.001 TFT POSTs {"substrateAccountID":"<ss58>"} here; we transfer a fixed amount from a funded dev
// account. Bounded on purpose (it gives money away): only accounts below the threshold, a fixed amount,
// transfers limited per account and over all accounts, requests limited in total, small bodies, one
// transfer per account at a time. Not per client address: on loopback every address of 127/8 is the same
// host, so a per-IP limit was no limit at all. 200 = funded, 409 = already funded
// (Zero-OS treats both as success); every error is JSON {"error": "..."}.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { ChainClient, type ChainSubmitter } from "../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../capabilities/rmb/signer.ts";
import { RateLimiter } from "./rate-limit.ts";

/** The path Zero-OS's activation URLs use (https://activation.dev.grid.tf/activation/activate). */
export const ACTIVATE_PATH = "/activation/activate";
/** 0.001 TFT (7 decimals): at or below this an account counts as not activated. */
export const DEFAULT_THRESHOLD = 10_000n;
/** 10 TFT: enough for registration, uptime reports and a few contracts on the dev chain. */
export const DEFAULT_AMOUNT = 100_000_000n;
const MAX_BODY = 4096;

export interface ActivationOptions {
  chainUrl: string;
  /** mnemonic of the funded sr25519 account the service transfers from (a dev account of the dev chain) */
  funderMnemonic: string;
  /** 127.0.0.1 (default) or ::1: the service never listens beyond loopback */
  host?: string;
  /** default 0 = any free port */
  port?: number;
  /** planck per activation (default 10 TFT) */
  amount?: bigint;
  /** accounts with more free balance than this are refused with 409 (default 0.001 TFT) */
  threshold?: bigint;
  /** transfers to one account per 24 h (default 3): an account that spends its TFT and asks again is cut off */
  perAccountPerDay?: number;
  /** transfers per minute over all accounts (default 30) */
  perMinute?: number;
  /** requests per second over all clients, whatever they ask (default 50) */
  requestsPerSecond?: number;
  log?: (line: string) => void;
}

export interface RunningActivation {
  /** the full activation URL to give a node (`activation=` kernel parameter, ${activationurl}) */
  url: string;
  /** the funder's SS58 address */
  funder: string;
  stop(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly retryAfterMs: number;
  constructor(status: number, message: string, retryAfterMs = 0) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...(status === 413 ? { connection: "close" } : {}) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        // answer now; the rest is drained and dropped (the response closes the connection)
        reject(new HttpError(413, `body larger than ${MAX_BODY} bytes`));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The SS58 address from a request body, re-encoded with the grid's prefix 42, or a 400. */
export function parseActivationRequest(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'body is not JSON; send {"substrateAccountID":"<ss58 address>"}');
  }
  const id = (json as Record<string, unknown> | null)?.substrateAccountID;
  if (typeof id !== "string" || !id) throw new HttpError(400, 'missing "substrateAccountID" (the SS58 address to activate)');
  try {
    const pk = decodeAddress(id);
    if (pk.length !== 32) throw new Error("not a 32-byte account");
    return encodeAddress(pk, 42);
  } catch {
    throw new HttpError(400, `"substrateAccountID" ${JSON.stringify(id.slice(0, 64))} is not an SS58 address`);
  }
}

export async function startActivation(o: ActivationOptions): Promise<RunningActivation> {
  const host = o.host ?? "127.0.0.1";
  if (host !== "127.0.0.1" && host !== "::1") throw new Error(`the activation service listens on loopback only (127.0.0.1 or ::1, got ${host})`);
  const amount = o.amount ?? DEFAULT_AMOUNT;
  const threshold = o.threshold ?? DEFAULT_THRESHOLD;
  if (amount <= threshold) throw new Error(`amount ${amount} must be above the threshold ${threshold}, or an activated account would still look unfunded`);
  const log = o.log ?? ((l: string) => console.error(`[activation] ${l}`));
  const perAccount = new RateLimiter(o.perAccountPerDay ?? 3, 24 * 3_600_000);
  const global = new RateLimiter(o.perMinute ?? 30, 60_000);
  const requests = new RateLimiter(o.requestsPerSecond ?? 50, 1000);
  const signer = await signerFromMnemonic(o.funderMnemonic.trim(), "sr25519");
  const client = await ChainClient.connect({ urls: [o.chainUrl], log: (l) => log(`chain: ${l}`) });
  let funder: ChainSubmitter;
  try {
    funder = client.submitter(signer);
  } catch (err) {
    await client.close();
    throw err;
  }
  // One transfer per account at a time: a node retrying while its first request is in a block must not
  // get paid twice (the second waits and then sees the balance → 409).
  const inFlight = new Map<string, Promise<unknown>>();

  async function activateOnce(address: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const before = await client.read.balance(address);
    if (before.free > threshold) {
      return { status: 409, body: { error: `account ${address} is already activated (free balance ${before.free} > ${threshold})`, address, free: before.free.toString() } };
    }
    // counted only when money moves; the per-account limit first, so one account cannot use up the global one
    const waitAccount = perAccount.peek(address);
    if (waitAccount > 0) {
      throw new HttpError(429, `account ${address} was activated ${o.perAccountPerDay ?? 3} times in the last 24 h; retry in ${Math.ceil(waitAccount / 1000)} s`, waitAccount);
    }
    const waitGlobal = global.take("all");
    if (waitGlobal > 0) {
      throw new HttpError(429, `the activation service is at its limit of ${o.perMinute ?? 30} transfers a minute; retry in ${Math.ceil(waitGlobal / 1000)} s`, waitGlobal);
    }
    perAccount.take(address);
    const inc = await funder.submit("balances", "transferKeepAlive", address, amount);
    log(`activated ${address} with ${amount} from ${funder.address}`);
    return { status: 200, body: { activated: address, amount: amount.toString(), block: inc.blockHash } };
  }

  // Requests for one account run one after another (the queue is set synchronously, before any await).
  function activate(address: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const prev = inFlight.get(address) ?? Promise.resolve();
    const p = prev.catch(() => {}).then(() => activateOnce(address));
    inFlight.set(address, p);
    const forget = () => {
      if (inFlight.get(address) === p) inFlight.delete(address);
    };
    p.then(forget, forget);
    return p;
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const path = (req.url ?? "").split("?")[0];
        if (path !== ACTIVATE_PATH) throw new HttpError(404, `no such endpoint ${path}; POST ${ACTIVATE_PATH}`);
        if (req.method !== "POST") {
          res.setHeader("allow", "POST");
          throw new HttpError(405, `method ${req.method} not allowed; POST ${ACTIVATE_PATH}`);
        }
        const wait = requests.take("all");
        if (wait > 0) throw new HttpError(429, `too many requests to the activation service; retry in ${Math.ceil(wait / 1000)} s`, wait);
        const address = parseActivationRequest(await readBody(req));
        const r = await activate(address);
        send(res, r.status, r.body);
      } catch (err) {
        if (err instanceof HttpError) {
          if (err.retryAfterMs) res.setHeader("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
          return send(res, err.status, { error: err.message });
        }
        log(`activation failed: ${(err as Error).message}`);
        send(res, 502, { error: `the transfer failed: ${(err as Error).message}` });
      }
    })();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port ?? 0, host, () => resolve());
    });
  } catch (err) {
    await client.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}${ACTIVATE_PATH}`;
  let stopped = false;
  return {
    url,
    funder: funder.address,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections?.();
      });
      await client.close().catch(() => {});
    },
  };
}
