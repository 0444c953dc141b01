// allclose against numpy's answers (numpy 2.4's np.allclose on the same inputs; the first four
// are the examples of numpy's documentation).

import { describe, expect, it } from "vitest";
import { allclose, array } from "../src/index.js";

describe("allclose", () => {
  const cases: [number[], number[], boolean, boolean][] = [
    // a, b, equalNan, numpy's answer
    [[1e10, 1e-7], [1.00001e10, 1e-8], false, false],
    [[1e10, 1e-8], [1.00001e10, 1e-9], false, true],
    [[1, NaN], [1, NaN], false, false],
    [[1, NaN], [1, NaN], true, true],
    [[Infinity], [Infinity], false, true],
    [[1], [Infinity], false, false],
    [[Infinity], [-Infinity], false, false],
    [[Infinity], [1], false, false],
  ];
  for (const [a, b, equalNan, want] of cases) {
    it(`allclose([${a.join(", ")}], [${b.join(", ")}]${equalNan ? ", equalNan" : ""}) is ${want}, as in numpy`, () => {
      expect(allclose(array(a), array(b), { equalNan })).toBe(want);
    });
  }
});
