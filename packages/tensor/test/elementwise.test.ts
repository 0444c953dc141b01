// Elementwise ops on random shapes and layouts against a reference computed element by element
// from the nested arrays (toArray) with JS Math, rounded to float32 where the array is float32.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { NDArray, array, type DType } from "../src/index.js";
import {
  RUNS, arrayArb, at, bidx, boolDraw, broadcastableShapeArb, build, close, expectArray, floatDraw, refBroadcast,
  rng, same, shapeArb, smallIntDraw, type Draw, type Nested,
} from "./helpers.js";

const f32 = Math.fround;

function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

type UnaryName =
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "tanh" | "sigmoid" | "relu" | "square" | "sin" | "cos" | "sign"
  | "reciprocal" | "log1p" | "expm1" | "floor" | "ceil" | "round" | "isnan" | "isfinite";

/** What each op is, in the world's words; `kind` is its result dtype rule. */
const UNARY: Record<UnaryName, { ref: (x: number) => number; kind: "float" | "same" | "bool"; rtol?: number }> = {
  neg: { ref: (x) => -x, kind: "same" },
  // exp, log, tanh: polynomial kernels within 2 ulp (transcendental.test.ts), not Math's bits
  exp: { ref: Math.exp, kind: "float", rtol: 5e-16 },
  log: { ref: Math.log, kind: "float", rtol: 5e-16 },
  sqrt: { ref: Math.sqrt, kind: "float" },
  abs: { ref: Math.abs, kind: "same" },
  tanh: { ref: Math.tanh, kind: "float", rtol: 5e-16 },
  // The kernel uses exp(x) / (1 + exp(x)) for x < 0 (no overflow): a few ulps from this form.
  sigmoid: { ref: (x) => 1 / (1 + Math.exp(-x)), kind: "float", rtol: 1e-15 },
  relu: { ref: (x) => (x !== x ? NaN : x > 0 ? x : 0), kind: "same" },
  square: { ref: (x) => x * x, kind: "same" },
  sin: { ref: Math.sin, kind: "float" },
  cos: { ref: Math.cos, kind: "float" },
  sign: { ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN), kind: "same" },
  reciprocal: { ref: (x) => 1 / x, kind: "float" },
  log1p: { ref: Math.log1p, kind: "float" },
  expm1: { ref: Math.expm1, kind: "float" },
  floor: { ref: Math.floor, kind: "same" },
  ceil: { ref: Math.ceil, kind: "same" },
  round: { ref: roundHalfEven, kind: "same" },
  isnan: { ref: (x) => (x !== x ? 1 : 0), kind: "bool" },
  isfinite: { ref: (x) => (Number.isFinite(x) ? 1 : 0), kind: "bool" },
};

function unaryDType(kind: "float" | "same" | "bool", dt: DType): DType {
  if (kind === "bool") return "bool";
  if (kind === "float") return dt === "float32" ? "float32" : "float64";
  return dt === "bool" ? "int32" : dt;
}

/** Expected element: the float64 reference rounded once to the result dtype. */
function asDType(v: number, dt: DType): number {
  return dt === "float32" ? f32(v) : v;
}

/** Equality for an op's results: exact unless the reference is a different formula (rtol). */
function eqFor(dt: DType, rtol = 0): (a: number, b: number) => boolean {
  if (rtol === 0) return (a, b) => same(a, b);
  // A float32 result may sit one float32 ulp from the rounded reference.
  return (a, b) => close(a, b, dt === "float32" ? 1.2e-7 : rtol, 1e-300);
}

describe("unary ops", () => {
  for (const [name, op] of Object.entries(UNARY) as [UnaryName, (typeof UNARY)[UnaryName]][]) {
    it(`${name} equals its reference on every layout, float64 and float32`, () => {
      const arb = shapeArb().chain((s) => fc.tuple(arrayArb(s, { dtype: "float64" }), arrayArb(s, { dtype: "float32" })));
      fc.assert(
        fc.property(arb, ([x64, x32]) => {
          for (const x of [x64, x32]) {
            const y = (T[name] as (a: NDArray) => NDArray)(x);
            const dt = unaryDType(op.kind, x.dtype);
            expect(y.dtype).toBe(dt);
            const xs = x.toArray() as Nested;
            const want = build(x.shape, (idx) => asDType(op.ref(at(xs, idx)), dt));
            expectArray(y, x.shape, want, eqFor(x.dtype, op.rtol), name);
            // The method is the same op.
            const m = (x as unknown as Record<string, () => NDArray>)[name]!.call(x);
            expect(m.toArray()).toEqual(y.toArray());
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  it("on int32 arrays: neg abs square sign floor ceil round relu stay int32, the rest are float64", () => {
    const x = array([-3, -2, -1, 0, 1, 2, 3], undefined, "int32");
    for (const [name, op] of Object.entries(UNARY) as [UnaryName, (typeof UNARY)[UnaryName]][]) {
      const y = (T[name] as (a: NDArray) => NDArray)(x);
      const dt = unaryDType(op.kind, "int32");
      expect(y.dtype, name).toBe(dt);
      expectArray(y, [7], [-3, -2, -1, 0, 1, 2, 3].map(op.ref), eqFor("float64", op.rtol), name);
    }
  });

  it("writes into a strided out= of its own storage, float64 results cast to a float32 out", () => {
    const arb = shapeArb().chain((s) => fc.tuple(arrayArb(s), arrayArb(s, { broadcast: false, dtype: "float32" })));
    fc.assert(
      fc.property(arb, ([x, out]) => {
        const v0 = out.version;
        const r = T.exp(x, out);
        expect(r).toBe(out);
        expect(out.version).toBe(v0 + 1);
        const xs = x.toArray() as Nested;
        expectArray(out, x.shape, build(x.shape, (idx) => f32(Math.exp(at(xs, idx)))));
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- binary

type BinaryName = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/** C99's pow (Annex F), which numpy calls: pow(x, ±0) = 1 and pow(1, y) = 1 even for NaN, pow(-1, ±inf) = 1. */
export function refPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

const BINARY: Record<BinaryName, { ref: (a: number, b: number) => number; kind: "arith" | "float" | "bool" }> = {
  add: { ref: (a, b) => a + b, kind: "arith" },
  sub: { ref: (a, b) => a - b, kind: "arith" },
  mul: { ref: (a, b) => a * b, kind: "arith" },
  div: { ref: (a, b) => a / b, kind: "float" },
  pow: { ref: refPow, kind: "arith" },
  maximum: { ref: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b), kind: "arith" },
  minimum: { ref: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b), kind: "arith" },
  eq: { ref: (a, b) => +(a === b), kind: "bool" },
  ne: { ref: (a, b) => +(a !== b), kind: "bool" },
  lt: { ref: (a, b) => +(a < b), kind: "bool" },
  le: { ref: (a, b) => +(a <= b), kind: "bool" },
  gt: { ref: (a, b) => +(a > b), kind: "bool" },
  ge: { ref: (a, b) => +(a >= b), kind: "bool" },
};

/** numpy's promotion among the dtypes here (the table at the top of dtype.ts, as numpy states it). */
function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  const s = new Set([a, b]);
  if (s.has("bool")) return a === "bool" ? b : a;
  if (s.has("float64")) return "float64";
  if (s.has("int32") && s.has("float32")) return "float64";
  return "float32";
}

function binaryDType(kind: "arith" | "float" | "bool", a: DType, b: DType): DType {
  const p = promote(a, b);
  if (kind === "bool") return "bool";
  if (kind === "float") return p === "float32" ? "float32" : "float64";
  return p === "bool" ? "int32" : p;
}

type Operand = NDArray | number;

const dtypePairs: [DType | "scalar", DType | "scalar"][] = [
  ["float64", "float64"], ["float32", "float32"], ["float32", "float64"], ["float64", "float32"],
  ["float32", "scalar"], ["scalar", "float32"], ["float64", "scalar"], ["scalar", "float64"], ["int32", "int32"],
];

function operandArb(shape: number[], kind: DType | "scalar", values: Draw): fc.Arbitrary<Operand> {
  if (kind === "scalar") return fc.integer().map((seed) => values(rng(seed)));
  return arrayArb(shape, { dtype: kind, values: kind === "int32" ? smallIntDraw : values });
}

function shapeOf(x: Operand): number[] {
  return x instanceof NDArray ? [...x.shape] : [];
}

function valueAt(x: Operand, idx: readonly number[], nested: Nested | null): number {
  return x instanceof NDArray ? at(nested!, bidx(idx, x.shape)) : x;
}

/** Two operands whose shapes broadcast to a drawn shape, each side an array or a number. */
function pairArb(pair: [DType | "scalar", DType | "scalar"], values: Draw = floatDraw) {
  return shapeArb({ maxRank: 4, maxDim: 4 }).chain((out) =>
    fc.tuple(broadcastableShapeArb(out), broadcastableShapeArb(out)).chain(([sa, sb]) =>
      fc.tuple(operandArb(sa, pair[0], values), operandArb(sb, pair[1], values)),
    ),
  );
}

describe("binary ops with broadcasting", () => {
  for (const [name, op] of Object.entries(BINARY) as [BinaryName, (typeof BINARY)[BinaryName]][]) {
    it(`${name} equals its reference for every dtype pair, layout and broadcast`, () => {
      for (const pair of dtypePairs) {
        if (name === "pow" && pair[0] === "int32") continue; // integer powers: below
        fc.assert(
          fc.property(pairArb(pair), ([a, b]) => {
            const fn = T[name] as (x: Operand, y: Operand) => NDArray;
            const y = fn(a, b);
            const outShape = refBroadcast(shapeOf(a), shapeOf(b))!;
            const da = a instanceof NDArray ? a.dtype : b instanceof NDArray ? b.dtype : "float64";
            const db = b instanceof NDArray ? b.dtype : da;
            const dt = binaryDType(op.kind, da, db);
            expect(y.dtype).toBe(dt);
            // A weak scalar next to a float32 array is a float32 number.
            const sa = typeof a === "number" && da === "float32" ? f32(a) : a;
            const sb = typeof b === "number" && db === "float32" ? f32(b) : b;
            const na = a instanceof NDArray ? (a.toArray() as Nested) : null;
            const nb = b instanceof NDArray ? (b.toArray() as Nested) : null;
            const want = build(outShape, (idx) => asDType(op.ref(valueAt(sa, idx, na), valueAt(sb, idx, nb)), dt));
            expectArray(y, outShape, want, same, `${name}(${pair})`);
            if (a instanceof NDArray) {
              const m = (a as unknown as Record<string, (b: Operand) => NDArray>)[name]!.call(a, b);
              expect(m.toArray()).toEqual(y.toArray());
            }
          }),
          { numRuns: 12 },
        );
      }
    });
  }

  it("integer pow stays int32 for non-negative exponents and refuses negative ones", () => {
    const x = array([-3, -2, 0, 1, 2, 5], undefined, "int32");
    const y = T.pow(x, array([3, 2, 0, 7, 10, 2], undefined, "int32"));
    expect(y.dtype).toBe("int32");
    expect(y.toArray()).toEqual([-27, 4, 1, 1, 1024, 25]);
    expect(T.pow(x, 2).toArray()).toEqual([9, 4, 0, 1, 4, 25]);
    expect(T.pow(x, 0.5).dtype).toBe("float64");
    expect(() => T.pow(x, -1)).toThrow(T.ValueError);
  });

  it("writes into an out= of another layout and dtype, leaving the rest of its storage alone", () => {
    const arb = shapeArb({ maxRank: 3 }).chain((s) => fc.tuple(arrayArb(s), arrayArb(s), arrayArb(s, { broadcast: false, dtype: "float32" })));
    fc.assert(
      fc.property(arb, ([a, b, out]) => {
        const before = Array.from(out.data);
        const offs = new Set<number>();
        const walkOffs = (idx: number[]) => offs.add(idx.reduce((s, k, i) => s + k * out.strides[i]!, out.offset));
        build(out.shape, (idx) => (walkOffs(idx), 0));
        T.mul(a, b, out);
        const na = a.toArray() as Nested;
        const nb = b.toArray() as Nested;
        expectArray(out, a.shape, build(a.shape, (idx) => f32(at(na, idx) * at(nb, idx))));
        Array.from(out.data).forEach((v, i) => {
          if (!offs.has(i)) expect(same(v, before[i]!)).toBe(true);
        });
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- where, clip

describe("where", () => {
  it("picks a where the mask is nonzero, else b, with three-way broadcasting", () => {
    const arb = shapeArb({ maxRank: 3, maxDim: 4 }).chain((out) =>
      fc.tuple(broadcastableShapeArb(out), broadcastableShapeArb(out), broadcastableShapeArb(out), fc.constantFrom<DType | "scalar">("float64", "float32", "scalar"))
        .chain(([sm, sa, sb, kb]) =>
          fc.tuple(
            fc.oneof(arrayArb(sm, { dtype: "bool", values: boolDraw }), arrayArb(sm, { values: (r) => [0, 1, -0, NaN, 2.5][Math.floor(r() * 5)]! })),
            arrayArb(sa, { dtype: "float32" }),
            operandArb(sb, kb, floatDraw),
          ),
        ),
    );
    fc.assert(
      fc.property(arb, ([m, a, b]) => {
        const y = T.where(m, a, b);
        const outShape = refBroadcast(m.shape, a.shape, shapeOf(b))!;
        const db = b instanceof NDArray ? b.dtype : "float32";
        expect(y.dtype).toBe(promote("float32", db));
        const nm = m.toArray() as Nested;
        const na = a.toArray() as Nested;
        const nb = b instanceof NDArray ? (b.toArray() as Nested) : null;
        const sb = typeof b === "number" ? f32(b) : b;
        // numpy's truth of a number: nonzero, and NaN is nonzero.
        const want = build(outShape, (idx) => (at(nm, bidx(idx, m.shape)) !== 0 ? at(na, bidx(idx, a.shape)) : valueAt(sb, idx, nb)));
        expectArray(y, outShape, want);
      }),
      RUNS,
    );
  });

  it("takes numbers on both sides", () => {
    expect(T.where(array([true, false, true]), 1, -1).toArray()).toEqual([1, -1, 1]);
    expect(T.where(array([NaN, 0]), 1, 2).toArray()).toEqual([1, 2]);
  });
});

describe("clip", () => {
  it("is min(max(x, lo), hi) elementwise, NaN staying NaN, dtype kept", () => {
    const arb = shapeArb().chain((s) =>
      fc.tuple(arrayArb(s, { dtype: "float32" }), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true })),
    );
    fc.assert(
      fc.property(arb, ([x, lo, w]) => {
        const hi = lo + w;
        const y = T.clip(x, lo, hi);
        expect(y.dtype).toBe("float32");
        const xs = x.toArray() as Nested;
        const [l, h] = [f32(lo), f32(hi)];
        expectArray(y, x.shape, build(x.shape, (idx) => {
          const v = at(xs, idx);
          return v !== v ? NaN : v < l ? l : v > h ? h : v;
        }));
        expect(x.clip(lo, hi).toArray()).toEqual(y.toArray());
      }),
      RUNS,
    );
  });
});
