// Test helpers: fast-check arbitraries for shapes, strided layouts and constrained values,
// and a walk over a recorded graph. Values come from a small seeded generator so that a
// counterexample is a handful of integers that fast-check can shrink.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import { Tensor, graphOf } from "../src/index.js";

// ---------------------------------------------------------------- values

/** mulberry32: a tiny seeded generator of uniforms in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How the elements of an input are drawn; each keeps clear of the op's non-differentiable points. */
export type Values =
  | "any" // [-2, 2]
  | "positive" // [0.3, 2]: log, sqrt, pow bases
  | "awayFromZero" // +-[0.3, 2]: abs, relu, division
  | "aboveMinusOne" // [-0.5, 2]: log1p
  | "nearEven" // 2k + [-0.3, 0.3]: one operand of maximum/minimum
  | "nearOdd" // 2k + 1 + [-0.3, 0.3]: the other, so the two are never within 0.4
  | "distinct"; // all different, at least 0.3 apart: no ties for max/min

export function drawValues(kind: Values, n: number, next: () => number): Float64Array {
  const out = new Float64Array(n);
  const u = (lo: number, hi: number) => lo + (hi - lo) * next();
  const k = () => Math.floor(u(-2, 2));
  if (kind === "distinct") {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let i = 0; i < n; i++) out[i] = (order[i]! - n / 2) * 0.5 + u(-0.1, 0.1);
    return out;
  }
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case "any": out[i] = u(-2, 2); break;
      case "positive": out[i] = u(0.3, 2); break;
      case "awayFromZero": out[i] = (next() < 0.5 ? -1 : 1) * u(0.3, 2); break;
      case "aboveMinusOne": out[i] = u(-0.5, 2); break;
      case "nearEven": out[i] = 2 * k() + u(-0.3, 0.3); break;
      case "nearOdd": out[i] = 2 * k() + 1 + u(-0.3, 0.3); break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- layouts

/**
 * How an input's elements sit in storage. Shrinking goes towards "contiguous".
 * - permuted: a contiguous array of permuted shape, permuted back (transposed strides)
 * - stepped: every other element of a larger array (stride 2, offset 1)
 * - reversed: a negative-step slice on every axis
 * - broadcast: a stride-0 view; dims of size > 1 chosen by the seed are stretched from size 1
 */
export type Layout = "contiguous" | "permuted" | "stepped" | "reversed" | "broadcast";
export const LAYOUTS: readonly Layout[] = ["contiguous", "permuted", "stepped", "reversed", "broadcast"];

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** An array of `shape` in `layout`, its elements drawn from `values`. */
export function makeArray(shape: readonly number[], layout: Layout, values: Values, seed: number): NDArray {
  const next = rng(seed);
  const fresh = (sh: readonly number[]) => nd.array(drawValues(values, size(sh), next), sh.slice());
  switch (layout) {
    case "contiguous":
      return fresh(shape);
    case "permuted": {
      // reverse the axes: the storage order is the transpose of the logical one
      const rev = shape.slice().reverse();
      return fresh(rev).transpose();
    }
    case "stepped": {
      const big = fresh(shape.map((d) => 2 * d + 1));
      return big.slice(...shape.map((d) => [1, 1 + 2 * d, 2] as const));
    }
    case "reversed": {
      const base = fresh(shape);
      return base.slice(...shape.map(() => [null, null, -1] as const));
    }
    case "broadcast": {
      // "distinct" values must stay distinct, so those inputs never take a broadcast layout
      if (values === "distinct") return fresh(shape);
      const small = shape.map((d) => (d > 1 && next() < 0.5 ? 1 : d));
      return fresh(small).broadcastTo(shape);
    }
  }
}

/** A drawn input: shape, layout and seed, as fast-check shrinks them. */
export function arrayArb(shape: readonly number[], values: Values = "any", layouts: readonly Layout[] = LAYOUTS): fc.Arbitrary<NDArray> {
  return fc
    .record({ layout: fc.constantFrom(...layouts), seed: fc.nat() })
    .map(({ layout, seed }) => makeArray(shape, layout, values, seed));
}

// ---------------------------------------------------------------- shapes

/** A shape of ndim in [minDim, maxDim], dims in [1, maxSide]. */
export function shapeArb(minDim = 0, maxDim = 3, maxSide = 3, minSide = 1): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minSide, max: maxSide }), { minLength: minDim, maxLength: maxDim });
}

/**
 * Shapes that broadcast to `out`: each drops some leading dims and turns some others into 1,
 * so size-1 dims and rank differences both occur.
 */
export function broadcastableArb(out: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .record({ drop: fc.integer({ min: 0, max: out.length }), ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }) })
    .map(({ drop, ones }) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** A random permutation of 0..n-1. */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });
}

/** Axes for a reduction: undefined (all), a single axis (maybe negative), or a subset. */
export function axesArb(ndim: number): fc.Arbitrary<number | number[] | undefined> {
  if (ndim === 0) return fc.constant(undefined);
  return fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: -ndim, max: ndim - 1 }),
    fc.subarray(Array.from({ length: ndim }, (_, i) => i), { minLength: 1 }),
  );
}

// ---------------------------------------------------------------- graphs

/** The op names recorded in the graph behind t. */
export function recordedOps(...ts: Tensor[]): Set<string> {
  return new Set(graphOf(...ts).ops.map((n) => n.op));
}

/** Number of nodes recorded behind t. */
export function countNodes(t: Tensor): number {
  return graphOf(t).ops.length;
}

// ---------------------------------------------------------------- comparisons

/** The elements in C order as a plain array. */
export function flat(a: NDArray | Tensor): number[] {
  const x = a instanceof Tensor ? a.data : a;
  const c = x.contiguous();
  return Array.from(c.data.subarray(c.offset, c.offset + c.size));
}
