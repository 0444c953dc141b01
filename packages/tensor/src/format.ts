// Printing, character for character as numpy 2.x prints: `formatArray` is `str(arr)` (and
// NDArray's toString), `formatRepr` is `repr(arr)`. A port of numpy's arrayprint.py layout and
// of its Dragon4 float printing (numpy/_core/src/multiarray/dragon4.c), not an imitation of it.
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
// Dragon4: exact decimal digits of a binary float, with numpy's rounding, cutoffs and trimming.
// The original works on 32-bit-block big integers; JS bigint gives the same integers.

/** How trailing zeros and the point are trimmed: numpy's 'k', '.', '0', '-'. */
type Trim = "keep" | "zeros" | "leaveOneZero" | "dptZeros";

interface Bits {
  negative: boolean;
  /** "nan" / "inf" for the special values, else null */
  special: "nan" | "inf" | null;
  mantissa: bigint;
  exponent: number;
  mantissaBit: number;
  unequalMargins: boolean;
}

const scratch = new DataView(new ArrayBuffer(8));

function bitLength32(x: number): number {
  return 32 - Math.clz32(x);
}

function decompose(x: number, float32: boolean): Bits {
  if (float32) {
    scratch.setFloat32(0, x);
    const u = scratch.getUint32(0);
    const negative = u >>> 31 === 1;
    const e = (u >>> 23) & 0xff;
    const m = u & 0x7fffff;
    if (e === 0xff) return { negative, special: m === 0 ? "inf" : "nan", mantissa: 0n, exponent: 0, mantissaBit: 0, unequalMargins: false };
    if (e !== 0) {
      return { negative, special: null, mantissa: BigInt(m | 0x800000), exponent: e - 127 - 23, mantissaBit: 23, unequalMargins: e !== 1 && m === 0 };
    }
    return { negative, special: null, mantissa: BigInt(m), exponent: 1 - 127 - 23, mantissaBit: bitLength32(m) - 1, unequalMargins: false };
  }
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const negative = hi >>> 31 === 1;
  const e = (hi >>> 20) & 0x7ff;
  const mhi = hi & 0xfffff;
  if (e === 0x7ff) return { negative, special: mhi === 0 && lo === 0 ? "inf" : "nan", mantissa: 0n, exponent: 0, mantissaBit: 0, unequalMargins: false };
  const frac = (BigInt(mhi) << 32n) | BigInt(lo);
  if (e !== 0) {
    return { negative, special: null, mantissa: frac | (1n << 52n), exponent: e - 1023 - 52, mantissaBit: 52, unequalMargins: e !== 1 && frac === 0n };
  }
  const bit = mhi !== 0 ? 32 + bitLength32(mhi) - 1 : bitLength32(lo) - 1;
  return { negative, special: null, mantissa: frac, exponent: 1 - 1023 - 52, mantissaBit: bit, unequalMargins: false };
}

const LOG10_2 = 0.30102999566398119521373889472449;
// numpy's scratch buffer is 16384 chars; it only bounds digits when there is no cutoff.
const BUFFER_SIZE = 16384;

/**
 * The digits of |value| and the decimal exponent of the first one. `unique` stops as soon as
 * the digits identify the value among its neighbours; `totalLength` makes the cutoffs count
 * all digits, else digits after the point; a cutoff of -1 is none.
 */
function dragon4(
  b: Bits,
  unique: boolean,
  totalLength: boolean,
  cutoffMax: number,
  cutoffMin: number,
  bufferSize: number,
): { digits: number[]; exp: number } {
  if (b.mantissa === 0n) return { digits: [0], exp: 0 };
  const { mantissa, exponent, mantissaBit, unequalMargins } = b;
  // value = scaledValue / scale; the margins are half the gaps to the neighbouring floats
  let scale: bigint;
  let value: bigint;
  let marginLow: bigint;
  if (unequalMargins) {
    if (exponent > 0) {
      value = mantissa << BigInt(exponent + 2);
      scale = 4n;
      marginLow = 1n << BigInt(exponent);
    } else {
      value = mantissa << 2n;
      scale = 1n << BigInt(-exponent + 2);
      marginLow = 1n;
    }
  } else if (exponent > 0) {
    value = mantissa << BigInt(exponent + 1);
    scale = 2n;
    marginLow = 1n << BigInt(exponent);
  } else {
    value = mantissa << 1n;
    scale = 1n << BigInt(-exponent + 1);
    marginLow = 1n;
  }
  const marginHigh = (): bigint => (unequalMargins ? marginLow * 2n : marginLow);

  // an estimate of floor(log10(v)) + 1 that is right or one too small (Burger and Dybvig)
  let digitExponent = Math.ceil((mantissaBit + exponent) * LOG10_2 - 0.69);
  if (cutoffMax >= 0 && !totalLength && digitExponent <= -cutoffMax) digitExponent = -cutoffMax + 1;
  if (digitExponent > 0) {
    scale *= 10n ** BigInt(digitExponent);
  } else if (digitExponent < 0) {
    const p = 10n ** BigInt(-digitExponent);
    value *= p;
    marginLow *= p;
  }
  if (value >= scale) {
    digitExponent += 1;
  } else {
    value *= 10n;
    marginLow *= 10n;
  }

  let cutoffMaxExponent = digitExponent - bufferSize;
  if (cutoffMax >= 0) {
    const desired = totalLength ? digitExponent - cutoffMax : -cutoffMax;
    if (desired > cutoffMaxExponent) cutoffMaxExponent = desired;
  }
  let cutoffMinExponent = digitExponent;
  if (cutoffMin >= 0) {
    const desired = totalLength ? digitExponent - cutoffMin : -cutoffMin;
    if (desired < cutoffMinExponent) cutoffMinExponent = desired;
  }
  let outExp = digitExponent - 1;

  const isEven = (mantissa & 1n) === 0n;
  const digits: number[] = [];
  let low = false;
  let high = false;
  let digit: number;
  if (unique) {
    for (;;) {
      digitExponent -= 1;
      digit = Number(value / scale);
      value %= scale;
      const valueHigh = value + marginHigh();
      low = isEven ? value <= marginLow : value < marginLow;
      high = isEven ? valueHigh >= scale : valueHigh > scale;
      if (((low || high) && digitExponent <= cutoffMinExponent) || digitExponent === cutoffMaxExponent) break;
      digits.push(digit);
      value *= 10n;
      marginLow *= 10n;
    }
  } else {
    for (;;) {
      digitExponent -= 1;
      digit = Number(value / scale);
      value %= scale;
      if (value === 0n || digitExponent === cutoffMaxExponent) break;
      digits.push(digit);
      value *= 10n;
    }
  }

  // round the last digit: down if only rounding down stays in range, else to nearest, ties to even
  let roundDown = low;
  if (low === high) {
    const twice = value * 2n;
    roundDown = twice < scale;
    if (twice === scale) roundDown = (digit & 1) === 0;
  }
  if (roundDown) {
    digits.push(digit);
  } else if (digit === 9) {
    for (;;) {
      if (digits.length === 0) {
        digits.push(1);
        outExp += 1;
        break;
      }
      const d = digits.pop()!;
      if (d !== 9) {
        digits.push(d + 1);
        break;
      }
    }
  } else {
    digits.push(digit + 1);
  }
  return { digits, exp: outExp };
}

interface DigitOptions {
  precision: number; // -1: none
  minDigits: number; // -1: none
  unique: boolean;
  trim: Trim;
  padLeft: number; // -1: none
}

function infNan(b: Bits): string {
  if (b.special === "nan") return "nan";
  return (b.negative ? "-" : "") + "inf";
}

/** numpy's format_float_positional with fractional=True and no forced sign. */
function positional(b: Bits, o: DigitOptions & { padRight: number }): string {
  if (b.special) return infNan(b);
  const sign = b.negative ? "-" : "";
  const hasSign = sign.length;
  const { digits, exp } = dragon4(b, o.unique, false, o.precision, o.minDigits, BUFFER_SIZE - 1 - hasSign);
  const numDigits = digits.length;
  let s = digits.join("");
  let numWhole: number;
  let numFrac = 0;
  if (exp >= 0) {
    numWhole = exp + 1;
    if (numDigits <= numWhole) {
      s += "0".repeat(numWhole - numDigits);
    } else {
      numFrac = numDigits - numWhole;
      s = s.slice(0, numWhole) + "." + s.slice(numWhole);
    }
  } else {
    const zeros = -(exp + 1);
    s = "0." + "0".repeat(zeros) + s;
    numFrac = numDigits + zeros;
    numWhole = 1;
  }
  if (o.trim !== "dptZeros" && numFrac === 0) s += ".";
  const desiredFrac = Math.max(o.unique ? o.minDigits : o.precision, 0);
  if (o.trim === "leaveOneZero") {
    if (numFrac === 0) {
      s += "0";
      numFrac++;
    }
  } else if (o.trim === "keep" && desiredFrac > numFrac) {
    s += "0".repeat(desiredFrac - numFrac);
    numFrac = desiredFrac;
  }
  if (o.trim !== "keep" && numFrac > 0) {
    while (s.endsWith("0")) {
      s = s.slice(0, -1);
      numFrac--;
    }
    if (s.endsWith(".")) {
      if (o.trim === "leaveOneZero") {
        s += "0";
        numFrac++;
      } else if (o.trim === "dptZeros") {
        s = s.slice(0, -1);
      }
    }
  }
  if (o.padRight >= numFrac) {
    if (o.trim === "dptZeros" && numFrac === 0) s += " ";
    s += " ".repeat(o.padRight - numFrac);
  }
  s = sign + s;
  if (o.padLeft > numWhole + hasSign) s = " ".repeat(o.padLeft - numWhole - hasSign) + s;
  return s;
}

/** numpy's format_float_scientific with no forced sign. */
function scientific(b: Bits, o: DigitOptions & { expDigits: number }): string {
  if (b.special) return infNan(b);
  const sign = b.negative ? "-" : "";
  let s = o.padLeft > 1 + sign.length ? " ".repeat(o.padLeft - 1 - sign.length) : "";
  s += sign;
  const { digits, exp } = dragon4(
    b,
    o.unique,
    true,
    o.precision < 0 ? -1 : o.precision + 1,
    o.minDigits < 0 ? -1 : o.minDigits + 1,
    BUFFER_SIZE - s.length,
  );
  let mant = String(digits[0]);
  let numFrac = digits.length - 1;
  if (numFrac > 0) mant += "." + digits.slice(1).join("");
  if (o.trim !== "dptZeros" && numFrac === 0) mant += ".";
  const addDigits = Math.max(o.unique ? o.minDigits : o.precision, 0);
  if (o.trim === "leaveOneZero") {
    if (numFrac === 0) {
      mant += "0";
      numFrac++;
    }
  } else if (o.trim === "keep" && addDigits > numFrac) {
    mant += "0".repeat(addDigits - numFrac);
    numFrac = addDigits;
  }
  if (o.trim !== "keep" && numFrac > 0) {
    while (mant.endsWith("0")) {
      mant = mant.slice(0, -1);
      numFrac--;
    }
    if (o.trim === "leaveOneZero" && mant.endsWith(".")) mant += "0";
  }
  const expDigits = o.expDigits > 5 ? 5 : o.expDigits < 0 ? 2 : o.expDigits;
  const e = String(Math.abs(exp)).padStart(expDigits, "0");
  return s + mant + "e" + (exp >= 0 ? "+" : "-") + e;
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
