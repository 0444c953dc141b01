// Test helpers: fast-check arbitraries for shapes and strided layouts, and plain references
// on nested JS arrays. Nothing here calls a tensor kernel; references are element by element.

import fc from "fast-check";
import { NDArray, array, type DType } from "../src/index.js";

export type Nested = number | boolean | Nested[];

// ---------------------------------------------------------------- plain index arithmetic

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Every multi-index of `shape`, in C order. */
export function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = size(shape);
  for (let f = 0; f < n; f++) out.push(unravel(f, shape));
  return out;
}

export function unravel(f: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = f % d;
    f = Math.floor(f / d);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let i = 0; i < shape.length; i++) f = f * shape[i]! + idx[i]!;
  return f;
}

export function at(n: Nested, idx: readonly number[]): number {
  let cur: Nested = n;
  for (const i of idx) cur = (cur as Nested[])[i]!;
  return typeof cur === "boolean" ? (cur ? 1 : 0) : (cur as number);
}

/** Nested arrays of `shape` whose element at idx is f(idx). */
export function build(shape: readonly number[], f: (idx: number[]) => number | boolean): Nested {
  const rec = (dim: number, idx: number[]): Nested => {
    if (dim === shape.length) return f(idx);
    const out: Nested[] = [];
    for (let i = 0; i < shape[dim]!; i++) out.push(rec(dim + 1, [...idx, i]));
    return out;
  };
  return rec(0, []);
}

/** The elements of a nested array in C order. */
export function flatten(n: Nested): number[] {
  if (Array.isArray(n)) return n.flatMap(flatten);
  return [typeof n === "boolean" ? (n ? 1 : 0) : n];
}

/** numpy's broadcasting rule, written out independently of shape.ts: null when incompatible. */
export function refBroadcast(...shapes: (readonly number[])[]): number[] | null {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < nd; i++) {
    const dims = shapes.map((s) => s[s.length - nd + i] ?? 1);
    const big = dims.filter((d) => d !== 1);
    if (big.some((d) => d !== big[0])) return null;
    out.push(big.length ? big[0]! : 1);
  }
  return out;
}

/** The index into an operand of shape `inShape` that broadcasting reads for output index idx. */
export function bidx(idx: readonly number[], inShape: readonly number[]): number[] {
  const lead = idx.length - inShape.length;
  return inShape.map((d, i) => (d === 1 ? 0 : idx[lead + i]!));
}

// ---------------------------------------------------------------- comparisons

/** Same number: NaN equals NaN; +0 equals -0 unless `signedZero`. */
export function same(a: number, b: number, signedZero = false): boolean {
  if (a !== a) return b !== b;
  return signedZero ? Object.is(a, b) : a === b;
}

/** |a - b| <= atol + rtol * |b|, NaNs and same infinities equal. */
export function close(a: number, b: number, rtol = 1e-12, atol = 0): boolean {
  if (a !== a || b !== b) return a !== a && b !== b;
  if (a === b) return true;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** Throws with the first differing element so a failing property says where. */
export function expectNested(got: unknown, want: Nested, eq: (a: number, b: number) => boolean, what = ""): void {
  const rec = (g: unknown, w: Nested, path: number[]): void => {
    if (Array.isArray(w)) {
      if (!Array.isArray(g) || g.length !== w.length) {
        throw new Error(`${what} shape differs at [${path}]: got ${JSON.stringify(g)}, want length ${w.length}`);
      }
      w.forEach((x, i) => rec(g[i], x, [...path, i]));
      return;
    }
    const gv = typeof g === "boolean" ? (g ? 1 : 0) : (g as number);
    const wv = typeof w === "boolean" ? (w ? 1 : 0) : w;
    if (typeof g !== "number" && typeof g !== "boolean") throw new Error(`${what} at [${path}]: got ${JSON.stringify(g)}, want ${wv}`);
    if (!eq(gv, wv)) throw new Error(`${what} at [${path}]: got ${gv}, want ${wv}`);
  };
  rec(got, want, []);
}

export function expectArray(got: NDArray, shape: readonly number[], want: Nested, eq: (a: number, b: number) => boolean = same, what = ""): void {
  if (got.shape.length !== shape.length || got.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${what} shape: got [${got.shape}], want [${shape}]`);
  }
  expectNested(got.toArray(), want, eq, what);
}

// ---------------------------------------------------------------- arbitraries

/** A dim, with 0 and 1 drawn often enough to matter. */
export const dimArb = (max = 5): fc.Arbitrary<number> =>
  fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.constant(1), weight: 3 }, { arbitrary: fc.integer({ min: 2, max }), weight: 6 });

export function shapeArb({ minRank = 0, maxRank = 4, maxDim = 5 } = {}): fc.Arbitrary<number[]> {
  return fc.array(dimArb(maxDim), { minLength: minRank, maxLength: maxRank });
}

/** A shape with no zero dims (for reductions that need elements, matmul operands ...). */
export function fullShapeArb({ minRank = 0, maxRank = 4, maxDim = 5 } = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * How an array of a given shape is laid out over a larger storage: the storage order of its
 * axes (`perm[j]` is the logical axis stored j-th), per axis a step (negative walks backwards),
 * a leading pad and trailing slack, and which axes are broadcast (stride 0).
 */
export interface Layout {
  perm: number[];
  steps: number[];
  pads: number[];
  slack: number[];
  bcast: boolean[];
}

export function contiguousLayout(rank: number): Layout {
  return {
    perm: Array.from({ length: rank }, (_, i) => i),
    steps: new Array<number>(rank).fill(1),
    pads: new Array<number>(rank).fill(0),
    slack: new Array<number>(rank).fill(0),
    bcast: new Array<boolean>(rank).fill(false),
  };
}

export function layoutArb(shape: readonly number[], { broadcast = true } = {}): fc.Arbitrary<Layout> {
  const r = shape.length;
  const strided: fc.Arbitrary<Layout> = fc.record({
    perm: fc.shuffledSubarray(Array.from({ length: r }, (_, i) => i), { minLength: r, maxLength: r }),
    steps: fc.array(fc.constantFrom(1, 1, 2, 3, -1, -2), { minLength: r, maxLength: r }),
    pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: r, maxLength: r }),
    slack: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: r, maxLength: r }),
    bcast: fc.array(broadcast ? fc.boolean() : fc.constant(false), { minLength: r, maxLength: r }),
  });
  return fc.oneof({ arbitrary: fc.constant(contiguousLayout(r)), weight: 1 }, { arbitrary: strided, weight: 3 });
}

/** The storage's shape, in storage order, for a layout. */
export function storageShape(shape: readonly number[], l: Layout): number[] {
  const dims = shape.map((n, i) => {
    if (l.bcast[i]) return 1;
    if (n === 0) return l.pads[i]! + l.slack[i]!;
    return l.pads[i]! + Math.abs(l.steps[i]!) * (n - 1) + 1 + l.slack[i]!;
  });
  return l.perm.map((i) => dims[i]!);
}

/**
 * Builds an array of `shape` over a storage filled with `values` (C order of the storage's
 * shape), through the public views: permute, slice (with steps), broadcastTo.
 */
export function makeArray(shape: readonly number[], l: Layout, values: ArrayLike<number>, dtype: DType = "float64"): NDArray {
  const sshape = storageShape(shape, l);
  const base = array(Array.from(values), sshape, dtype);
  const inv = l.perm.map((_, i) => l.perm.indexOf(i));
  let v = base.permute(inv);
  const specs = shape.map((n, i): [number, number | null, number] | null => {
    if (l.bcast[i]) return null;
    const p = l.pads[i]!;
    const k = l.steps[i]!;
    if (n === 0) return [p, p, 1];
    if (k > 0) return [p, p + k * (n - 1) + 1, k];
    return [p - k * (n - 1), p > 0 ? p - 1 : null, k];
  });
  v = v.slice(...specs);
  if (l.bcast.some((b) => b)) v = v.broadcastTo(shape);
  return v;
}

/** What makeArray's element at idx must be, from the layout alone (no tensor code). */
export function layoutValue(shape: readonly number[], l: Layout, values: ArrayLike<number>, idx: readonly number[]): number {
  const b = shape.map((n, i) => {
    if (l.bcast[i]) return 0;
    const k = l.steps[i]!;
    const p = l.pads[i]!;
    return k > 0 ? p + k * idx[i]! : p - k * (n - 1) + k * idx[i]!;
  });
  const sshape = storageShape(shape, l);
  return values[ravel(l.perm.map((i) => b[i]!), sshape)]!;
}

/**
 * Element values come from a seeded stream rather than one fast-check draw per storage
 * element: a strided layout's storage can be a hundred times the array's size.
 */
export type Draw = (r: () => number) => number;

export function rng(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-300, 1000, -1000, NaN, Infinity, -Infinity, 1e300, -1e300];

/** Values for float tests: mostly moderate, sometimes the awkward ones (NaN, infinities, -0, ties). */
export const floatDraw: Draw = (r) => {
  const u = r();
  if (u < 0.15) return SPECIAL[Math.floor(r() * SPECIAL.length)]!;
  if (u < 0.2) return (r() - 0.5) * 10 ** (Math.floor(r() * 40) - 20);
  return (r() - 0.5) * 20;
};

/** Moderate finite values (for sums, products, matmul). */
export const finiteDraw: Draw = (r) => (r() - 0.5) * 8;

/** Small integers: every float op on them is exact, so ties and equalities happen. */
export const smallIntDraw: Draw = (r) => Math.floor(r() * 7) - 3;

export const boolDraw: Draw = (r) => (r() < 0.5 ? 1 : 0);

export interface ArrayOpts {
  dtype?: DType;
  values?: Draw;
  broadcast?: boolean;
}

export function drawValues(n: number, seed: number, values: Draw): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => values(r));
}

/** An array of exactly `shape` with a random layout and random values. */
export function arrayArb(shape: readonly number[], { dtype = "float64", values = floatDraw, broadcast = true }: ArrayOpts = {}): fc.Arbitrary<NDArray> {
  return fc.tuple(layoutArb(shape, { broadcast }), fc.integer()).map(([l, seed]) => {
    const n = size(storageShape(shape, l));
    return makeArray(shape, l, drawValues(n, seed, values), dtype);
  });
}

/** A shape and an array of it. */
export function shapedArb(shapeA: fc.Arbitrary<number[]> = shapeArb(), opts: ArrayOpts = {}): fc.Arbitrary<NDArray> {
  return shapeA.chain((s) => arrayArb(s, opts));
}

/** A shape that broadcasts to `out`: some leading dims dropped, some dims set to 1. */
export function broadcastableShapeArb(out: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .record({
      drop: fc.integer({ min: 0, max: out.length }),
      ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    })
    .map(({ drop, ones }) => out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d)));
}

/** Axis arguments for a rank: undefined, a number (maybe negative), or a list (any order). */
export function axisArgArb(rank: number): fc.Arbitrary<number | number[] | undefined> {
  if (rank === 0) return fc.constantFrom(undefined, [] as number[]);
  const one = fc.integer({ min: 0, max: rank - 1 });
  return fc.oneof(
    fc.constant(undefined),
    one.chain((a) => fc.constantFrom(a, a - rank)),
    fc
      .shuffledSubarray(Array.from({ length: rank }, (_, i) => i))
      .chain((axes) => fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => axes.map((a, i) => (neg[i] ? a - rank : a)))),
  );
}

/** The sorted, non-negative axes an axis argument names. */
export function axesOf(axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === "number" ? [axis] : axis;
  return list.map((a) => (a < 0 ? a + rank : a)).sort((x, y) => x - y);
}

/**
 * A reduction on nested arrays: groups the elements of `x` (shape `shape`) by their index
 * on the kept axes and folds each group with `f` (which sees the values in C order).
 */
export function refReduce(x: Nested, shape: readonly number[], axes: readonly number[], keepdims: boolean, f: (vals: number[]) => number | boolean): { shape: number[]; value: Nested } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: size(kept) }, () => []);
  for (const idx of indices(shape)) {
    groups[ravel(idx.map((v, i) => (axes.includes(i) ? 0 : v)), kept)]!.push(at(x, idx));
  }
  const outShape = keepdims ? kept : shape.filter((_, i) => !axes.includes(i));
  return { shape: outShape, value: build(outShape, (idx) => {
    const full = keepdims ? idx : (() => {
      const r: number[] = [];
      let k = 0;
      for (let i = 0; i < shape.length; i++) r.push(axes.includes(i) ? 0 : idx[k++]!);
      return r;
    })();
    return f(groups[ravel(full, kept)]!);
  }) };
}

/** The storage contents as a plain array (for "nothing else was written" checks). */
export function storageOf(a: NDArray): number[] {
  return Array.from(a.data as ArrayLike<number>);
}

/** Property-run settings: modest counts keep the suite fast; a fixed seed is not used. */
export const RUNS = { numRuns: 60 };

/** xorshift128+-like generator of uint32s: reproducible bit patterns without the library's RNG (the transcendental tests). */
export function uint32Stream(seed: number): () => number {
  let s0 = seed | 0 || 1, s1 = 0x9e3779b9;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x;
    return (s0 + s1) >>> 0;
  };
}
