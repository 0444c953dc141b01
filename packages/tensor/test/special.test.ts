// erf against Python's math.erf (data/make-special-data.py wrote the numbers), and the window
// view against the loop that defines it: window w, tap k reads position w*step + k*dilation.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";

const D = JSON.parse(readFileSync(new URL("./data/special-python.json", import.meta.url), "utf8"));

describe("erf", () => {
  it("agrees with math.erf to a few ulps across the series / continued fraction switch", () => {
    const xs: number[] = D.erf.x;
    const got = T.erf(T.array(xs));
    xs.forEach((x, i) => {
      const want: number = D.erf.y[i];
      const g = got.get(i);
      expect(Math.abs(g - want), `erf(${x}) = ${g}, python ${want}`).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(Math.abs(want), 1e-300) + 1e-300);
    });
  });
  it("keeps float32 and maps int32 to float64", () => {
    expect(T.erf(T.array([0.5], undefined, "float32")).dtype).toBe("float32");
    expect(T.erf(T.array([1], undefined, "int32")).dtype).toBe("float64");
  });
});

describe("unfold and its adjoint", () => {
  it("window w, tap k of axis 1 reads x[:, w*step + k*dilation]", () => {
    const x = T.arange(0, 2 * 9).reshape([2, 9]);
    const u = T.unfold(x, { axis: 1, size: 3, step: 2, dilation: 2 });
    expect(u.shape).toEqual([2, 3, 3]); // (9 - span 5) / step 2 + 1
    for (let r = 0; r < 2; r++) for (let w = 0; w < 3; w++) for (let k = 0; k < 3; k++) expect(u.get(r, w, k)).toBe(x.get(r, w * 2 + k * 2));
    expect(u.writable).toBe(false);
  });
  it("unfoldBackward counts how many windows read each position", () => {
    const g = T.ones([4, 3]);
    // size 3, step 1 over 6 positions: 4 windows; position p is read by min(p+1, 3, 6-p) of them
    const back = T.unfoldBackward(g, [6], { axis: 0, size: 3, step: 1, dilation: 1 });
    expect(Array.from(back.toFlat())).toEqual([1, 2, 3, 3, 2, 1]);
  });
  it("says which window does not fit", () => {
    expect(() => T.unfold(T.zeros([2, 4]), { axis: 1, size: 3, step: 1, dilation: 2 })).toThrow(/unfold: a window of 3 taps at dilation 2 spans 5, more than axis 1 of \[2,4\]/);
    expect(() => T.unfoldBackward(T.zeros([3, 3]), [6], { axis: 0, size: 3, step: 1, dilation: 1 })).toThrow(/expected \[4,3\]/);
  });
});
