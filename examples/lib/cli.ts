// Option parsing for the examples: one table per example says each flag's type, range, choices
// or file kind, and this file alone checks them, so every example rejects a bad flag the same
// way: one line naming the flag, the value and what is allowed, exit code 2, no stack trace,
// and before anything is written. --help is generated from the same table.

import { closeSync, openSync, readSync, statSync } from "node:fs";

export interface OptionSpec {
  /** "integer" is a number with no fractional part; the parsed value is a JS number either way. */
  type: "string" | "number" | "integer" | "boolean";
  default?: string | number | boolean;
  help: string;
  short?: string;
  /** Inclusive bounds of a number or integer. */
  min?: number;
  max?: number;
  /** An exclusive lower bound (a learning rate, a temperature: above 0). */
  above?: number;
  /** The strings a string flag may take. */
  choices?: readonly string[];
  /**
   * A string flag naming a file that must exist, a file that must be a safetensors file, or a
   * folder to write into (created if missing; an existing file there is refused).
   */
  file?: "exists" | "safetensors" | "outdir";
}

export type Parsed<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K]["type"] extends "number" | "integer"
    ? S[K] extends { default: number } ? number : number | undefined
    : S[K]["type"] extends "boolean" ? boolean : S[K] extends { default: string } ? string : string | undefined;
};

/**
 * A mistake in what the user typed. The runner (examples/run.ts) prints its one-line message and
 * exits with code 2, without a stack trace; a test calling `main` in-process can catch it.
 */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Throws the one-line error for a flag's value: `--flag: expected <allowed>, got <value>`. */
export function usageError(flag: string, value: unknown, allowed: string): never {
  throw new UsageError(`--${flag}: expected ${allowed}, got ${show(value)}`);
}

export function parseOptions<S extends Record<string, OptionSpec>>(usage: string, spec: S, argv: string[]): Parsed<S> {
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  const raw = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue; // pnpm passes it through
    if (arg === "-h" || arg === "--help") {
      printHelp(usage, spec);
      process.exit(0);
    }
    let name: string;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      [name, value] = eq < 0 ? [arg.slice(2), undefined] : [arg.slice(2, eq), arg.slice(eq + 1)];
    } else if (/^-[A-Za-z]$/.test(arg) && byShort.has(arg[1]!)) name = byShort.get(arg[1]!)!;
    else if (arg.startsWith("-") && !/^-[\d.]/.test(arg)) throw new UsageError(`unknown option ${arg}${suggest(arg.replace(/^-+/, "").split("=")[0]!, Object.keys(spec))}; --help lists the options`);
    else throw new UsageError(`unexpected argument ${show(arg)}: every input is a flag (--name value); --help lists them`);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}${suggest(name, Object.keys(spec))}; --help lists the options`);
    if (s.type === "boolean") {
      if (value !== undefined) throw new UsageError(`--${name} takes no value, got ${show(arg)}`);
      raw.set(name, true);
      continue;
    }
    // A flag that takes a value takes the next word, even one starting with "-" (--steps -5),
    // so that the range check, not a parser quirk, says what is wrong with it.
    if (value === undefined) {
      if (i + 1 >= argv.length) usageError(name, "nothing", allowedText(s));
      value = argv[++i]!;
    }
    raw.set(name, value);
  }

  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) {
    const v = raw.get(k);
    if (s.type === "boolean") out[k] = v === true ? true : (s.default ?? false);
    else if (v === undefined) out[k] = s.default;
    else out[k] = s.type === "string" ? checkString(k, s, v as string) : checkNumber(k, s, v as string);
  }
  return out as Parsed<S>;
}

/** What a flag accepts, in words: "an integer >= 1", "one of float32, float64". */
function allowedText(s: OptionSpec): string {
  if (s.type === "string") {
    if (s.choices) return `one of ${s.choices.join(", ")}`;
    if (s.file === "safetensors") return "a safetensors file";
    if (s.file === "exists") return "an existing file";
    if (s.file === "outdir") return "a folder";
    return "a value";
  }
  const bounds = [
    s.above !== undefined ? `> ${s.above}` : "",
    s.min !== undefined ? `>= ${s.min}` : "",
    s.max !== undefined ? `<= ${s.max}` : "",
  ].filter(Boolean);
  return `${s.type === "integer" ? "an integer" : "a number"}${bounds.length ? " " + bounds.join(" and ") : ""}`;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function checkNumber(k: string, s: OptionSpec, v: string): number {
  const n = NUMBER.test(v.trim()) ? Number(v) : NaN;
  const ok =
    Number.isFinite(n) &&
    (s.type !== "integer" || Number.isSafeInteger(n)) &&
    (s.min === undefined || n >= s.min) &&
    (s.max === undefined || n <= s.max) &&
    (s.above === undefined || n > s.above);
  if (!ok) usageError(k, v, allowedText(s));
  return n;
}

function checkString(k: string, s: OptionSpec, v: string): string {
  if (s.choices && !s.choices.includes(v)) usageError(k, v, allowedText(s));
  if (s.file === "outdir") {
    let isFile = false;
    try {
      isFile = !statSync(v).isDirectory();
    } catch {
      // missing: written later, created then
    }
    if (isFile) usageError(k, v, `a folder (${v} is a file)`);
  } else if (s.file) {
    let size: number;
    try {
      const st = statSync(v);
      if (!st.isFile()) usageError(k, v, `${allowedText(s)} (${v} is a directory)`);
      size = st.size;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      usageError(k, v, `${allowedText(s)} (no such file)`);
    }
    if (s.file === "safetensors") {
      const why = notSafetensors(v, size);
      if (why) usageError(k, v, `a safetensors file (${why})`);
    }
  }
  return v;
}

/**
 * Why the file is not a safetensors file, or null if it looks like one: 8 bytes of little-endian
 * header length, then that many bytes of a JSON object. Read without loading the file, so a
 * text file named by mistake is refused before its first bytes are taken for a length.
 */
export function notSafetensors(path: string, size: number): string | null {
  if (size < 8) return `it has ${size} bytes; a safetensors file starts with an 8-byte header length`;
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(8);
    readSync(fd, head, 0, 8, 0);
    const n = Number(new DataView(head.buffer).getBigUint64(0, true));
    if (n > size - 8 || n < 2) return `its first 8 bytes give a header of ${n} bytes, and the file has ${size}`;
    const header = new Uint8Array(n);
    readSync(fd, header, 0, n, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(header));
    } catch {
      parsed = null;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "its header is not a JSON object";
    return null;
  } finally {
    closeSync(fd);
  }
}

/** " (did you mean --steps?)" for the closest known flag within a small edit distance, else "". */
export function suggest(name: string, known: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(name) && name.length >= 3 ? 1 : editDistance(name.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best && bestD <= Math.max(1, Math.min(3, Math.floor(name.length / 3))) ? ` (did you mean --${best}?)` : "";
}

/** Levenshtein distance with adjacent transpositions counted as one edit (--setps). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function show(v: unknown): string {
  const s = String(v);
  return s === "" ? '""' : /\s/.test(s) ? JSON.stringify(s) : s;
}

function printHelp(usage: string, spec: Record<string, OptionSpec>): void {
  const rows = Object.entries(spec).map(([k, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ""}--${k}${s.type === "boolean" ? "" : ` <${s.type === "string" ? (s.file === "outdir" ? "folder" : s.file ? "file" : "string") : s.type}>`}`;
    const notes = [
      s.default !== undefined && s.type !== "boolean" ? `default ${s.default}` : "",
      s.type === "number" || s.type === "integer" || s.choices ? allowedText(s) : "",
    ].filter(Boolean);
    return [flag, s.help + (notes.length ? ` (${notes.join("; ")})` : "")] as const;
  });
  const w = Math.max(...rows.map(([f]) => f.length));
  console.log(`${usage}\n\noptions:\n${rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`).join("\n")}\n  ${"-h, --help".padEnd(w)}  this text`);
}
