// Benchmarks write their results into docs/PERFORMANCE.md, each into its own section delimited by
// `<!-- bench:NAME -->` ... `<!-- /bench:NAME -->`, so areas can be re-run independently without
// clobbering each other. The write is atomic (temp file + rename).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";

const perfFile = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "docs", "PERFORMANCE.md");

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${process.versions.deno ? "Deno " + process.versions.deno : "Node " + process.versions.node}`;
}

/** Replaces (or appends) section `name` of docs/PERFORMANCE.md with `markdown`. */
export function writeSection(name: string, markdown: string, file = perfFile): void {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    text = "# Performance\n";
  }
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${markdown.trim()}\n${close}`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start >= 0 && end > start) text = text.slice(0, start) + block + text.slice(end + close.length);
  else text = text.trimEnd() + "\n\n" + block + "\n";
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
