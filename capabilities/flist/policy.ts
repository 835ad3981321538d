// Which URLs the flist driver may fetch: http(s) only, and only hosts (host:port) the driver was started
// with and the caller's grant allows. Block-store routes inside an flist are checked the same way, so a
// hostile flist cannot point the driver at another service on the network, nor at local files (dir://).
export function hostPort(u: URL): string {
  const port = u.port || (u.protocol === "https:" ? "443" : u.protocol === "zdb:" ? "9900" : "80");
  return `${u.hostname}:${port}`;
}

export class HubPolicy {
  readonly hosts: Set<string>;
  constructor(hosts: string[]) {
    this.hosts = new Set(hosts.map((h) => h.trim()).filter(Boolean));
  }
  narrowed(hosts: string[] | undefined): HubPolicy {
    return hosts === undefined ? this : new HubPolicy(hosts.filter((h) => this.hosts.has(h)));
  }
  /** Throws "denied: …" unless `url` is http(s) on an allowed host. */
  checkFlistUrl(url: string): URL {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`failed: flist: ${JSON.stringify(url)} is not a URL (expected http(s)://HUB/user/name.fl or .flist)`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`denied: flist: ${u.protocol}// URLs are not fetched (http and https only)`);
    if (u.username || u.password || u.search || u.hash) throw new Error(`failed: flist: ${url}: no credentials, query or fragment in an flist URL`);
    if (!/\.(fl|flist)$/.test(u.pathname)) throw new Error(`failed: flist: ${url} does not name an .fl or .flist file`);
    this.checkHost(u, "flist");
    return u;
  }
  /** Throws unless a block store URL (an flist's route) is http(s)/zdb on an allowed host. */
  checkStoreUrl(url: string): void {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`denied: flist: block store ${JSON.stringify(url)} is not a URL`);
    }
    if (!["http:", "https:", "zdb:"].includes(u.protocol) || u.hostname === "") {
      throw new Error(`denied: flist: block store ${u.protocol}// is not allowed here (http, https and zdb to a hub host only)`);
    }
    this.checkHost(u, "block store");
  }
  checkHost(u: URL, what: string): void {
    const hp = hostPort(u);
    if (!this.hosts.has(hp)) {
      throw new Error(`denied: flist: ${what} host ${hp} is not one of the hubs this driver may reach (${[...this.hosts].join(", ") || "none"})`);
    }
  }
}
