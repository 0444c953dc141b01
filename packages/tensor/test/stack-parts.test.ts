// stackParts (internal, for unbind's VJP): the values of stack always; the parts' own array,
// uncopied, exactly when they are the consecutive slices of one C-contiguous array.

import { describe, expect, it } from "vitest";
import * as nd from "../src/index.js";
import { stackParts } from "../src/internal.js";

const slices = (x: nd.NDArray, axis: number) =>
  Array.from({ length: x.shape[axis]! }, (_, i) => nd.slice(x, x.shape.map((_, d) => (d === axis ? i : null))));

describe("stackParts", () => {
  const x = nd.arange(24).reshape([2, 3, 4]);
  for (const axis of [0, 1, 2]) {
    it(`gives back the array whose slices along axis ${axis} the parts are, uncopied`, () => {
      const y = stackParts(slices(x, axis), axis);
      expect(y.data).toBe(x.data);
      expect(y.shape).toEqual(x.shape);
      expect(y.toArray()).toEqual(nd.stack(slices(x, axis), axis).toArray());
    });
  }
  it("copies, as stack, parts that are not such slices: reordered, repeated, of a non-contiguous array, separate", () => {
    const parts = slices(x, 0);
    const cases: [nd.NDArray[], number][] = [
      [[parts[1]!, parts[0]!], 0],
      [[parts[0]!, parts[0]!], 0],
      [slices(x.transpose(), 0), 0],
      [slices(x, 1).slice(0, 2), 1], // two of three slices: not the whole array
      [[nd.ones([3, 4]), nd.zeros([3, 4])], 0],
    ];
    for (const [ps, axis] of cases) {
      const y = stackParts(ps, axis);
      expect(ps.some((p) => p.data === y.data)).toBe(false);
      expect(y.toArray()).toEqual(nd.stack(ps, axis).toArray());
    }
  });
});
