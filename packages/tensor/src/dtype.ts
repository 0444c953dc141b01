// dtypes and their storage types (where storage comes from is storage.ts). float64 is the
// default; float32 halves memory; int32 holds indices (argmax, take); bool holds masks
// (comparisons).
//
// Promotion follows numpy for the pairs that occur here:
//   float32 with float64 -> float64; int32 with float32 -> float64; int32 with float64 -> float64;
//   bool with anything -> the other; bool with bool -> bool; int32 with int32 -> int32.
// A plain JS number is "weak", as a Python scalar is in numpy: it takes the array's dtype
// (float32 array + 0.5 stays float32), except that a non-integer number with an int32 or bool
// array gives float64.

import { DTypeError } from "./errors.js";

/**
 * An array's element type: float64 (the default), float32, int32 (indices: argmax,
 * randint, choice) or bool (masks: comparisons, isnan), held in a Float64Array, Float32Array,
 * Int32Array or Uint8Array of 0s and 1s.
 */
export type DType = "float64" | "float32" | "int32" | "bool";
/** The float dtypes, what transcendental ops (exp, log, ...) and random draws produce. */
export type FloatDType = "float64" | "float32";
/** The typed arrays that hold an NDArray's elements, one per {@link DType}. */
export type Storage = Float64Array | Float32Array | Int32Array | Uint8Array;

/** Every {@link DType}: float64, float32, int32, bool. */
export const DTYPES: readonly DType[] = ["float64", "float32", "int32", "bool"];

/** Whether `x` is one of the {@link DType} names. */
export function isDType(x: unknown): x is DType {
  return x === "float64" || x === "float32" || x === "int32" || x === "bool";
}

export function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) {
    throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`);
  }
  return dtype;
}

/** Whether `dtype` is float64 or float32. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float64" || dtype === "float32";
}

export function dtypeOfStorage(data: Storage): DType {
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * A number as a `dtype` array stores it. Only bool needs help: a Uint8Array would keep 2 as 2
 * and 0.5 as 0, where numpy's bool is "nonzero" (NaN included, as `bool(nan)` is True).
 */
export function castScalar(dtype: DType, v: number): number {
  return dtype === "bool" ? (v !== 0 ? 1 : 0) : v;
}

/** numpy's result type for two arrays (see the table at the top of this file). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool") return b;
  if (b === "bool") return a;
  // int32 with float32 is float64 in numpy: float32 cannot hold every int32.
  if ((a === "int32" && b === "float32") || (a === "float32" && b === "int32")) return "float64";
  return RANK[a] > RANK[b] ? a : b;
}

/** The dtype of a transcendental op's result (exp, log, tanh, true division ...). */
export function floatResult(dtype: DType): FloatDType {
  return dtype === "float32" ? "float32" : "float64";
}

/** The dtype of arithmetic (add, mul, ...) on a dtype: bool counts as int32 there. */
export function arithmeticResult(dtype: DType): DType {
  return dtype === "bool" ? "int32" : dtype;
}
