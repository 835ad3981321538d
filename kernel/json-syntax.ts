// Where a JSON text is broken and what to do about it. V8's JSON.parse messages name a position for some
// errors and none for others ("Unexpected token 'x', ... is not valid JSON"), and never say how to fix it; an
// operator editing a manifest by hand needs the line, the column and the fix. This walks the JSON grammar
// (RFC 8259) and stops at the first character that cannot continue it.

export interface JsonSyntaxError {
  /** 1-based line and column of the offending character (columns count UTF-16 code units, as editors do) */
  line: number;
  column: number;
  /** what is wrong there and how to fix it, one sentence */
  problem: string;
}

class Stop extends Error {
  readonly at: number;
  constructor(at: number, problem: string) {
    super(problem);
    this.at = at;
  }
}

const MAX_DEPTH = 512;

/** The first syntax error in `text`, or null when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const show = (at: number) => (at >= text.length ? "the end of the file" : `'${text[at]}'`);
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const expectedValue = (after: string): never => {
    const c = text[i];
    if (i >= text.length) throw new Stop(i, `the file ends where a value was expected ${after}: it is cut short, or a '}' or ']' is missing`);
    if (c === "'") throw new Stop(i, "strings take double quotes (\"...\"), not single quotes");
    if (c === "/") throw new Stop(i, "a comment must be a whole line starting with //; move it to its own line");
    if (c === "}" || c === "]") throw new Stop(i, `a value was expected ${after}, found '${c}': remove the ',' before it (JSON allows no trailing comma)`);
    if (c === ",") throw new Stop(i, `a value was expected ${after}, found ',': remove the extra comma`);
    throw new Stop(i, `a value was expected ${after}, found ${show(i)}: write a string in double quotes, a number, true, false, null, an object or an array`);
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(i, "the file ends inside a string: close it with '\"'");
      const c = text[i];
      if (c === '"') return void i++;
      if (c === "\n" || c === "\r") throw new Stop(i, "a string runs past the end of its line: close it with '\"' (write \\n for a line break)");
      if (c < " ") throw new Stop(i, `a control character (code ${c.charCodeAt(0)}) inside a string: write it escaped (\\t, \\u00XX)`);
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, "\\u must be followed by four hex digits");
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Stop(i, `'\\${e ?? ""}' is not a JSON escape (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX); write '\\\\' for a backslash`);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) throw new Stop(i, `not a JSON number at ${show(i)}: write digits, e.g. 0, -1, 2.5 (no leading '+', '.' or 0x)`);
    if (/^[0-9.xXeE_]/.test(text[i + m[0].length] ?? "")) throw new Stop(i, `not a JSON number: '${text.slice(i, i + m[0].length + 1)}' (no leading zeros, hex or '_'; a fraction needs digits after '.')`);
    i += m[0].length;
  };
  const value = (depth: number, after: string) => {
    ws();
    const c = text[i];
    if (c === "{") return object(depth + 1);
    if (c === "[") return array(depth + 1);
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) return void (i += word.length);
    }
    const bare = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 100));
    if (bare) throw new Stop(i, `'${bare[0]}' is not a JSON value: put text in double quotes ("${bare[0]}"); the literals are true, false and null, lowercase`);
    expectedValue(after);
  };
  const object = (depth: number) => {
    if (depth > MAX_DEPTH) throw new Stop(i, `nested deeper than ${MAX_DEPTH} levels`);
    i++; // '{'
    ws();
    if (text[i] === "}") return void i++;
    for (;;) {
      ws();
      if (text[i] !== '"') {
        if (text[i] === "}") throw new Stop(i, "a property name was expected, found '}': remove the ',' before it (JSON allows no trailing comma)");
        const bare = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i, i + 100));
        if (bare) throw new Stop(i, `property names take double quotes: write "${bare[0]}"`);
        if (text[i] === "'") throw new Stop(i, "property names take double quotes (\"...\"), not single quotes");
        if (text[i] === ",") throw new Stop(i, "a property name was expected, found ',': remove the extra comma");
        if (text[i] === "/") throw new Stop(i, "a comment must be a whole line starting with //; move it to its own line");
        if (i >= text.length) throw new Stop(i, "the file ends inside an object: a '}' is missing");
        throw new Stop(i, `a property name in double quotes was expected, found ${show(i)}`);
      }
      const name = i;
      string();
      const key = text.slice(name, i);
      ws();
      if (text[i] !== ":") throw new Stop(i, `':' was expected after the property name ${key}, found ${show(i)}`);
      i++;
      value(depth, `after ${key}:`);
      ws();
      if (text[i] === "}") return void i++;
      if (text[i] !== ",") {
        if (i >= text.length) throw new Stop(i, "the file ends inside an object: a '}' is missing");
        if (text[i] === '"') throw new Stop(i, "a ',' is missing between two properties (after the previous value)");
        if (text[i] === "/") throw new Stop(i, "a comment must be a whole line starting with //; move it to its own line");
        throw new Stop(i, `',' or '}' was expected after a property's value, found ${show(i)}`);
      }
      i++;
    }
  };
  const array = (depth: number) => {
    if (depth > MAX_DEPTH) throw new Stop(i, `nested deeper than ${MAX_DEPTH} levels`);
    i++; // '['
    ws();
    if (text[i] === "]") return void i++;
    for (;;) {
      value(depth, "in the list");
      ws();
      if (text[i] === "]") return void i++;
      if (text[i] !== ",") {
        if (i >= text.length) throw new Stop(i, "the file ends inside a list: a ']' is missing");
        if (text[i] === "/") throw new Stop(i, "a comment must be a whole line starting with //; move it to its own line");
        throw new Stop(i, `',' or ']' was expected after a list item, found ${show(i)} (a missing comma?)`);
      }
      i++;
    }
  };
  try {
    ws();
    if (i >= text.length) throw new Stop(i, "the file is empty (or only comments): write the manifest's { ... }");
    value(0, "at the start");
    ws();
    if (i < text.length) throw new Stop(i, `text after the end of the JSON value, found ${show(i)}: remove it (or a '{' or '[' is missing earlier)`);
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.at);
    const line = before.split("\n").length;
    return { line, column: e.at - (before.lastIndexOf("\n") + 1) + 1, problem: e.message };
  }
}
