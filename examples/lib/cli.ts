// Option parsing with --help generated from the same table the parser reads.

import { parseArgs } from "node:util";

export interface OptionSpec {
  type: "string" | "number" | "boolean";
  default?: string | number | boolean;
  help: string;
  short?: string;
}

export type Parsed<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K]["type"] extends "number"
    ? S[K] extends { default: number } ? number : number | undefined
    : S[K]["type"] extends "boolean" ? boolean : S[K] extends { default: string } ? string : string | undefined;
};

export function parseOptions<S extends Record<string, OptionSpec>>(usage: string, spec: S, argv: string[]): Parsed<S> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [k, s] of Object.entries(spec)) options[k] = { type: s.type === "boolean" ? "boolean" : "string", ...(s.short ? { short: s.short } : {}) };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true }));
  } catch (e) {
    console.error(`${(e as Error).message}\n`);
    printHelp(usage, spec);
    process.exit(2);
  }
  if (values.help) {
    printHelp(usage, spec);
    process.exit(0);
  }
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) {
    const v = values[k];
    if (s.type === "number") {
      const n = v === undefined ? s.default : Number(v);
      if (n !== undefined && (typeof n !== "number" || !Number.isFinite(n))) {
        console.error(`--${k}: expected a number, got ${String(v)}`);
        process.exit(2);
      }
      out[k] = n;
    } else if (s.type === "boolean") out[k] = v ?? s.default ?? false;
    else out[k] = v ?? s.default;
  }
  return out as Parsed<S>;
}

function printHelp(usage: string, spec: Record<string, OptionSpec>): void {
  const rows = Object.entries(spec).map(([k, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ""}--${k}${s.type === "boolean" ? "" : ` <${s.type}>`}`;
    const def = s.default !== undefined && s.type !== "boolean" ? ` (default ${s.default})` : "";
    return [flag, s.help + def] as const;
  });
  const w = Math.max(...rows.map(([f]) => f.length));
  console.log(`${usage}\n\noptions:\n${rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`).join("\n")}\n  ${"-h, --help".padEnd(w)}  this text`);
}
