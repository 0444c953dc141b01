// Witness: numpy's repr (numpy 2.x on 64-bit Linux), which console.log of an NDArray shows, in
// place of the array's fields.

import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { array, zeros } from "../src/index.js";

describe("NDArray in Node's console", () => {
  it("shows numpy's repr", () => {
    // repr(np.array([[1., 2.], [3., 4.]], dtype=np.float32))
    expect(inspect(array([[1, 2], [3, 4]], undefined, "float32"))).toBe("array([[1., 2.],\n       [3., 4.]], dtype=float32)");
    // repr(np.zeros((2, 0)))
    expect(inspect(zeros([2, 0]))).toBe("array([], shape=(2, 0), dtype=float64)");
  });

  it("does not dump the storage", () => {
    const shown = inspect({ a: array([0.5, 1.5]) });
    expect(shown).toContain("array([0.5, 1.5])");
    expect(shown).not.toMatch(/storageInfo|strides|Float64Array/);
  });

  it("keeps toString as numpy's str", () => {
    expect(String(array([1, 2.5]))).toBe("[1.  2.5]");
  });
});
