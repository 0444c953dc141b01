// gradcheck and gradgradcheck themselves: they must fail on a wrong derivative (or every
// passing check elsewhere means nothing), report what they measured, and treat broadcast
// (stride-0) inputs element by element.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, defineOp, gradcheck, gradgradcheck, tensor } from "../src/index.js";
import { flat } from "./helpers.js";

/** sin with a VJP that is off by a factor: first order is wrong. */
const wrongSin = defineOp({
  name: "wrongSin",
  forward: ([x]) => nd.sin(x!),
  vjp: ([g], { inputs: [x] }) => [ag.mul(g!, ag.mul(ag.cos(x!), 1.01))],
});

/** sin whose VJP is right in value but reads cos(x) as a constant: second order is wrong. */
const flatSin = defineOp({
  name: "flatSin",
  forward: ([x]) => nd.sin(x!),
  vjp: ([g], { inputs: [x] }) => [ag.mul(g!, new Tensor(nd.cos(x!.data)))],
});

describe("gradcheck", () => {
  const x = nd.array([0.3, -1.2, 2.0]);

  it("passes a right derivative and reports the numeric gradient it measured", () => {
    const r = gradcheck((t) => t.sin().sum(), [x]);
    expect(r.passed).toBe(true);
    expect(r.inputs).toHaveLength(1);
    const rep = r.inputs[0]!;
    expect(rep.shape).toEqual([3]);
    // the projection direction is a fixed random r; for a sum it is r itself times cos(x)
    const proj = flat(rep.analytic).map((a, i) => a / Math.cos(x.get(i)));
    flat(rep.numeric).forEach((n, i) => expect(n).toBeCloseTo(Math.cos(x.get(i)) * proj[i]!, 8));
    expect(rep.maxAbsError).toBeLessThan(1e-8);
    expect(String(r)).toMatch(/^input 0 \[3\]: max abs err .* ok$/);
  });

  it("fails a wrong derivative, saying which input and by how much", () => {
    const r = gradcheck((t) => ag.sum(wrongSin([t], undefined)), [x]);
    expect(r.passed).toBe(false);
    expect(r.inputs[0]!.passed).toBe(false);
    expect(r.inputs[0]!.maxRelError).toBeCloseTo(0.01, 4);
    expect(String(r)).toMatch(/FAILED/);
  });

  it("checks each input separately, and only the ones asked for", () => {
    const r = gradcheck((a, b) => ag.sum(ag.mul(wrongSin([a!], undefined), b!)), [x, nd.array([1, 2, 3])]);
    expect(r.inputs.map((i) => i.passed)).toEqual([false, true]);
    const only1 = gradcheck((a, b) => ag.sum(ag.mul(wrongSin([a!], undefined), b!)), [x, nd.array([1, 2, 3])], { check: [1] });
    expect(only1.passed).toBe(true);
    expect(only1.inputs.map((i) => i.index)).toEqual([1]);
  });

  it("perturbs a broadcast (stride-0) input one element at a time", () => {
    // x is one number seen three times; as an input of f each of the three is its own variable
    const bx = nd.array([0.5]).broadcastTo([3]);
    const w = tensor([1, 2, 3]);
    const r = gradcheck((t) => t.mul(w).sum(), [bx], { seed: 3 });
    expect(r.passed).toBe(true);
    // each element's derivative is its own weight, not the sum of the weights
    const ratio = flat(r.inputs[0]!.numeric).map((n, i) => n / flat(r.inputs[0]!.analytic)[i]!);
    ratio.forEach((q) => expect(q).toBeCloseTo(1, 8));
    const dir = flat(r.inputs[0]!.analytic).map((a, i) => a / (i + 1));
    expect(dir[0]).toBeCloseTo(dir[1]!, 12);
  });

  it("works in float64 even for float32 inputs", () => {
    const r = gradcheck((t) => t.exp().sum(), [nd.array([0.1, 0.2], undefined, "float32")]);
    expect(r.passed).toBe(true);
    expect(r.inputs[0]!.analytic.dtype).toBe("float64");
  });

  it("refuses to check an int input or one that does not exist", () => {
    const ids = nd.array([1], undefined, "int32");
    expect(() => gradcheck((t, i) => ag.take(t, i!, 0).sum(), [nd.array([0.5, -2]), ids], { check: [1] })).toThrow(
      "gradcheck: input 1 has dtype int32; only float inputs can be checked",
    );
    expect(() => gradcheck((t) => t.sum(), [nd.array([1])], { check: [2] })).toThrow("gradcheck: input 2 does not exist");
  });

  it("ignores non-float inputs (indices) and passes them through", () => {
    const ids = nd.array([1, 1, 0], undefined, "int32");
    const r = gradcheck((t, i) => ag.take(t, i!, 0).square().sum(), [nd.array([0.5, -2]), ids]);
    expect(r.passed).toBe(true);
    expect(r.inputs.map((i) => i.index)).toEqual([0]);
  });
});

describe("gradgradcheck", () => {
  const x = nd.array([0.3, -1.2, 2.0]);

  it("passes a VJP written with differentiable ops", () => {
    expect(gradgradcheck((t) => t.sin().sum(), [x]).passed).toBe(true);
  });

  it("fails a VJP whose value is right but which reads x as a constant", () => {
    const f = (t: Tensor) => ag.sum(flatSin([t], undefined));
    expect(gradcheck(f, [x]).passed).toBe(true);
    const r = gradgradcheck(f, [x]);
    expect(r.passed).toBe(false);
  });
});
