// Manifest syntax errors: file:line:column and what to fix, for the mistakes people make editing JSON by hand
// (trailing commas, single quotes, bare names, a comment after a value, a missing comma or brace), through
// loadManifest and the `zos kernel check` CLI; and the locator agrees with JSON.parse on which texts are JSON
// (every single-character edit of the real node manifest, seeded).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findJsonSyntaxError } from "../json-syntax.ts";
import { formatErrors, loadManifest, stripComments } from "../manifest.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "zt-tests-json-syntax-"));
  dirs.push(d);
  return d;
}

/** loadManifest's formatted error for `text` written as m.json (the lines the CLI prints) */
function syntaxError(text: string): string {
  const path = join(tempDir(), "m.json");
  writeFileSync(path, text);
  const r = loadManifest(path);
  if (r.ok) throw new Error("expected a syntax error");
  assert.is(r.errors.length, 1);
  assert.is(r.errors[0].key, "(syntax)");
  return formatErrors(r.errors, "m.json");
}

const head = '// the node\n{\n  "version": 1,\n  "processes": {\n';

test("each hand-editing mistake is named at file:line:column with the fix", () => {
  const cases: Array<[string, string]> = [
    [head + '    "kv": {"kind": "driver",},\n  }\n}\n', "m.json:5:29: not valid JSON: a property name was expected, found '}': remove the ',' before it (JSON allows no trailing comma)"],
    [head + '    "kv": {\'kind\': "driver"}\n  }\n}\n', "m.json:5:12: not valid JSON: property names take double quotes (\"...\"), not single quotes"],
    [head + '    kv: {}\n  }\n}\n', 'm.json:5:5: not valid JSON: property names take double quotes: write "kv"'],
    [head + '    "kv": {"kind": driver}\n  }\n}\n', "m.json:5:20: not valid JSON: 'driver' is not a JSON value: put text in double quotes (\"driver\"); the literals are true, false and null, lowercase"],
    [head + '    "kv": {"kind": "driver"} // the store\n  }\n}\n', "m.json:5:30: not valid JSON: a comment must be a whole line starting with //; move it to its own line"],
    [head + '    "kv": {"kind": "driver"}\n    "log": {}\n  }\n}\n', "m.json:6:5: not valid JSON: a ',' is missing between two properties (after the previous value)"],
    [head + '    "kv": {"kind": "driver"}\n  }\n', "m.json:7:1: not valid JSON: the file ends inside an object: a '}' is missing"],
    [head + '    "kv": {"sandbox": {"read": ["/a" "/b"]}}\n  }\n}\n', "m.json:5:38: not valid JSON: ',' or ']' was expected after a list item, found '\"' (a missing comma?)"],
    [head + '    "kv": {"memoryMb": 01}\n  }\n}\n', "m.json:5:24: not valid JSON: not a JSON number: '01' (no leading zeros, hex or '_'; a fraction needs digits after '.')"],
    [head + '    "kv": {"entry": "C:\\drivers"}\n  }\n}\n', "m.json:5:24: not valid JSON: '\\d' is not a JSON escape (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX); write '\\\\' for a backslash"],
    ['{"version": 1}\n}\n', "m.json:2:1: not valid JSON: text after the end of the JSON value, found '}': remove it (or a '{' or '[' is missing earlier)"],
    ["// only a comment\n", "m.json:2:1: not valid JSON: the file is empty (or only comments): write the manifest's { ... }"],
    ['{"version": 1, "processes": {"kv": {"description": "two\nlines"}}}', "m.json:1:56: not valid JSON: a string runs past the end of its line: close it with '\"' (write \\n for a line break)"],
  ];
  for (const [text, want] of cases) assert.is(syntaxError(text), want, JSON.stringify(text));
});

test("the position is the file's own: comment lines count, tabs are one column, CRLF lines end where they do", () => {
  assert.is(syntaxError("// a\r\n// b\r\n{\r\n\t\"version\": 1,\r\n}\r\n"), "m.json:5:1: not valid JSON: a property name was expected, found '}': remove the ',' before it (JSON allows no trailing comma)");
  const at = findJsonSyntaxError('{"a": [1, 2,\n\t\t]}');
  assert.equal(at, { line: 2, column: 3, problem: "a value was expected in the list, found ']': remove the ',' before it (JSON allows no trailing comma)" });
});

test("`zos kernel check` (node bin/zos.js, as users run it) prints file:line:column and exits 2", () => {
  const path = join(tempDir(), "broken.json");
  writeFileSync(path, head + '    "kv": {"kind": "driver",}\n  }\n}\n');
  let out = "";
  let code = 0;
  try {
    execFileSync("node", [join(repoRoot, "bin", "zos.js"), "kernel", "check", "--manifest", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  } catch (e) {
    const err = e as { status: number; stderr: string; stdout: string };
    code = err.status;
    out = err.stderr + err.stdout;
  }
  assert.is(code, 2, out);
  assert.ok(out.includes(`${path}:5:29: not valid JSON: a property name was expected, found '}': remove the ',' before it`), out);
  assert.not.match(out, /\n\s+at /, "no stack trace for a user's mistake");
});

/** mulberry32: a small seeded generator, so a failure names an input that can be made again */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("the locator and JSON.parse agree on 3000 one-character edits of the node manifest", () => {
  const base = stripComments(readFileSync(join(repoRoot, "manifests", "node.json"), "utf8"));
  assert.is(findJsonSyntaxError(base), null);
  const alphabet = ` \t\n{}[],:"'\\/0123456789.-+eEtrufalsnxu`;
  const next = rng(17);
  let broken = 0;
  for (let n = 0; n < 3000; n++) {
    const at = Math.floor(next() * base.length);
    const c = alphabet[Math.floor(next() * alphabet.length)];
    const kind = Math.floor(next() * 3);
    const text = kind === 0 ? base.slice(0, at) + base.slice(at + 1) : kind === 1 ? base.slice(0, at) + c + base.slice(at) : base.slice(0, at) + c + base.slice(at + 1);
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    const found = findJsonSyntaxError(text);
    assert.is(found === null, valid, `edit ${n} (${["delete", "insert", "replace"][kind]} ${JSON.stringify(c)} at ${at}): JSON.parse ${valid ? "accepts" : "refuses"}, the locator says ${JSON.stringify(found)}`);
    if (found) {
      broken++;
      const lines = text.split("\n");
      assert.ok(found.line >= 1 && found.line <= lines.length && found.column >= 1 && found.column <= lines[found.line - 1].length + 1, `edit ${n}: ${found.line}:${found.column} is inside the text`);
    }
  }
  assert.ok(broken > 600, `most edits break the JSON (${broken})`);
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
