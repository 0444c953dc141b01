// An array too large to allocate is an AllocationError that names the operation, the shape, the
// element count, the dtype and the bytes (numpy says "Unable to allocate 7.28 TiB for an array
// with shape (1000000, 1000000) and data type float64"), not the engine's bare RangeError.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { AllocationError, TapegradError } from "@tapegrad/tensor";

describe("allocations too large for the engine", () => {
  it("zeros([1e6, 1e6]) names the factory, the shape and 7.28 TiB", () => {
    let err: unknown;
    try {
      nd.zeros([1e6, 1e6]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AllocationError);
    expect(err).toBeInstanceOf(TapegradError);
    expect((err as Error).name).toBe("AllocationError");
    expect((err as Error).message).toMatch(/^zeros: cannot allocate an array of shape \[1000000,1000000\] \(1000000000000 float64 elements\), 7\.28 TiB \(.+\)$/);
  });

  it("every factory names itself and its dtype's bytes", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => nd.ones([1e5, 1e5], "float32"), /^ones: .*shape \[100000,100000\] \(10000000000 float32 elements\), 37\.25 GiB/],
      [() => nd.full([3e9, 3], 7, "int32"), /^full: .*shape \[3000000000,3\]/],
      [() => nd.empty([1e10], "bool"), /^empty: .*\(10000000000 bool elements\), 9\.31 GiB/],
      [() => nd.arange(0, 1e12), /^arange: cannot allocate 1000000000000 float64 elements, 7\.28 TiB/],
      [() => nd.linspace(0, 1, 1e11), /^linspace: cannot allocate 100000000000 float64 elements/],
    ];
    for (const [f, re] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AllocationError);
      expect((err as Error).message).toMatch(re);
    }
  });

  it("a kernel's result too large to allocate is an AllocationError too (a broadcast of two views)", () => {
    const col = nd.zeros([1]).broadcastTo([1e6, 1]);
    const row = nd.zeros([1]).broadcastTo([1, 1e6]);
    expect(() => nd.add(col, row)).toThrow(AllocationError);
    // the kernel names itself and the result's shape
    expect(() => nd.add(col, row)).toThrow(/^add: cannot allocate .*shape \[1000000,1000000\] \(1000000000000 float64 elements\), 7\.28 TiB/);
    expect(() => nd.matmul(nd.zeros([1]).broadcastTo([1e6, 1]), nd.zeros([1]).broadcastTo([1, 1e6]))).toThrow(/^matmul: cannot allocate .*shape \[1000000,1000000\]/);
    expect(() => nd.concat([col.broadcastTo([1e6, 1e6]), col.broadcastTo([1e6, 1e6])], 0)).toThrow(/^concat: cannot allocate .*shape \[2000000,1000000\]/);
  });

  it("allocations the engine can make are unchanged", () => {
    expect(nd.zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(nd.zeros([0, 1e12]).size).toBe(0);
  });
});
