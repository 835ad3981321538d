// The fuzz harness: a surface is a real server (or the library a server runs) fed generated bad inputs. Each input
// comes from its own seeded generator (seed, index), so one input is reproduced alone with `--only <index>`.
// A finding ("crash") is: the surface throwing something other than its own refusal, a refusal without a clear
// message (empty, a stack trace, "[object Object]", a TypeError's text), an HTTP 5xx, a hang, an unhandled
// rejection, a server that stops answering, or state that changed although every input was refused.
import process from "node:process";
import { Rng } from "./rng.ts";

/** What the surface answered: accepted (a valid input, rare by construction) or refused with the text a user sees. */
export type Verdict = { accepted: true } | { refused: string };

export interface Target {
  feed(rng: Rng, index: number): Promise<Verdict>;
  /** A fingerprint of everything the inputs must not change (stores, queues, chain head, served names). */
  state(): Promise<string>;
  /** Throws unless the surface still serves a good request correctly. */
  alive(): Promise<void>;
  stop(): Promise<void>;
}

export interface Surface {
  name: string;
  /** what is fed to what, in one line (printed with the counts) */
  what: string;
  start(): Promise<Target>;
}

export interface Finding {
  index: number;
  what: string;
}

export interface Report {
  surface: string;
  what: string;
  seed: number;
  inputs: number;
  accepted: number;
  refused: number;
  crashes: Finding[];
  stateUnchanged: boolean;
  aliveAfter: boolean;
  seconds: number;
  /** a few refusals, to show what users read */
  samples: string[];
}

export function inputRng(seed: number, index: number): Rng {
  return new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
}

const UNCLEAR = [/\n\s+at /, /\[object Object\]/, /Cannot read propert/, /is not a function/, /undefined is not/, /Maximum call stack/, /^\s*$/];

/** Null when `text` is a clear refusal, else why it is not. */
export function unclear(text: string): string | null {
  for (const re of UNCLEAR) if (re.test(text)) return `unclear error text (${re}): ${JSON.stringify(text.slice(0, 300))}`;
  return null;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<T>((_, rej) => (timer = setTimeout(() => rej(new Error(`hang: ${what} took over ${ms} ms`)), ms)))])
    .finally(() => clearTimeout(timer));
}

export interface RunOptions {
  count: number;
  seed: number;
  /** run only these input indexes (reproduce a finding) */
  only?: number[];
  timeoutMs?: number;
  log?: (line: string) => void;
}

export async function runSurface(s: Surface, o: RunOptions): Promise<Report> {
  const t0 = Date.now();
  const report: Report = { surface: s.name, what: s.what, seed: o.seed, inputs: 0, accepted: 0, refused: 0, crashes: [], stateUnchanged: true, aliveAfter: true, seconds: 0, samples: [] };
  let current = -1;
  const onUnhandled = (e: unknown) => report.crashes.push({ index: current, what: `unhandled: ${(e as Error)?.stack ?? String(e)}` });
  const target = await s.start(); // a surface that cannot start fails the run plainly
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
  try {
    const before = await target.state();
    const indexes = o.only ?? Array.from({ length: o.count }, (_, i) => i);
    for (const i of indexes) {
      current = i;
      report.inputs++;
      try {
        const v = await withTimeout(target.feed(inputRng(o.seed, i), i), o.timeoutMs ?? 15_000, `input ${i}`);
        if ("accepted" in v) report.accepted++;
        else {
          report.refused++;
          const why = unclear(v.refused);
          if (why) report.crashes.push({ index: i, what: why });
          else if (report.samples.length < 6 && !report.samples.includes(v.refused)) report.samples.push(v.refused.slice(0, 160));
        }
      } catch (e) {
        report.crashes.push({ index: i, what: (e as Error)?.stack ?? String(e) });
      }
      if (report.crashes.length > 20) break; // enough to act on
    }
    current = -1;
    try {
      await target.alive();
    } catch (e) {
      report.aliveAfter = false;
      report.crashes.push({ index: -1, what: `not serving after the run: ${(e as Error).message}` });
    }
    const after = await target.state();
    if (after !== before) {
      report.stateUnchanged = false;
      report.crashes.push({ index: -1, what: `state changed:\n  before ${before.slice(0, 400)}\n  after  ${after.slice(0, 400)}` });
    }
  } finally {
    await target.stop();
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
    report.seconds = (Date.now() - t0) / 1000;
  }
  return report;
}

export function formatReport(r: Report): string {
  const head = `${r.surface.padEnd(14)} ${String(r.inputs).padStart(6)} inputs  ${String(r.refused).padStart(6)} refused  ${String(r.accepted).padStart(5)} accepted  ` +
    `${r.crashes.length} crashes  state ${r.stateUnchanged ? "unchanged" : "CHANGED"}  ${r.seconds.toFixed(1)} s   (${r.what})`;
  return [head, ...r.crashes.slice(0, 5).map((c) => `    input ${c.index}: ${c.what.split("\n").slice(0, 6).join("\n      ")}`)].join("\n");
}
