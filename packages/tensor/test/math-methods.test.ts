// The math kernels as NDArray methods: a.tan() is tan(a), a.atan2(b) is atan2(a, b), bit for bit
// (the method is the kernel, called the other way round).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";

const unary = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log2", "log10", "exp2", "rsqrt", "trunc", "isinf", "logicalNot"] as const;
const binary = ["atan2", "hypot", "copysign", "remainder", "fmod", "floorDivide", "truncDivide", "logicalAnd", "logicalOr", "logicalXor"] as const;

describe("math kernels as NDArray methods", () => {
  const a = nd.array([-2.5, -0.5, 0, 0.25, 1, 1.5, 3, Infinity]);
  const b = nd.array([1.5, -2, 3, -0.75, 2, 0.5, -1, 4]);
  it.each(unary)("a.%s() equals the function", (name) => {
    const f = (nd as unknown as Record<string, (x: NDArray) => NDArray>)[name]!;
    const m = (a as unknown as Record<string, () => NDArray>)[name]!.call(a);
    expect(m.dtype).toBe(f(a).dtype);
    expect(m.toFlat()).toEqual(f(a).toFlat());
  });
  it.each(binary)("a.%s(b) equals the function", (name) => {
    const f = (nd as unknown as Record<string, (x: NDArray, y: NDArray) => NDArray>)[name]!;
    const m = (a as unknown as Record<string, (y: NDArray) => NDArray>)[name]!.call(a, b);
    expect(m.toFlat()).toEqual(f(a, b).toFlat());
  });
});
