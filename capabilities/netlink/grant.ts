// What a holder of a netlink grant may touch. Restrictions (manifest `grants.<x>.restrictions`):
//   namespaces: [prefix…]  namespaces it may create, remove and configure; inside them, every link
//   hostLinks:  [prefix…]  links of the host namespace it may create, change, move or delete (absent = none)
//   share:      [name…]    namespaces (exact names) whose pin it may ask for (`ns.share`) to run a process
//                          inside them — the gateway's proxy in `public` — without configuring them
// The host namespace's routes, sysctls and firewall are never reachable through a grant, and a
// namespace outside the prefixes cannot be named at all (not even listed).

export interface Grant {
  namespaces: string[];
  hostLinks: string[];
  /** absent = none */
  share?: string[];
}

export function parseGrant(r: Record<string, unknown>): Grant {
  const known = new Set(["namespaces", "hostLinks", "share"]);
  for (const k of Object.keys(r)) if (!known.has(k)) throw new Error(`denied: netlink: unknown restriction "${k}" (known: namespaces, hostLinks, share)`);
  const list = (k: string): string[] => {
    const v = r[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) {
      throw new Error(`denied: netlink: restriction "${k}" must be a list of non-empty name prefixes`);
    }
    return v as string[];
  };
  const g = { namespaces: list("namespaces"), hostLinks: list("hostLinks"), share: list("share") };
  if (!g.namespaces.length && !g.hostLinks.length && !g.share.length) throw new Error("denied: netlink: a grant must name namespace or host link prefixes, or namespaces to share");
  return g;
}

const matches = (name: string, prefixes: string[]): boolean => prefixes.some((p) => name.startsWith(p));

export function nsAllowed(g: Grant, ns: string): boolean {
  return ns !== "" && matches(ns, g.namespaces);
}

/** Refuses naming a namespace outside the grant ("" = host is checked per link). */
export function checkNs(g: Grant, ns: string, what: string): void {
  if (ns === "") return;
  if (!nsAllowed(g, ns)) throw new Error(`denied: ${what}: namespace "${ns}" is outside this grant (allowed prefixes: ${g.namespaces.join(", ") || "none"})`);
}

/** Refuses a link of the host namespace outside hostLinks; any link inside a granted namespace is fine. */
export function checkLink(g: Grant, ns: string, link: string, what: string): void {
  checkNs(g, ns, what);
  if (ns === "" && !matches(link, g.hostLinks)) {
    throw new Error(`denied: ${what}: link "${link}" of the host namespace is outside this grant (allowed prefixes: ${g.hostLinks.join(", ") || "none"})`);
  }
}

/** Refuses sharing a namespace the grant does not name exactly. */
export function checkShare(g: Grant, ns: string, what: string): void {
  const shared = g.share ?? [];
  if (!shared.includes(ns)) throw new Error(`denied: ${what}: namespace "${ns}" is not shared with this grant (shared: ${shared.join(", ") || "none"})`);
}

/** Host-wide state (routes, sysctls, firewall) is never granted. */
export function checkNotHost(ns: string, what: string): void {
  if (ns === "") throw new Error(`denied: ${what}: the host namespace's routes, sysctls and firewall are not reachable through a netlink grant`);
}
