// `npm run fuzz [-- --count N] [--seed S] [--only I,J] [--json] [surface ...]`: bad input at volume (issue 14
// item 4). Each surface gets N generated inputs (default 10,000) from seed S (default 1; every input is
// reproducible alone with --only). Exit 0 when no surface crashed, changed state or stopped serving, else 1;
// bad flags 2.
import process from "node:process";
import { parseArgs } from "node:util";
import { formatReport, runSurface, type Report } from "./harness.ts";
import { SURFACES } from "./surfaces.ts";

const USAGE = `usage: npm run fuzz -- [--count N] [--seed S] [--only I,J] [--json] [surface ...]
  --count N   inputs per surface (default 10000)
  --seed S    generator seed (default 1); a finding is reproduced with the same seed and --only
  --only I,J  feed only these input indexes
  --json      one JSON report per surface
surfaces: ${SURFACES.map((s) => s.name).join(", ")}`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { count: { type: "string" }, seed: { type: "string" }, only: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } }, allowPositionals: true });
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = Number(values.count ?? 10_000);
  const seed = Number(values.seed ?? 1);
  const only = values.only?.split(",").map(Number);
  if (!Number.isInteger(count) || count < 1) return bad(`--count must be a positive integer, got "${values.count}"`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return bad(`--seed must be an integer 0..4294967295, got "${values.seed}"`);
  if (only?.some((i) => !Number.isInteger(i) || i < 0)) return bad(`--only takes input indexes like 3,17, got "${values.only}"`);
  const unknown = positionals.find((p) => !SURFACES.some((s) => s.name === p));
  if (unknown) return bad(`unknown surface "${unknown}" (known: ${SURFACES.map((s) => s.name).join(", ")})`);
  const chosen = positionals.length ? SURFACES.filter((s) => positionals.includes(s.name)) : SURFACES;
  const reports: Report[] = [];
  for (const s of chosen) {
    const r = await runSurface(s, { count, seed, only });
    reports.push(r);
    console.log(values.json ? JSON.stringify(r) : formatReport(r));
  }
  if (!values.json) console.log(`seed ${seed}; ${reports.reduce((n, r) => n + r.inputs, 0)} inputs, ${reports.reduce((n, r) => n + r.crashes.length, 0)} crashes`);
  return reports.every((r) => r.crashes.length === 0) ? 0 : 1;
}

function bad(msg: string): number {
  console.error(`fuzz: ${msg}\n${USAGE}`);
  return 2;
}

process.exitCode = await main();
// servers closed, but a library may keep a timer: the answer is in, leave
process.exit();
