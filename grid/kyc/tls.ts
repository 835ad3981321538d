// The dev grid's own certificate authority and a server certificate for the fixed HTTPS names the
// official client dials (kyc.<network>.grid.tf). Made once with openssl under the grid's state
// folder; a client trusts it through NODE_EXTRA_CA_CERTS (client_env), nothing else changes.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DevTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error("openssl is not installed: the dev grid needs it to make its HTTPS certificates (apt-get install openssl)");
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() ?? String(e)}`);
  }
}

/** CA + server certificate for `names` in `dir` (mode 0700); reused while they cover the same names. */
export function ensureDevTls(dir: string, names: string[]): DevTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, "ca.pem");
  const caKey = join(dir, "ca.key");
  const certFile = join(dir, "server.pem");
  const keyFile = join(dir, "server.key");
  const namesFile = join(dir, "server.names");
  const want = [...names].sort().join(",");
  const have = existsSync(namesFile) ? readFileSync(namesFile, "utf8") : "";
  if (!existsSync(caFile) || !existsSync(caKey)) {
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
      "-days", "3650", "-subj", "/CN=zos-ts dev grid CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  }
  if (have !== want || !existsSync(certFile) || !existsSync(keyFile)) {
    const san = [...names.map((n) => `DNS:${n}`), "IP:127.0.0.1", "IP:::1"].join(",");
    writeFileSync(join(dir, "server.ext"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`, { mode: 0o600 });
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${names[0]}`], dir);
    openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "825", "-extfile", "server.ext"], dir);
    writeFileSync(namesFile, want, { mode: 0o600 });
  }
  return { caFile, certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}
