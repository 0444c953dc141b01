// matmul against a naive triple loop on the nested arrays: 1-D and 2-D operands, batches that
// broadcast, transposed/strided/broadcast layouts, sizes on both sides of the packed kernel's
// threshold (32*32*32 multiply-adds) with edges that are not multiples of its 4x4 tile.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { NDArray, array, type DType } from "../src/index.js";
import { arrayArb, at, bidx, broadcastableShapeArb, finiteDraw, flatten, indices, ravel, rng, smallIntDraw, type Nested } from "./helpers.js";

/** numpy's matmul, by definition: 1-D operands gain and lose a unit dim, batches broadcast. */
function refMatmul(a: NDArray, b: NDArray): { shape: number[]; value: (idx: number[]) => { v: number; mag: number } } {
  // The operands' elements in C order (from toArray), read with C-order index arithmetic.
  const A = flatten(a.toArray() as Nested);
  const B = flatten(b.toArray() as Nested);
  const as = a.ndim === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.ndim === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const K = as[as.length - 1]!;
  const batchA = as.slice(0, -2);
  const batchB = bs.slice(0, -2);
  const nb = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < nb; i++) {
    const x = batchA[batchA.length - nb + i] ?? 1;
    const y = batchB[batchB.length - nb + i] ?? 1;
    batch.push(x === 1 ? y : x);
  }
  const M = as[as.length - 2]!;
  const N = bs[bs.length - 1]!;
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  return {
    shape,
    value: (idx) => {
      const bi = idx.slice(0, nb);
      const i = a.ndim === 1 ? 0 : idx[nb]!;
      const j = b.ndim === 1 ? 0 : idx[idx.length - 1]!;
      const a0 = ravel([...bidx(bi, batchA), i, 0], as);
      const b0 = ravel([...bidx(bi, batchB), 0, j], bs);
      let v = 0;
      let mag = 0;
      for (let k = 0; k < K; k++) {
        const p = A[a0 + k]! * B[b0 + k * N]!;
        v += p;
        mag += Math.abs(p);
      }
      return { v, mag };
    },
  };
}

/** Unit roundoff of each dtype's arithmetic (0 for the integer dtypes, whose products here are exact). */
const UNIT: Record<DType, number> = { float64: 2 ** -53, float32: 2 ** -24, int32: 0, bool: 0 };

/**
 * Checks y against the triple loop within the textbook bound for a dot product of length K
 * (Higham, Accuracy and Stability of Numerical Algorithms, section 3.1): any summation order gives
 * |fl(x.y) - x.y| <= gamma_K * sum |x_i y_i| with gamma_K = K u / (1 - K u); one more rounding
 * stores the result, so gamma_{K+1}. A wrong element misses by the size of the sum, far outside it.
 */
function checkMatmul(a: NDArray, b: NDArray, y: NDArray, unit: number): void {
  const K = a.shape[a.ndim - 1]!;
  const rtol = unit === 0 ? 0 : ((K + 1) * unit) / (1 - (K + 1) * unit);
  const ref = refMatmul(a, b);
  expect(y.shape).toEqual(ref.shape);
  const got = y.toArray() as Nested;
  for (const idx of indices(ref.shape)) {
    const { v, mag } = ref.value(idx);
    const g = at(got, idx);
    if (!(Math.abs(g - v) <= rtol * mag + 1e-300)) {
      throw new Error(`matmul [${a.shape}] @ [${b.shape}] at [${idx}]: got ${g}, want ${v} (± ${rtol * mag})`);
    }
  }
}

// When the package offers more than one gemm kernel (setMatmulBackend: "ts", "wasm"), every
// product below is checked on each; looked up by name so this file does not depend on it.
const setBackend = (T as unknown as Record<string, unknown>).setMatmulBackend as ((b: string) => string) | undefined;
const BACKENDS = setBackend ? ["ts", "wasm"] : ["default"];

function eachBackend(fn: (backend: string) => void): void {
  for (const b of BACKENDS) {
    const prev = setBackend?.(b);
    try {
      fn(b);
    } finally {
      if (prev !== undefined) setBackend!(prev);
    }
  }
}

const dim = (max: number) => fc.oneof({ arbitrary: fc.integer({ min: 1, max }), weight: 5 }, { arbitrary: fc.constant(0), weight: 1 });

/** Operand shapes for every matmul form, batches drawn so they broadcast. */
const shapesArb = fc
  .record({
    form: fc.constantFrom("1x1", "1x2", "2x1", "2x2", "batch", "1xbatch", "batchx1"),
    M: dim(6),
    K: dim(6),
    N: dim(6),
    batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  })
  .chain(({ form, M, K, N, batch }) =>
    fc.tuple(broadcastableShapeArb(batch), broadcastableShapeArb(batch)).map(([ba, bb]): [number[], number[]] => {
      switch (form) {
        case "1x1": return [[K], [K]];
        case "1x2": return [[K], [K, N]];
        case "2x1": return [[M, K], [K]];
        case "2x2": return [[M, K], [K, N]];
        case "1xbatch": return [[K], [...bb, K, N]];
        case "batchx1": return [[...ba, M, K], [K]];
        default: return [[...ba, M, K], [...bb, K, N]];
      }
    }),
  );

function operandsArb(dtype: DType, values = finiteDraw) {
  return shapesArb.chain(([sa, sb]) => fc.tuple(arrayArb(sa, { dtype, values }), arrayArb(sb, { dtype, values })));
}

describe("matmul", () => {
  it("equals the triple loop for every form, batch broadcast and layout (float64)", () => {
    fc.assert(
      fc.property(operandsArb("float64"), ([a, b]) => {
        eachBackend(() => {
          const y = T.matmul(a, b);
          expect(y.dtype).toBe("float64");
          checkMatmul(a, b, y, UNIT.float64);
          expect(a.matmul(b).toArray()).toEqual(y.toArray());
        });
      }),
      { numRuns: 150 },
    );
  });

  it("float32 operands give float32; int32 operands give exact int32", () => {
    fc.assert(
      fc.property(operandsArb("float32"), ([a, b]) => {
        eachBackend(() => {
          const y = T.matmul(a, b);
          expect(y.dtype).toBe("float32");
          checkMatmul(a, b, y, UNIT.float32);
        });
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(operandsArb("int32", smallIntDraw), ([a, b]) => {
        const y = T.matmul(a, b);
        expect(y.dtype).toBe("int32");
        checkMatmul(a, b, y, UNIT.int32);
      }),
      { numRuns: 40 },
    );
  });

  it("float32 with float64 gives float64", () => {
    const a = array([[1.1, 2]], undefined, "float32");
    const b = array([[3], [4.1]]);
    const y = T.matmul(a, b);
    expect(y.dtype).toBe("float64");
    expect(y.item()).toBe(Math.fround(1.1) * 3 + 2 * 4.1);
  });

  it("above 32x32x32 (the packed kernel), odd sizes, transposed and strided operands", () => {
    const arb = fc
      .record({ M: fc.integer({ min: 33, max: 71 }), K: fc.integer({ min: 33, max: 135 }), N: fc.integer({ min: 33, max: 71 }), batch: fc.constantFrom([] as number[], [2]) })
      .chain(({ M, K, N, batch }) =>
        fc.tuple(
          arrayArb([...batch, M, K], { values: finiteDraw, broadcast: false }),
          arrayArb([...batch, K, N], { values: finiteDraw, broadcast: false }),
          fc.constantFrom<DType>("float64", "float32"),
        ),
      );
    fc.assert(
      fc.property(arb, ([a0, b0, dt]) => {
        const [a, b] = dt === "float32" ? [a0.astype("float32"), b0.astype("float32")] : [a0, b0];
        eachBackend(() => checkMatmul(a, b, T.matmul(a, b), UNIT[dt]));
      }),
      { numRuns: 8 },
    );
  });

  it("a large product through transposed views equals the one through contiguous copies", () => {
    // 129 x 67 @ 67 x 130: partial tiles on every edge and two K blocks of the packed kernel.
    const r = rng(7);
    const a = array(Array.from({ length: 67 * 129 }, () => r() - 0.5), [67, 129]).T;
    const b = array(Array.from({ length: 130 * 67 }, () => r() - 0.5), [130, 67]).T;
    eachBackend(() => checkMatmul(a, b, T.matmul(a, b), UNIT.float64));
    const big = T.matmul(T.ones([3, 1, 40, 41]).slice(null, null, [null, null, -1]), T.ones([2, 41, 50]).slice(null, [null, null, -1]));
    expect(big.shape).toEqual([3, 2, 40, 50]);
    expect(T.all(T.eq(big, 41)).item()).toBe(1);
  });

  it("writes into out= of any layout; through a temporary when out overlaps an operand", () => {
    const a = T.arange(12).reshape(3, 4);
    const b = T.arange(8).reshape(4, 2);
    const want = refMatmul(a, b);
    eachBackend(() => {
      const out = T.zeros([2, 3]).T; // (3, 2) with strides (1, 3)
      expect(T.matmul(a, b, out)).toBe(out);
      for (const idx of indices([3, 2])) expect(out.get(...idx)).toBe(want.value(idx).v);
      // A large product into a strided out, through the packed kernels.
      const A = T.arange(40 * 37).reshape(40, 37).mul(1 / 1000);
      const B = T.arange(37 * 45).reshape(37, 45).T.T.mul(-1 / 1000);
      const o = T.zeros([45, 40]).T;
      T.matmul(A, B, o);
      checkMatmul(A, B, o, UNIT.float64);
    });
    // out aliasing the left operand: x <- x @ I must leave x unchanged.
    const x = T.arange(9).reshape(3, 3);
    const before = x.toArray();
    T.matmul(x, T.eye(3), x);
    expect(x.toArray()).toEqual(before);
    // ... and x <- x.T @ x reads every element of x before writing.
    const z = array([[1, 2], [3, 4]]);
    T.matmul(z.T, z, z);
    expect(z.toArray()).toEqual([[10, 14], [14, 20]]);
  });

  it("dot and outer", () => {
    expect(T.dot(array([1, 2, 3]), array([4, 5, 6])).item()).toBe(32);
    expect(T.dot(array([1, 2, 3]), array([4, 5, 6])).shape).toEqual([]);
    expect(T.outer(array([1, 2]), array([3, 4, 5])).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
  });
});
