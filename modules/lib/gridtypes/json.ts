// A JSON reader that behaves like Go's encoding/json where it matters for hashing:
// numbers keep their exact source text (u64 sizes and contract ids exceed 2^53), objects keep every
// key in source order (Go assigns duplicate and case-variant keys in order, last one wins), and
// the grammar is strict RFC 8259. Depth is bounded so hostile input cannot blow the stack.

export class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export class JsonObject {
  readonly entries: [string, JsonValue][];
  constructor(entries: [string, JsonValue][]) {
    this.entries = entries;
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonObject | JsonValue[];

export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

const MAX_DEPTH = 1000;

/** Parses `text` (already decoded from UTF-8). Throws JsonSyntaxError with the offset. */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i !== text.length) p.fail("unexpected data after the top-level value");
  return v;
}

class Parser {
  readonly s: string;
  i = 0;
  constructor(s: string) {
    this.s = s;
  }

  fail(what: string): never {
    throw new JsonSyntaxError(`invalid JSON at offset ${this.i}: ${what}`);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.s[this.i];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      case undefined:
        return this.fail("unexpected end of input");
      default:
        if (c === "-" || (c >= "0" && c <= "9")) return this.number();
        return this.fail(`unexpected character ${describe(c)}`);
    }
  }

  literal<T>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail(`expected ${word}`);
  }

  number(): JsonNumber {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s[i] === "-") i++;
    if (s[i] === "0") i++;
    else if (s[i] >= "1" && s[i] <= "9") while (s[i] >= "0" && s[i] <= "9") i++;
    else {
      this.i = i;
      this.fail("invalid number");
    }
    if (s[i] === ".") {
      i++;
      if (!(s[i] >= "0" && s[i] <= "9")) {
        this.i = i;
        this.fail("invalid number: digit expected after '.'");
      }
      while (s[i] >= "0" && s[i] <= "9") i++;
    }
    if (s[i] === "e" || s[i] === "E") {
      i++;
      if (s[i] === "+" || s[i] === "-") i++;
      if (!(s[i] >= "0" && s[i] <= "9")) {
        this.i = i;
        this.fail("invalid number: digit expected in exponent");
      }
      while (s[i] >= "0" && s[i] <= "9") i++;
    }
    this.i = i;
    return new JsonNumber(s.slice(start, i));
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = "";
    let runStart = i;
    for (;;) {
      if (i >= s.length) {
        this.i = i;
        this.fail("unterminated string");
      }
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(runStart, i);
        this.i = i + 1;
        return out;
      }
      if (c < 0x20) {
        this.i = i;
        this.fail("control character in string");
      }
      if (c === 0x5c) {
        out += s.slice(runStart, i);
        const e = s[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.i = i;
              this.fail("invalid \\u escape");
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.i = i - 1;
            this.fail("invalid escape");
        }
        runStart = i;
        continue;
      }
      i++;
    }
  }

  array(depth: number): JsonValue[] {
    this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === "]") {
        this.i++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }

  object(depth: number): JsonObject {
    this.i++;
    const entries: [string, JsonValue][] = [];
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return new JsonObject(entries);
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a string key");
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      this.ws();
      entries.push([k, this.value(depth + 1)]);
      this.ws();
      const c = this.s[this.i];
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === "}") {
        this.i++;
        return new JsonObject(entries);
      }
      this.fail("expected ',' or '}'");
    }
  }
}

function describe(c: string): string {
  const code = c.codePointAt(0)!;
  const u = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code === 0xfeff) return `${u} (a byte order mark; save the file as UTF-8 without BOM)`;
  return code < 0x20 || code > 0x7e ? u : `${JSON.stringify(c)}`;
}

/** Serialises a parsed value back to compact JSON (numbers verbatim). */
export function stringifyJson(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof JsonNumber) return v.text;
  if (Array.isArray(v)) return "[" + v.map(stringifyJson).join(",") + "]";
  return "{" + v.entries.map(([k, x]) => JSON.stringify(k) + ":" + stringifyJson(x)).join(",") + "}";
}

/**
 * Go matches JSON keys to struct fields exactly first, then with Unicode simple case folding.
 * Field names here are lowercase ASCII, so folding the key is enough; the two non-ASCII letters
 * that fold onto ASCII (KELVIN SIGN → k, LONG S → s) are handled as Go does.
 */
export function foldKey(k: string): string {
  let ascii = true;
  for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) > 0x7f) ascii = false;
  const lower = k.toLowerCase();
  if (ascii) return lower;
  return lower.replace(/\u212a/g, "k").replace(/\u017f/g, "s");
}
