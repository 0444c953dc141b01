// The add/sub/mul/div loops of kernels/binary.ts against a plain per-element reference, on
// every stride case they specialise (unit strides from 0 and from offsets, long and short runs,
// a broadcast value on either side, general strides), float64 and float32.

import { describe, expect, it } from "vitest";
import { arithmeticRow } from "../src/kernels/binary.js";

const OPS: ((x: number, y: number) => number)[] = [(x, y) => x + y, (x, y) => x - y, (x, y) => x * y, (x, y) => x / y];

describe("binary kernels", () => {
  it("equal the per-element reference for every stride case, float64 and float32", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 8 - 4;
    const cases: [number, number, number, number, number, number, number][] = [
      // po, so, pa, sa, pb, sb, n
      [0, 1, 0, 1, 0, 1, 200], [3, 1, 5, 1, 7, 1, 200], [3, 1, 5, 1, 7, 1, 20], [0, 1, 2, 1, 9, 0, 150],
      [1, 1, 4, 0, 2, 1, 150], [0, 1, 1, 3, 0, 2, 60], [10, -1, 0, 2, 5, 1, 11], [0, 2, 0, 0, 0, 0, 30],
    ];
    for (const [Arr, round] of [[Float64Array, (v: number) => v], [Float32Array, Math.fround]] as const) {
      for (let code = 0; code < 4; code++) {
        for (const [po, so, pa, sa, pb, sb, n] of cases) {
          const a = new Arr(700).map(rand), b = new Arr(700).map(rand);
          const o = new Arr(700).fill(-99);
          expect(arithmeticRow(code, o, po, so, a, pa, sa, b, pb, sb, n)).toBe(true);
          const want = new Arr(700).fill(-99);
          for (let i = 0; i < n; i++) want[po + i * so] = round(OPS[code]!(a[pa + i * sa]!, b[pb + i * sb]!));
          expect([...o], `${Arr.name} op ${code} case ${[po, so, pa, sa, pb, sb, n]}`).toEqual([...want]);
        }
      }
    }
  });

  it("decline mixed or integer storages (the generic loop takes them)", () => {
    const f = new Float64Array(4), g = new Float32Array(4), i = new Int32Array(4);
    expect(arithmeticRow(0, f, 0, 1, f, 0, 1, g, 0, 1, 4)).toBe(false);
    expect(arithmeticRow(0, i, 0, 1, i, 0, 1, i, 0, 1, 4)).toBe(false);
    expect([...f]).toEqual([0, 0, 0, 0]);
  });
});
