// The dev grid's KYC service. GridClient 2.9.2 asks https://kyc.<network's base domain>/api/v1/status
// ?client_id=<ss58> before every deploy, update and delete and goes on only on 200
// {"result":{"status":"VERIFIED"}}; a 404 means unverified. Here every account is VERIFIED unless
// marked otherwise (for tests of the refusal): `setStatus()` in-process, or
// PUT /api/v1/dev/status {"client_id", "status"} (loopback only, like the whole service).
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeAddress } from "@polkadot/util-crypto";
import { writeFileAtomic } from "../../capabilities/lib/fs/atomic.ts";
import { hostForUrl, listen, loopbackOnly } from "../indexer/mod.ts";
import { ensureDevTls } from "./tls.ts";

export const KYC_STATUSES = ["VERIFIED", "UNVERIFIED", "REJECTED", "PENDING"] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

/** The fixed KYC host GridClient derives from its network name (client.js getDefaultUrls). */
export function kycHost(network: string): string {
  return network === "main" ? "kyc.grid.tf" : `kyc.${network}.grid.tf`;
}

export const KYC_HOSTS = ["dev", "qa", "test", "main"].map(kycHost);

export interface StartKycOptions {
  stateDir: string; // holds tls/ (CA + certificate) and kyc-status.json
  host?: string;
  port?: number;
  log?: (line: string) => void;
}

export interface RunningKyc {
  /** https://127.0.0.1:PORT — where client_env's preload sends the kyc.* names */
  url: string;
  port: number;
  caFile: string;
  setStatus(address: string, status: KycStatus): void;
  stop(): Promise<void>;
}

function validAddress(a: string): boolean {
  try {
    return decodeAddress(a).length === 32;
  } catch {
    return false;
  }
}

export async function startKyc(o: StartKycOptions): Promise<RunningKyc> {
  const host = o.host ?? "127.0.0.1";
  loopbackOnly(host, "KYC service");
  const tls = ensureDevTls(join(o.stateDir, "tls"), KYC_HOSTS);
  const statusFile = join(o.stateDir, "kyc-status.json");
  const statuses = new Map<string, KycStatus>(
    existsSync(statusFile) ? Object.entries(JSON.parse(readFileSync(statusFile, "utf8")) as Record<string, KycStatus>) : [],
  );
  const setStatus = (address: string, status: KycStatus) => {
    if (!validAddress(address)) throw new Error(`not an SS58 address: ${address}`);
    if (!KYC_STATUSES.includes(status)) throw new Error(`status must be one of ${KYC_STATUSES.join(", ")}`);
    if (status === "VERIFIED") statuses.delete(address);
    else statuses.set(address, status);
    writeFileAtomic(statusFile, JSON.stringify(Object.fromEntries(statuses), null, 2) + "\n", { mode: 0o600, mkdirMode: 0o700 });
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let s = "";
    for await (const c of req) {
      s += c;
      if (s.length > 4096) throw new Error("body over 4096 bytes");
    }
    return JSON.parse(s);
  };
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const u = new URL(req.url ?? "/", "https://x");
    const path = u.pathname.replace(/\/+$/, "");
    if (req.method === "GET" && path === "/api/v1/status") {
      const id = u.searchParams.get("client_id") ?? "";
      if (!validAddress(id)) return send(res, 400, { error: `client_id "${id}" is not a valid SS58 address` });
      const status = statuses.get(id) ?? "VERIFIED";
      if (status === "UNVERIFIED") return send(res, 404, { error: "verification record not found" });
      return send(res, 200, { result: { status } });
    }
    if (req.method === "GET" && path === "/api/v1/health") return send(res, 200, { result: { status: "Healthy" } });
    if (req.method === "PUT" && path === "/api/v1/dev/status") {
      readJson(req).then((b) => {
        try {
          setStatus(String(b.client_id ?? ""), String(b.status ?? "") as KycStatus);
          send(res, 200, { result: { client_id: b.client_id, status: b.status } });
        } catch (e) {
          send(res, 400, { error: (e as Error).message });
        }
      }, (e) => send(res, 400, { error: `bad body: ${(e as Error).message}; send {"client_id": "<ss58>", "status": "UNVERIFIED"}` }));
      return;
    }
    send(res, 404, { error: `no such endpoint ${req.method} ${path}: the dev KYC service answers GET /api/v1/status?client_id=<ss58>` });
  });
  const port = await listen(server, host, o.port ?? 0);
  return {
    url: `https://${hostForUrl(host)}:${port}`,
    port,
    caFile: tls.caFile,
    setStatus,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
