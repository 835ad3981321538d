// UTF-8 decoding as Go's encoding/json sees it: a leading BOM is kept (and then rejected by the JSON
// grammar, as Go does), and every byte that does not start a valid sequence becomes one U+FFFD
// (Go utf8.DecodeRune semantics), where WHATWG TextDecoder would merge a truncated sequence into one.

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeUtf8Go(b: Uint8Array): string {
  try {
    return strict.decode(b);
  } catch {
    return slow(b);
  }
}

function slow(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let n = 0;
    let min = 0;
    let cp = 0;
    if (c >= 0xc2 && c <= 0xdf) [n, cp, min] = [2, c & 0x1f, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, cp, min] = [3, c & 0x0f, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, cp, min] = [4, c & 0x07, 0x10000];
    let ok = n > 0 && i + n <= b.length;
    for (let k = 1; ok && k < n; k++) {
      const x = b[i + k];
      if ((x & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (x & 0x3f);
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      out += "\ufffd";
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += n;
  }
  return out;
}
