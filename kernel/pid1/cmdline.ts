// The kernel command line as Zero-OS reads it (ZOS-REFERENCE §2.2): shell-split words, each
// `key=value` or a bare `key`; repeated keys accumulate and "get one" takes the last value.
// Pure: no I/O, so it is unit-tested on the host.

export type RunMode = "dev" | "qa" | "test" | "prod";
export type Flavour = "v3" | "v3light" | "v4";

export interface BootParams {
  /** Every key with all its values in order (bare keys have one empty-string value per use). */
  raw: Map<string, string[]>;
  /** Farm id; null = orphan node (FarmID 0 on chain: registration fails, as on Zero-OS). */
  farmerId: number | null;
  runmode: RunMode;
  version: Flavour;
  substrate: string[];
  relay: string[];
  activation: string[];
  hub: string | null;
  secret: string | null;
  vlanPriv: string | null;
  vlanPub: string | null;
  pubMac: "random" | "swap" | null;
  debug: boolean;
  debugVm: boolean;
  disableGpu: boolean;
  missingSsd: boolean;
  sshUser: string | null;
  domain: string | null;
  /** Problems found while reading (kept, not thrown: a node must boot and say what is wrong). */
  warnings: string[];
}

/** Shell-style split: whitespace separates words, single/double quotes group, backslash escapes. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

const RUNMODES: Record<string, RunMode> = {
  dev: "dev",
  development: "dev",
  qa: "qa",
  test: "test",
  testing: "test",
  prod: "prod",
  production: "prod",
};

export function parseCmdline(line: string, env: Record<string, string | undefined> = {}): BootParams {
  const raw = new Map<string, string[]>();
  for (const w of shellSplit(line)) {
    const eq = w.indexOf("=");
    const key = eq < 0 ? w : w.slice(0, eq);
    const value = eq < 0 ? "" : w.slice(eq + 1);
    if (!key) continue;
    const list = raw.get(key) ?? [];
    list.push(value);
    raw.set(key, list);
  }
  const warnings: string[] = [];
  const last = (k: string): string | null => {
    const v = raw.get(k);
    return v && v.length ? v[v.length - 1] : null;
  };
  const all = (k: string): string[] => (raw.get(k) ?? []).filter((v) => v !== "");

  let farmerId: number | null = null;
  const farm = last("farmer_id");
  if (farm !== null && farm !== "") {
    if (/^\d+$/.test(farm) && Number(farm) <= 0xffffffff) farmerId = Number(farm);
    else warnings.push(`farmer_id="${farm}" is not a 32-bit unsigned number; the node is an orphan (farm 0)`);
  }

  const rm = last("runmode") ?? env.ZOS_RUNMODE ?? null;
  let runmode: RunMode = "prod";
  if (rm !== null) {
    const m = RUNMODES[rm];
    if (m) runmode = m;
    else warnings.push(`runmode="${rm}" is unknown; using prod (accepted: dev, qa, test, prod)`);
  }

  const ver = last("version");
  let version: Flavour = "v3";
  if (ver === "v3" || ver === "v3light" || ver === "v4") version = ver;
  else if (ver !== null) warnings.push(`version="${ver}" is unknown; using v3`);

  const substrate = all("substrate");
  if (!substrate.length && env.ZOS_SUBSTRATE_URL) substrate.push(env.ZOS_SUBSTRATE_URL);
  for (const u of [...substrate, ...all("relay"), ...all("activation")]) {
    if (!/^(wss?|https?):\/\/[^\s/]+/.test(u)) warnings.push(`"${u}" is not a ws(s):// or http(s):// URL`);
  }

  const pubMac = last("pub:mac");
  if (pubMac !== null && pubMac !== "random" && pubMac !== "swap") warnings.push(`pub:mac="${pubMac}" is unknown (random or swap)`);

  return {
    raw,
    farmerId,
    runmode,
    version,
    substrate,
    relay: all("relay"),
    activation: all("activation"),
    hub: last("hub") || null,
    secret: last("secret"),
    vlanPriv: last("vlan:priv"),
    vlanPub: last("vlan:pub"),
    pubMac: pubMac === "random" || pubMac === "swap" ? pubMac : null,
    debug: raw.has("zos-debug"),
    debugVm: raw.has("zos-debug-vm"),
    disableGpu: raw.has("disable-gpu"),
    missingSsd: raw.has("missing-ssd"),
    sshUser: last("ssh-user") || null,
    domain: last("domain") || null,
    warnings,
  };
}

/** Chain / relay URLs per run mode (ZOS-REFERENCE §2.3), used when the command line names none. */
export const DEFAULT_SUBSTRATE: Record<RunMode, string[]> = {
  dev: ["wss://tfchain.dev.grid.tf/", "wss://tfchain.02.dev.grid.tf"],
  qa: ["wss://tfchain.qa.grid.tf/", "wss://tfchain.02.qa.grid.tf"],
  test: ["wss://tfchain.test.grid.tf/", "wss://tfchain.02.test.grid.tf"],
  prod: ["wss://tfchain.grid.tf/", "wss://tfchain.02.grid.tf", "wss://02.tfchain.grid.tf/", "wss://03.tfchain.grid.tf/", "wss://04.tfchain.grid.tf/"],
};

export const DEFAULT_RELAY: Record<RunMode, string[]> = {
  dev: ["wss://relay.dev.grid.tf"],
  qa: ["wss://relay.qa.grid.tf"],
  test: ["wss://relay.test.grid.tf"],
  prod: ["wss://relay.grid.tf"],
};

/** Activation services per run mode (ZOS-REFERENCE §2.3): fund a new node account (§2.4 step 2). */
export const DEFAULT_ACTIVATION: Record<RunMode, string[]> = {
  dev: ["https://activation.dev.grid.tf/activation/activate"],
  qa: ["https://activation.qa.grid.tf/activation/activate"],
  test: ["https://activation.test.grid.tf/activation/activate"],
  prod: ["https://activation.grid.tf/activation/activate"],
};

export function activationUrls(p: BootParams): string[] {
  return p.activation.length ? p.activation : DEFAULT_ACTIVATION[p.runmode];
}

export function substrateUrls(p: BootParams): string[] {
  return p.substrate.length ? p.substrate : DEFAULT_SUBSTRATE[p.runmode];
}

export function relayUrls(p: BootParams): string[] {
  return p.relay.length ? p.relay : DEFAULT_RELAY[p.runmode];
}

/** A JSON-safe view for the boot trace and the API (the farm secret is never echoed). */
export function describeParams(p: BootParams): Record<string, unknown> {
  return {
    farmer_id: p.farmerId,
    runmode: p.runmode,
    version: p.version,
    substrate: substrateUrls(p),
    relay: relayUrls(p),
    activation: activationUrls(p),
    hub: p.hub,
    secret: p.secret === null ? null : "<set>",
    zos_debug: p.debug,
    warnings: p.warnings,
  };
}
