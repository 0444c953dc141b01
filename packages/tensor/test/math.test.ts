// The math kernels of src/math.ts against PyTorch 1.13's float64 values (data/make-math-data.py)
// over ordinary and special inputs (NaN, ±Infinity, ±0, domain edges), the integer remainders
// and divisions against PyTorch's int32 results, the laws that tie the divisions to the
// remainders, and each float kernel's declared element against its eager bits in a fused replay.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { Identities, trace } from "@tapegrad/tensor/internal";
import { rng } from "./helpers.js";

type Enc = number | "nan" | "inf" | "-inf" | "-0";
const D = JSON.parse(readFileSync(new URL("./data/math-torch.json", import.meta.url), "utf8")) as {
  torch: string;
  x: Enc[];
  a: Enc[];
  b: Enc[];
  unary: Record<string, Enc[]>;
  binary: Record<string, Enc[]>;
  int: Record<string, number[]>;
};

function dec(v: Enc): number {
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : v;
}

/** Exact where PyTorch's value is not an ordinary float (NaN, ±Infinity, ±0, sign included); else within rtol. */
function expectValues(got: nd.NDArray, want: readonly Enc[], rtol: number, what: string, inputs: string[]): void {
  const g = Array.from(got.data, Number);
  expect(g.length).toBe(want.length);
  want.forEach((e, i) => {
    const w = dec(e);
    const v = g[i]!;
    const where = `${what}(${inputs[i]}): got ${v}, PyTorch ${w}`;
    if (rtol === 0 || !Number.isFinite(w) || w === 0) expect(Object.is(v, w), where).toBe(true);
    else expect(Math.abs(v - w) <= rtol * Math.abs(w), where).toBe(true);
  });
}

const x = nd.array(D.x.map(dec));
const a = nd.array(D.a.map(dec));
const b = nd.array(D.b.map(dec));
const xNames = D.x.map(String);
const abNames = D.a.map((v, i) => `${v}, ${D.b[i]}`);

// exact: rounding, the remainders and divisions, predicates; the rest within 2 ulp of glibc
const EXACT = new Set(["trunc", "isinf", "logicalNot", "copysign", "remainder", "fmod", "floorDivide", "truncDivide", "logicalAnd", "logicalOr", "logicalXor"]);
const UNARY = { tan: nd.tan, asin: nd.asin, acos: nd.acos, atan: nd.atan, sinh: nd.sinh, cosh: nd.cosh, asinh: nd.asinh, acosh: nd.acosh, atanh: nd.atanh, log2: nd.log2, log10: nd.log10, exp2: nd.exp2, rsqrt: nd.rsqrt, trunc: nd.trunc, isinf: nd.isinf, logicalNot: nd.logicalNot };
const BINARY = { atan2: nd.atan2, hypot: nd.hypot, copysign: nd.copysign, remainder: nd.remainder, fmod: nd.fmod, floorDivide: nd.floorDivide, truncDivide: nd.truncDivide, logicalAnd: nd.logicalAnd, logicalOr: nd.logicalOr, logicalXor: nd.logicalXor };

describe(`math kernels against PyTorch ${D.torch} (float64)`, () => {
  for (const [name, f] of Object.entries(UNARY)) {
    it(`${name} on ${D.x.length} values, special ones included`, () => {
      const y = f(x);
      expect(y.dtype).toBe(name === "isinf" || name === "logicalNot" ? "bool" : "float64");
      expectValues(y, D.unary[name]!, EXACT.has(name) ? 0 : 5e-16, name, xNames);
    });
  }
  for (const [name, f] of Object.entries(BINARY)) {
    it(`${name} on ${D.a.length} pairs, special ones included`, () => {
      const y = f(a, b);
      expect(y.dtype).toBe(name.startsWith("logical") ? "bool" : "float64");
      expectValues(y, D.binary[name]!, EXACT.has(name) ? 0 : 5e-16, name, abNames);
    });
  }
  it("the remainders and divisions of int32 arrays stay int32, as PyTorch's", () => {
    const ia = nd.array(new Int32Array(D.int.a!));
    const ib = nd.array(new Int32Array(D.int.b!));
    for (const name of ["remainder", "fmod", "floorDivide", "truncDivide"] as const) {
      const y = BINARY[name](ia, ib);
      expect(y.dtype, name).toBe("int32");
      expect(Array.from(y.data), name).toEqual(D.int[name]);
    }
  });
});

describe("math kernels: laws, dtypes, broadcasting and errors", () => {
  it("floorDivide(a, b) * b + remainder(a, b) == a exactly for integer-valued floats, and the same for trunc/fmod", () => {
    const r = rng(5);
    const p = nd.array(Array.from({ length: 200 }, () => Math.round((r() - 0.5) * 2000)));
    const q = nd.array(Array.from({ length: 200 }, () => (r() < 0.5 ? -1 : 1) * (1 + Math.round(r() * 30))));
    const back = nd.add(nd.mul(nd.floorDivide(p, q), q), nd.remainder(p, q));
    expect(Array.from(back.data)).toEqual(Array.from(p.data));
    const back2 = nd.add(nd.mul(nd.truncDivide(p, q), q), nd.fmod(p, q));
    expect(Array.from(back2.data)).toEqual(Array.from(p.data));
  });

  it("floor division is computed from the exact remainder: 1 // 0.1 is 9, as in Python (floor(1 / 0.1) is 10)", () => {
    expect(nd.floorDivide(nd.array([1]), 0.1).toArray()).toEqual([9]);
    expect(nd.remainder(nd.array([1]), 0.1).get(0)).toBe(0.09999999999999995);
  });

  it("an integer division by zero is a ValueError naming the op, and no out array is written", () => {
    const ia = nd.array(new Int32Array([1, 2]));
    const out = nd.array(new Int32Array([9, 9]));
    for (const f of [nd.floorDivide, nd.remainder, nd.fmod, nd.truncDivide]) {
      expect(() => f(ia, nd.array(new Int32Array([1, 0])), out)).toThrow(nd.ValueError);
      expect(() => f(ia, nd.array(new Int32Array([1, 0])))).toThrow(/integer division by zero/);
    }
    expect(Array.from(out.data)).toEqual([9, 9]);
    // a float divisor of 0 follows IEEE instead
    expect(nd.floorDivide(nd.array([1, -1, 0]), 0).toArray()).toEqual([Infinity, -Infinity, NaN]);
  });

  it("broadcasts, takes numbers as weak operands, keeps float32, and writes `out`", () => {
    const m = nd.array([[1, 2, 3], [4, 5, 6]], undefined, "float32");
    expect(nd.remainder(m, 4).dtype).toBe("float32");
    expect(nd.atan2(m, nd.array([[1], [-1]], undefined, "float32")).shape).toEqual([2, 3]);
    expect(nd.hypot(3, nd.array([4])).toArray()).toEqual([5]);
    expect(nd.tan(nd.array([1, 2], undefined, "int32")).dtype).toBe("float64");
    expect(nd.trunc(nd.array([3, -3], undefined, "int32")).dtype).toBe("int32");
    const out = nd.zeros([2, 3]);
    expect(nd.fmod(m.astype("float64"), 4, out)).toBe(out);
    expect(out.toArray()).toEqual([[1, 2, 3], [0, 1, 2]]);
    // a transposed (non-contiguous) operand is read through its strides
    expect(nd.floorDivide(m.transpose(), 2).toArray()).toEqual([[0, 2], [1, 2], [1, 3]]);
    expect(() => nd.hypot(nd.zeros([2]), nd.zeros([3]))).toThrow(nd.ShapeError);
    expect(() => nd.atan2(nd.zeros([2]), "1" as unknown as number)).toThrow(nd.DTypeError);
  });

  it("copysign reads the sign bit: -0 and a negative NaN count as negative", () => {
    const negNaN = new Float64Array([NaN]);
    const bytes = new Uint8Array(negNaN.buffer);
    bytes[7] = bytes[7]! | 0x80; // the sign bit, on a little-endian machine
    const y = nd.copysign(nd.array([1, 2, 3, 4]), nd.array([-0, 0, negNaN[0]!, NaN]));
    expect(Array.from(y.data)).toEqual([-1, 2, -3, 4]);
  });
});

describe("math kernels fuse in a traced program, to the eager bits", () => {
  // a chain of every float kernel here: traced with fusion, replayed on new values, each result
  // equal bit for bit to the eager kernels on those values
  const chain = (p: nd.NDArray, q: nd.NDArray): nd.NDArray[] => {
    const u = nd.tan(nd.atan(p));
    const v = nd.add(nd.sinh(nd.asinh(q)), nd.cosh(nd.mul(p, 0.1)));
    const w = nd.log2(nd.exp2(nd.atanh(nd.mul(nd.asin(nd.mul(nd.acos(nd.mul(q, 0.3)), 0.3)), 0.5))));
    const z = nd.add(nd.log10(nd.acosh(nd.add(nd.abs(p), 1))), nd.rsqrt(nd.abs(q)));
    const r = nd.add(nd.add(nd.remainder(p, q), nd.fmod(q, p)), nd.add(nd.floorDivide(p, 0.7), nd.truncDivide(q, p)));
    const s = nd.add(nd.add(nd.atan2(p, q), nd.hypot(q, p)), nd.add(nd.copysign(p, q), nd.trunc(nd.mul(q, 3))));
    return [u, v, w, z, r, s];
  };
  for (const dtype of ["float64", "float32"] as const) {
    it(dtype, () => {
      const fill = (seed: number) => {
        const r = rng(seed);
        const arr = nd.zeros([3, 7], dtype);
        for (let i = 0; i < arr.size; i++) arr.data[i] = r() < 0.1 ? [0, -0, NaN, Infinity, -Infinity][Math.floor(r() * 5)]! : (r() - 0.5) * 6;
        return arr;
      };
      const p = fill(1), q = fill(2);
      const { result, program } = trace(() => chain(p, q), [p, q], new Identities(), { fuse: true });
      expect(program.groups.length).toBeGreaterThan(0);
      for (const seed of [3, 4, 5]) {
        const p2 = fill(seed), q2 = fill(seed + 10);
        p.assign(p2);
        q.assign(q2);
        program.run();
        const want = chain(p2, q2);
        want.forEach((w, k) => {
          for (let i = 0; i < w.size; i++) expect(Object.is(result[k]!.data[i], w.data[i]), `result ${k} element ${i} (seed ${seed})`).toBe(true);
        });
      }
    });
  }
});
