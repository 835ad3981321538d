// Regenerates TypeScript for every Cap'n Proto schema in capabilities/schema/ into capabilities/schema/gen/.
// The generated files are committed, so the OS runtime never needs a schema compiler; this tool needs
// Debian's `capnpc` (package capnproto) and capnp-es's code generator.
//
// usage: deno run -A tools/capnp-gen.ts [--check] [--id NAME.capnp]
//   --check  generate into memory and exit 1 if a committed file differs (or is missing / extra)
//   --id     print the file id a new schema named NAME.capnp must use (see capabilities/schema/README.md)
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
export const schemaDir = join(root, "capabilities", "schema");
export const genDir = join(schemaDir, "gen");

/** The file id scheme: top bit set (capnp requires it) | first 63 bits of sha256("zos-ts:capabilities/schema/NAME"). */
export function schemaFileId(name: string): bigint {
  const digest = createHash("sha256").update(`zos-ts:capabilities/schema/${name}`).digest();
  return digest.readBigUInt64BE(0) | 0x8000000000000000n;
}

export function listSchemas(): string[] {
  return readdirSync(schemaDir).filter((n) => n.endsWith(".capnp")).sort();
}

function declaredFileId(source: string): bigint | null {
  const m = /^\s*@0x([0-9a-fA-F]{16})\s*;/m.exec(source);
  return m ? BigInt(`0x${m[1]}`) : null;
}

function runCapnpc(files: string[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    execFile(
      "capnpc",
      ["-o-", `--src-prefix=${schemaDir}`, `-I${schemaDir}`, ...files],
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const why = (err as NodeJS.ErrnoException).code === "ENOENT"
            ? "capnpc not found: install Debian package capnproto"
            : `capnpc failed:\n${stderr.toString()}`;
          reject(new Error(why));
        } else resolve(new Uint8Array(stdout));
      },
    );
  });
}

/** Generates TS for every schema; returns file name (relative to gen/) → content. */
export async function generate(): Promise<Map<string, string>> {
  const schemas = listSchemas();
  for (const name of schemas) {
    const id = declaredFileId(readFileSync(join(schemaDir, name), "utf8"));
    const want = schemaFileId(name);
    if (id === null) throw new Error(`${name}: no file id line (add: @0x${want.toString(16)};)`);
    // Existing files keep their id (changing it changes every type id on the wire); new ones use the scheme.
    if (id !== want) console.error(`capnp-gen: note: ${name} does not use the path-derived id @0x${want.toString(16)}`);
  }
  const request = await runCapnpc(schemas.map((n) => join(schemaDir, n)));
  const { compileAll } = await import("capnp-es/compiler");
  const { files } = await compileAll(Buffer.from(request.buffer, request.byteOffset, request.byteLength), { ts: true, js: false, dts: false });
  const out = new Map<string, string>();
  for (const [fileName, content] of files) {
    const name = basename(fileName);
    // Same indentation fix as capnp-es's CLI; imports between schemas must carry the .ts extension for Deno.
    const text = content
      .replace(/^\s+/gm, (m: string) => " ".repeat(m.length / 2))
      .replace(/from "(\.\/[^"]+)\.js"/g, 'from "$1.ts"')
      // The project compiles with noImplicitOverride; capnp-es's output predates it.
      .replace(/^(  )static readonly _capnp = /gm, "$1static override readonly _capnp = ")
      .replace(/^(  )toString\(\): string \{/gm, "$1override toString(): string {")
      .replace(/^(  )readonly target: (\w+\$Server\$Target);/gm, "$1override readonly target: $2;");
    out.set(name, text);
  }
  return out;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Differences between generated files and the committed ones (empty = up to date). */
export function diffGenerated(files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, text] of files) {
    const p = join(genDir, name);
    if (!existsSync(p)) problems.push(`missing ${p}`);
    else if (readFileSync(p, "utf8") !== text) problems.push(`stale ${p}`);
  }
  if (existsSync(genDir)) {
    for (const name of readdirSync(genDir)) {
      if (name.endsWith(".ts") && !files.has(name)) problems.push(`extra ${join(genDir, name)} (no schema)`);
    }
  }
  return problems;
}

async function main(): Promise<number> {
  const usage = "usage: deno run -A tools/capnp-gen.ts [--check] [--id NAME.capnp]";
  let values: { check?: boolean; id?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { check: { type: "boolean", default: false }, id: { type: "string" }, help: { type: "boolean" } },
    }));
  } catch (e) {
    console.error(`capnp-gen: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.id !== undefined && !/^[a-z0-9_-]+\.capnp$/.test(values.id)) {
    console.error(`capnp-gen: --id wants a schema file name like foo.capnp, got "${values.id}"`);
    return 2;
  }
  if (values.id) {
    console.log(`@0x${schemaFileId(values.id).toString(16)};`);
    return 0;
  }
  let files: Map<string, string>;
  try {
    files = await generate();
  } catch (e) {
    console.error(`capnp-gen: ${(e as Error).message}`);
    return 2;
  }
  if (values.check) {
    const problems = diffGenerated(files);
    for (const p of problems) console.error(`capnp-gen: ${p} — run: npm run capnp:gen`);
    return problems.length === 0 ? 0 : 1;
  }
  mkdirSync(genDir, { recursive: true });
  for (const [name, text] of files) {
    writeAtomic(join(genDir, name), text);
    console.log(`wrote ${join("capabilities/schema/gen", name)}`);
  }
  // Generated files whose schema is gone would otherwise linger (and fail --check).
  for (const name of readdirSync(genDir)) {
    if (name.endsWith(".ts") && !files.has(name)) {
      unlinkSync(join(genDir, name));
      console.log(`removed ${join("capabilities/schema/gen", name)} (no schema)`);
    }
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || (globalThis as { Deno?: { mainModule?: string } }).Deno?.mainModule === import.meta.url) {
  process.exitCode = await main();
}
