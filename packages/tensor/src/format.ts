// Printing, character for character as numpy 2.x prints: `formatArray` is `str(arr)` (and
// NDArray's toString), `formatRepr` is `repr(arr)`. A port of numpy's arrayprint.py layout and
// of its Dragon4 float printing (dragon4.ts, after numpy/_core/src/multiarray/dragon4.c), not an
// imitation of it.
//
// Decided here, and pinned by test/format.test.ts against numpy 2.4:
// - repr is spelled exactly as numpy's, `array([1., 2.], dtype=float32)`, so that a printed
//   array can be diffed against numpy's output. The dtype is omitted where numpy omits it on
//   64-bit Linux: float64 and bool; float32 and int32 always carry `dtype=`.
// - an empty array prints `[]` whatever its shape (numpy's str of shape (2, 0) is `[]`); the
//   repr says the shape: `array([], shape=(2, 0), dtype=float64)`.
// - a 0-d array's str is numpy's str of the scalar (`1.0`, `1e+16`, `3.1415927`), which ignores
//   `precision`; its repr goes through the array path (`array(3.14159265)`).

import type { NDArray } from "./ndarray.js";
import type { DType } from "./dtype.js";
import { ValueError } from "./errors.js";
import { decompose, positional, scientific, type Bits, type Trim } from "./dragon4.js";

/** numpy's print options, under numpy's names. */
export interface FormatOptions {
  /** digits after the point (positional) or after the first digit (scientific); 8 */
  precision?: number;
  /** print `...` summaries when the array has more elements than this; 1000 */
  threshold?: number;
  /** elements kept at each end of a summarised axis; 3 */
  edgeitems?: number;
  /** characters per line before a row wraps; 75 */
  linewidth?: number;
  /** never switch to scientific notation for small values; false */
  suppressSmall?: boolean;
  /** how `precision` is used; "maxprec" (numpy's default) trims trailing zeros per array */
  floatmode?: FloatMode;
}

export type FloatMode = "maxprec" | "maxprec_equal" | "fixed" | "unique";

interface Resolved {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  suppressSmall: boolean;
  floatmode: FloatMode;
}

function resolveOptions(op: string, o: FormatOptions | undefined): Resolved {
  const r: Resolved = {
    precision: o?.precision ?? 8,
    threshold: o?.threshold ?? 1000,
    edgeitems: o?.edgeitems ?? 3,
    linewidth: o?.linewidth ?? 75,
    suppressSmall: o?.suppressSmall ?? false,
    floatmode: o?.floatmode ?? "maxprec",
  };
  const nonNegInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${op}: ${name} must be a non-negative integer, got ${v}`);
  };
  nonNegInt("precision", r.precision);
  nonNegInt("edgeitems", r.edgeitems);
  nonNegInt("linewidth", r.linewidth);
  if (typeof r.threshold !== "number" || Number.isNaN(r.threshold) || r.threshold < 0) {
    throw new ValueError(`${op}: threshold must be a non-negative number, got ${r.threshold}`);
  }
  if (!["maxprec", "maxprec_equal", "fixed", "unique"].includes(r.floatmode)) {
    throw new ValueError(`${op}: floatmode must be one of maxprec, maxprec_equal, fixed, unique, got ${JSON.stringify(r.floatmode)}`);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Element formatters: one per array, fitted to the elements that will be shown.

type ElementFormat = (x: number) => string;

/** numpy's FloatingFormat (sign='-'): one notation and one padding for the whole array. */
function floatFormat(values: readonly number[], float32: boolean, o: Resolved): ElementFormat {
  let precision = o.floatmode === "unique" ? -1 : o.precision;
  const finite = values.filter(Number.isFinite);
  const bits = (x: number): Bits => decompose(x, float32);

  let expFormat = false;
  let maxVal = -Infinity;
  let minVal = Infinity;
  for (const v of finite) {
    if (v === 0) continue;
    const a = Math.abs(v);
    if (a > maxVal) maxVal = a;
    if (a < minVal) minVal = a;
  }
  if (maxVal !== -Infinity) {
    // numpy compares in the array's dtype: Python floats are weak scalars (NEP 50), so for
    // float32 the cutoffs and the ratio are float32 numbers too.
    const cutoffMax = float32 ? 1e6 : 1e8; // 10 ** min(8, finfo(dtype).precision)
    const small = float32 ? Math.fround(1e-4) : 1e-4;
    const ratio = float32 ? Math.fround(maxVal / minVal) : maxVal / minVal;
    expFormat = maxVal >= cutoffMax || (!o.suppressSmall && (minVal < small || ratio > 1000));
  }

  let padLeft: number;
  let padRight: number;
  let trim: Trim;
  let expSize = -1;
  let unique = true;
  let minDigits = -1;
  if (finite.length === 0) {
    padLeft = 0;
    padRight = 0;
    trim = "zeros";
  } else if (expFormat) {
    const fixed = o.floatmode === "fixed";
    unique = !fixed;
    let intLen = 0;
    let fracLen = 0;
    let expLen = 0;
    for (const v of finite) {
      const s = scientific(bits(v), { precision, minDigits: -1, unique, trim: fixed ? "keep" : "zeros", padLeft: -1, expDigits: -1 });
      const [mant = "", ex = ""] = s.split("e");
      const [ip = "", fp = ""] = mant.split(".");
      intLen = Math.max(intLen, ip.length);
      fracLen = Math.max(fracLen, fp.length);
      expLen = Math.max(expLen, ex.length);
    }
    expSize = expLen - 1;
    trim = "keep";
    precision = fracLen;
    minDigits = fracLen;
    padLeft = intLen;
    padRight = expSize + 2 + precision;
  } else {
    const fixed = o.floatmode === "fixed";
    unique = !fixed;
    let intLen = 0;
    let fracLen = 0;
    for (const v of finite) {
      const s = positional(bits(v), { precision, minDigits: -1, unique, trim: fixed ? "keep" : "zeros", padLeft: -1, padRight: -1 });
      const [ip = "", fp = ""] = s.split(".");
      intLen = Math.max(intLen, ip.length);
      fracLen = Math.max(fracLen, fp.length);
    }
    padLeft = intLen;
    padRight = fracLen;
    if (o.floatmode === "fixed" || o.floatmode === "maxprec_equal") {
      precision = minDigits = padRight;
      trim = "keep";
    } else {
      trim = "zeros";
      minDigits = 0;
    }
  }
  if (finite.length !== values.length) {
    const negInf = values.some((v) => v === -Infinity);
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + (negInf ? 1 : 0) - offset);
  }

  return (x: number): string => {
    if (!Number.isFinite(x)) {
      const ret = Number.isNaN(x) ? "nan" : x < 0 ? "-inf" : "inf";
      return " ".repeat(Math.max(padLeft + padRight + 1 - ret.length, 0)) + ret;
    }
    const o2 = { precision, minDigits, unique, trim, padLeft };
    return expFormat ? scientific(bits(x), { ...o2, expDigits: expSize }) : positional(bits(x), { ...o2, padRight });
  };
}

/** numpy's IntegerFormat: right-aligned to the widest of the largest and the smallest. */
function intFormat(values: readonly number[]): ElementFormat {
  let width = 0;
  if (values.length > 0) {
    let max = -Infinity;
    let min = Infinity;
    for (const v of values) {
      if (v > max) max = v;
      if (v < min) min = v;
    }
    width = Math.max(String(max).length, String(min).length);
  }
  return (x) => String(x).padStart(width, " ");
}

function boolFormat(zeroD: boolean): ElementFormat {
  const t = zeroD ? "True" : " True";
  return (x) => (x !== 0 ? t : "False");
}

function elementFormat(dtype: DType, values: readonly number[], zeroD: boolean, o: Resolved): ElementFormat {
  switch (dtype) {
    case "float64":
      return floatFormat(values, false, o);
    case "float32":
      return floatFormat(values, true, o);
    case "int32":
      return intFormat(values);
    case "bool":
      return boolFormat(zeroD);
  }
}

// ---------------------------------------------------------------------------------------------
// Layout: numpy's _formatArray, walking the view through its strides.

/** The indices shown along an axis of length n (numpy's _leading_trailing). */
function shownIndices(n: number, edge: number, summarise: boolean): number[] {
  const out: number[] = [];
  if (summarise && n > 2 * edge) {
    for (let i = 0; i < edge; i++) out.push(i);
    // numpy takes a[-edge:], which for edge 0 is the whole axis
    for (let i = edge === 0 ? 0 : n - edge; i < n; i++) out.push(i);
  } else {
    for (let i = 0; i < n; i++) out.push(i);
  }
  return out;
}

function shownValues(a: NDArray, edge: number, summarise: boolean): number[] {
  const out: number[] = [];
  const rec = (axis: number, p: number): void => {
    if (axis === a.ndim) {
      out.push(a.data[p]!);
      return;
    }
    const st = a.strides[axis]!;
    for (const i of shownIndices(a.shape[axis]!, edge, summarise)) rec(axis + 1, p + i * st);
  };
  rec(0, a.offset);
  return out;
}

/** Appends `word` to `line`, first moving to a new line if it would pass `width`. */
function extendLine(s: string, line: string, word: string, width: number, nextLinePrefix: string): [string, string] {
  // numpy does not wrap when the line holds nothing but its indent: wrapping would not help
  if (line.length + word.length > width && line.length > nextLinePrefix.length) {
    s += line.trimEnd() + "\n";
    line = nextLinePrefix;
  }
  return [s, line + word];
}

function layout(
  a: NDArray,
  fmt: ElementFormat,
  lineWidth: number,
  nextLinePrefix: string,
  separator: string,
  edge: number,
  summarise: boolean,
): string {
  const sepTrim = separator.trimEnd();
  const rec = (axis: number, p: number, hanging: string, width: number): string => {
    const axesLeft = a.ndim - axis;
    if (axesLeft === 0) return fmt(a.data[p]!);
    const nextHanging = hanging + " ";
    const nextWidth = width - 1; // room for this level's "]"
    const n = a.shape[axis]!;
    const st = a.strides[axis]!;
    const showSummary = summarise && 2 * edge < n;
    const leading = showSummary ? edge : 0;
    const trailing = showSummary ? edge : n;
    const child = (i: number): string => rec(axis + 1, p + i * st, nextHanging, nextWidth);
    let s = "";
    if (axesLeft === 1) {
      const elemWidth = width - Math.max(sepTrim.length, 1);
      let line = hanging;
      for (let i = 0; i < leading; i++) {
        [s, line] = extendLine(s, line, child(i), elemWidth, hanging);
        line += separator;
      }
      if (showSummary) {
        [s, line] = extendLine(s, line, "...", elemWidth, hanging);
        line += separator;
      }
      for (let i = trailing; i > 1; i--) {
        [s, line] = extendLine(s, line, child(n - i), elemWidth, hanging);
        line += separator;
      }
      [s, line] = extendLine(s, line, child(n - 1), elemWidth, hanging);
      s += line;
    } else {
      const lineSep = sepTrim + "\n".repeat(axesLeft - 1);
      for (let i = 0; i < leading; i++) s += hanging + child(i) + lineSep;
      if (showSummary) s += hanging + "..." + lineSep;
      for (let i = trailing; i > 1; i--) s += hanging + child(n - i) + lineSep;
      s += hanging + child(n - 1);
    }
    return "[" + s.slice(hanging.length) + "]";
  };
  return rec(0, a.offset, nextLinePrefix, lineWidth);
}

/** numpy's array2string for a non-empty array, after the 0-d str shortcut. */
function array2string(a: NDArray, o: Resolved, separator: string, prefix: string, suffix: string): string {
  if (a.size === 0) return "[]";
  const summarise = a.size > o.threshold;
  const fmt = elementFormat(a.dtype, shownValues(a, o.edgeitems, summarise), a.ndim === 0, o);
  return layout(a, fmt, o.linewidth - suffix.length, " ".repeat(1 + prefix.length), separator, o.edgeitems, summarise);
}

/** numpy's str of a scalar: shortest round-trip digits, positional for moderate magnitudes. */
function scalarString(x: number, dtype: DType): string {
  if (dtype === "bool") return x !== 0 ? "True" : "False";
  if (dtype === "int32") return String(x);
  const float32 = dtype === "float32";
  const b = decompose(x, float32);
  const abs = Math.abs(x);
  const maxPositional = float32 ? 1e6 : 1e16;
  const usePositional = Number.isNaN(x) || x === 0 || (abs < maxPositional && abs >= 1e-4);
  const o = { precision: -1, minDigits: -1, unique: true, padLeft: -1 };
  return usePositional
    ? positional(b, { ...o, trim: "leaveOneZero", padRight: -1 })
    : scientific(b, { ...o, trim: "dptZeros", expDigits: -1 });
}

/**
 * The array as numpy's `str(arr)` prints it: nested brackets, aligned columns, rows wrapped
 * at `linewidth`, `...` summaries past `threshold` elements.
 *
 *     formatArray(array([[1, 2.5], [-3, 4]]))  // "[[ 1.   2.5]\n [-3.   4. ]]"
 */
export function formatArray(a: NDArray, options?: FormatOptions): string {
  const o = resolveOptions("formatArray", options);
  if (a.ndim === 0) return scalarString(a.data[a.offset]!, a.dtype);
  return array2string(a, o, " ", "", "");
}

function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * The array as numpy's `repr(arr)` prints it: `array([1., 2.], dtype=float32)`, with the
 * shape added where the brackets do not show it (empty or summarised arrays).
 */
export function formatRepr(a: NDArray, options?: FormatOptions): string {
  const o = resolveOptions("formatRepr", options);
  const prefix = "array(";
  const body = array2string(a, o, ", ", prefix, ")");
  const extras: string[] = [];
  if ((a.size === 0 && !(a.ndim === 1 && a.shape[0] === 0)) || a.size > o.threshold) extras.push(`shape=${pyTuple(a.shape)}`);
  if (a.dtype === "float32" || a.dtype === "int32" || a.size === 0) extras.push(`dtype=${a.dtype}`);
  if (extras.length === 0) return prefix + body + ")";
  const head = prefix + body + ",";
  const extra = extras.join(", ") + ")";
  const lastLineLen = head.length - (head.lastIndexOf("\n") + 1);
  const spacer = lastLineLen + extra.length + 1 > o.linewidth ? "\n" + " ".repeat(prefix.length) : " ";
  return head + spacer + extra;
}
