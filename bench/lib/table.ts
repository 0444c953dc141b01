// Plain-text tables and number formats for the console report.

export type Cell = string | number | null | undefined;

/** Everything printed through out(), kept for bench/RESULTS.md. */
export const transcript: string[] = [];

/** Prints a line to stdout and keeps it for the transcript. */
export function out(line = ""): void {
  console.log(line);
  transcript.push(line);
}

/** Numbers each distinct reason once: a table cell says "missing [2]", a note under it says why. */
export class Footnotes {
  readonly reasons: string[] = [];
  ref(reason: string): string {
    let i = this.reasons.indexOf(reason);
    if (i < 0) i = this.reasons.push(reason) - 1;
    return `missing [${i + 1}]`;
  }
  notes(): string[] {
    return this.reasons.map((r, i) => `[${i + 1}] ${r}`);
  }
}

/** Prints a titled table; numbers right-aligned, text left-aligned. */
export function printTable(title: string, headers: readonly string[], rows: readonly (readonly Cell[])[], notes: readonly string[] = []): void {
  const text = rows.map((r) => headers.map((_, i) => cellText(r[i])));
  const numeric = headers.map((_, i) => rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === "number" || /^[-+\d.,x×e%/ ]+$|^—$|^missing/.test(String(r[i]))));
  const width = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] && i > 0 ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join("  ").trimEnd();
  out();
  out(title);
  out(line(headers));
  out(width.map((w) => "-".repeat(w)).join("  "));
  for (const r of text) out(line(r));
  for (const n of notes) out(`  ${n}`);
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return "—";
  if (typeof c === "number") return fmt(c);
  return c;
}

/** Three significant digits, without exponent for everyday magnitudes. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  if (x === 0) return "0";
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(digits - 1);
  if (a >= 10 ** digits) return x.toFixed(0);
  return x.toPrecision(digits);
}

/** A ratio as "2.31x", or "—" when either side is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0) || !(a > 0)) return null;
  return a / b;
}

export function fmtRatio(r: number | null): string {
  return r === null ? "—" : `${fmt(r)}x`;
}
