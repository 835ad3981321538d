// Thin wrapper over node:util parseArgs (works on Deno and Node) that turns parse failures into
// UserErrors naming the flag, and always understands --help and --json.
import { parseArgs } from "node:util";
import { UserError } from "./errors.ts";

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean; default?: string | boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
  json: boolean;
}

export function parse(argv: string[], flags: FlagSpec, command: string): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...flags, help: { type: "boolean", short: "h" }, json: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    return {
      values: values as Parsed["values"],
      positionals,
      help: Boolean(values.help),
      json: Boolean(values.json),
    };
  } catch (err) {
    throw new UserError(`zos ${command}: ${(err as Error).message}. Run \`zos ${command} --help\` for usage.`, 2);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}
