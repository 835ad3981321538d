// `npm run faults [-- --deployments N] [--outage S] [--events FILE] [--json]`: the fault suite (issue 14 item 3, tools/faults/run.ts)
// on this machine: root (loop devices, namespaces). Exit 0 when 0 lost, 0 leaked, 0 duplicated and no problem; else 1;
// bad flags 2.
import process from "node:process";
import { parseArgs } from "node:util";
import { runFaults } from "./run.ts";

const USAGE = `usage: npm run faults -- [--deployments N] [--outage S] [--events FILE] [--json]
  --deployments N  deployments across every workload type (default 100)
  --outage S       seconds the chain and relay stay unreachable for the node (default 60)
  --events FILE    append every kernel event and process output line to FILE
  --json           the whole report as JSON on stdout (progress on stderr)`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { deployments: { type: "string" }, outage: { type: "string" }, events: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } } });
  } catch (e) {
    console.error(`faults: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const deployments = Number(v.deployments ?? 100);
  const outage = Number(v.outage ?? 60);
  if (!Number.isInteger(deployments) || deployments < 1 || deployments > 1000) return bad(`--deployments must be an integer 1..1000, got "${v.deployments}"`);
  if (!Number.isFinite(outage) || outage < 0 || outage > 3600) return bad(`--outage must be seconds 0..3600, got "${v.outage}"`);
  if (process.getuid?.() !== 0) return bad("needs root: the node makes loop-device pools and network namespaces");
  const log = (l: string) => (v.json ? console.error(l) : console.log(l));
  const r = await runFaults({ deployments, outageS: outage, log, eventsFile: v.events });
  if (v.json) console.log(JSON.stringify(r, null, 2));
  else {
    for (const k of r.kills) console.log(`  kill -9 ${k.target.padEnd(28)} ${k.back ? `back after ${k.backAfterS} s` : `NOT BACK: ${k.note}`}`);
    for (const x of [...r.lost.map((l) => `lost: ${l}`), ...r.duplicates.map((d) => `duplicate: ${d}`), ...r.problems.map((p) => `problem: ${p}`)]) console.log(`  ${x}`);
    for (const [kind, xs] of Object.entries(r.leaked)) for (const x of xs) console.log(`  leaked ${kind}: ${x}`);
    console.log(r.summary);
  }
  return r.lost.length || r.leakedCount || r.duplicates.length || r.problems.length ? 1 : 0;
}

function bad(msg: string): number {
  console.error(`faults: ${msg}\n${USAGE}`);
  return 2;
}

process.exitCode = await main();
process.exit();
