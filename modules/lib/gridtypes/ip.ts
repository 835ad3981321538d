// IP and CIDR parsing and printing exactly as Go's net package (Go ≥ 1.22, backed by net/netip):
// - net.ParseIP: strict dotted IPv4 (no leading zeros), IPv6 with optional trailing embedded
//   IPv4, no zone; the result is always the 16-byte form.
// - net.ParseCIDR as used by gridtypes.ParseIPNet: the address is kept as typed (host bits are
//   NOT masked), the mask is 4 bytes for plain IPv4, 16 bytes otherwise.
// - String(): IPv4 and IPv4-mapped IPv6 print dotted; IPv6 prints RFC 5952 style (longest run of
//   ≥ 2 zero groups becomes "::", first run on ties, lowercase, no leading zeros).

/** A net.IP in 16-byte form. */
export interface GoIP {
  bytes: Uint8Array;
}

/** A net.IPNet as gridtypes stores it: `ip` 16 bytes as parsed, `mask` 4 or 16 bytes. */
export interface GoIPNet {
  ip: Uint8Array;
  mask: Uint8Array;
}

function parseIPv4Into(s: string, out: Uint8Array, at: number): boolean {
  let fields = 0;
  let val = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && leadingZero) return false; // "01" is rejected by Go (ambiguous octal)
      val = val * 10 + (c - 48);
      digits++;
      if (digits === 1 && c === 48) leadingZero = true;
      if (val > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || fields === 3) return false;
      out[at + fields] = val;
      fields++;
      val = 0;
      digits = 0;
      leadingZero = false;
    } else return false;
  }
  if (digits === 0 || fields !== 3) return false;
  out[at + 3] = val;
  return true;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseIPv6(s: string): Uint8Array | null {
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let p = 0;
  if (s.length >= 2 && s[0] === ":" && s[1] === ":") {
    ellipsis = 0;
    p = 2;
    if (p === s.length) return ip; // "::"
  }
  while (i < 16) {
    // one hex group (1..4 digits)
    let off = 0;
    let acc = 0;
    while (p + off < s.length) {
      const h = hexVal(s.charCodeAt(p + off));
      if (h < 0) break;
      acc = (acc << 4) | h;
      off++;
      if (off > 4) return null;
    }
    if (off === 0) return null;
    // embedded IPv4 in the last 32 bits
    if (p + off < s.length && s[p + off] === ".") {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      let end = p;
      while (end < s.length && s[end] !== ":") end++;
      if (end !== s.length) return null;
      if (!parseIPv4Into(s.slice(p), ip, i)) return null;
      p = s.length;
      i += 4;
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    p += off;
    if (p === s.length) break;
    if (s[p] !== ":" || p + 1 === s.length) return null;
    p++;
    if (s[p] === ":") {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      p++;
      if (p === s.length) break;
    }
  }
  if (p !== s.length) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j];
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) return null; // "::" must stand for at least one zero group
  return ip;
}

/** Parses like netip.ParseAddr without zones; returns [16 bytes, isPlainIPv4] or null. */
function parseAddr(s: string): [Uint8Array, boolean] | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ".") {
      const b = new Uint8Array(16);
      b[10] = 0xff;
      b[11] = 0xff;
      return parseIPv4Into(s, b, 12) ? [b, true] : null;
    }
    if (c === ":") {
      const b = parseIPv6(s);
      return b ? [b, false] : null;
    }
    if (c === "%") return null;
  }
  return null;
}

/** net.ParseIP. */
export function parseGoIP(s: string): GoIP | null {
  const r = parseAddr(s);
  return r ? { bytes: r[0] } : null;
}

/** net.ParseCIDR with the address kept as typed (gridtypes.ParseIPNet). */
export function parseGoIPNet(s: string): GoIPNet | null {
  const slash = s.indexOf("/");
  if (slash < 0) return null;
  const r = parseAddr(s.slice(0, slash));
  if (!r) return null;
  const bits = r[1] ? 32 : 128;
  const m = s.slice(slash + 1);
  // Go's dtoi: decimal digits only (leading zeros allowed), at least one, capped
  if (!/^[0-9]+$/.test(m)) return null;
  let n = 0;
  for (let i = 0; i < m.length; i++) {
    n = n * 10 + (m.charCodeAt(i) - 48);
    if (n >= 0xffffff || n > bits) return null;
  }
  return { ip: r[0], mask: cidrMask(n, bits) };
}

export function cidrMask(ones: number, bits: number): Uint8Array {
  const m = new Uint8Array(bits / 8);
  for (let i = 0; i < m.length; i++) {
    const take = Math.max(0, Math.min(8, ones - i * 8));
    m[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return m;
}

function isV4Mapped(b: Uint8Array): boolean {
  if (b.length === 4) return true;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function v4String(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function v6String(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  let zs = -1;
  let ze = -1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    const l = j - i;
    if (l >= 2 && l > ze - zs) {
      zs = i;
      ze = j;
    }
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === zs) {
      out += "::";
      i = ze - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += g[i].toString(16);
  }
  return out;
}

/** net.IP.String(). `null` is a nil IP. */
export function goIPString(ip: GoIP | null): string {
  if (!ip || ip.bytes.length === 0) return "<nil>";
  const b = ip.bytes;
  if (b.length === 4) return v4String(b, 0);
  if (isV4Mapped(b)) return v4String(b, 12);
  return v6String(b);
}

function simpleMaskLength(m: Uint8Array): number {
  let n = 0;
  let done = false;
  for (const v of m) {
    if (done) {
      if (v !== 0) return -1;
      continue;
    }
    if (v === 0xff) {
      n += 8;
      continue;
    }
    let x = v;
    while (x & 0x80) {
      n++;
      x = (x << 1) & 0xff;
    }
    if (x !== 0) return -1;
    done = true;
  }
  return n;
}

/** net.IPNet.String() (networkNumberAndMask semantics; host bits shown as stored). `null` = `<nil>`. */
export function goIPNetString(n: GoIPNet | null): string {
  if (!n) return "<nil>";
  let ip: Uint8Array;
  if (isV4Mapped(n.ip)) ip = n.ip.length === 4 ? n.ip : n.ip.subarray(12);
  else if (n.ip.length === 16) ip = n.ip;
  else return "<nil>";
  let m = n.mask;
  if (m.length === 4) {
    if (ip.length !== 4) return "<nil>";
  } else if (m.length === 16) {
    if (ip.length === 4) m = m.subarray(12);
  } else return "<nil>";
  const addr = ip.length === 4 ? v4String(ip, 0) : v6String(ip);
  const l = simpleMaskLength(m);
  if (l < 0) return `${addr}/${Array.from(m, (x) => x.toString(16).padStart(2, "0")).join("")}`;
  return `${addr}/${l}`;
}

/** IP.To4() != nil. */
export function isIPv4(ip: GoIP): boolean {
  return isV4Mapped(ip.bytes);
}

export function isLoopback(ip: GoIP): boolean {
  if (isV4Mapped(ip.bytes)) return ip.bytes[ip.bytes.length === 4 ? 0 : 12] === 127;
  for (let i = 0; i < 15; i++) if (ip.bytes[i] !== 0) return false;
  return ip.bytes[15] === 1;
}
