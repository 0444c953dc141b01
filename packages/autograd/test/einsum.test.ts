// einsum against real PyTorch 1.13 (data/make-indexing-reference.py: values and gradients in
// float64), against the ops each equation spells (matmul, a transpose, a trace, an outer
// product, a sum), and the errors a bad equation gets, naming the subscript or operand at fault.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, einsum, gradients } from "../src/index.js";
import { arrayArb, flat, shapeArb } from "./helpers.js";
import { REF, checkCase } from "./indexing-reference.js";

describe(`einsum against PyTorch ${REF.torch} (float64, values and gradients)`, () => {
  for (const c of REF.cases.filter((c) => c.name.startsWith("einsum"))) {
    it(c.equation as string, () => checkCase(c, (args) => einsum(c.equation as string, ...args)));
  }
});

const close = (a: Tensor | nd.NDArray, b: Tensor | nd.NDArray) => {
  expect(a.shape).toEqual(b.shape);
  const fb = flat(b);
  flat(a).forEach((v, i) => expect(Math.abs(v - fb[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(fb[i]!))));
};

describe("einsum equals the op it spells", () => {
  it("ij,jk->ik is matmul, and bij,bjk->bik batched matmul (values and gradients)", () => {
    fc.assert(
      fc.property(
        fc.tuple(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([batch, n, k, m]) =>
          fc.tuple(fc.constant(batch), arrayArb([...batch, n, k]), arrayArb([...batch, k, m])),
        ),
        ([batch, a, b]) => {
          const eq = batch.length === 0 ? "ij,jk->ik" : batch.length === 1 ? "bij,bjk->bik" : "...ij,...jk->...ik";
          const [x, y] = [new Tensor(a, true), new Tensor(b, true)];
          const e = einsum(eq, x, y);
          const m = ag.matmul(x, y);
          close(e, m);
          const w = nd.ones(m.shape);
          const [ge1, ge2] = gradients(e, [x, y], [w]);
          const [gm1, gm2] = gradients(m, [x, y], [w]);
          close(ge1!, gm1!);
          close(ge2!, gm2!);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("ji is a transpose, ii a trace, i,j an outer product, ij->i a row sum, implicit ij,jk matmul", () => {
    const a = nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 10]]);
    const v = nd.array([1, -2, 0.5]);
    close(einsum("ij->ji", a), a.T);
    expect(einsum("ii", a).item()).toBe(16);
    close(einsum("ii->i", a), nd.diagonal(a));
    close(einsum("i,j->ij", v, v), nd.outer(v, v));
    close(einsum("ij->i", a), nd.sum(a, 1));
    close(einsum("ij,jk", a, a), nd.matmul(a, a));
    close(einsum("ij,j->i", a, v), nd.matmul(a, v));
    // the operands may also come as one list, as torch takes them
    close(einsum("ij,jk", [a, a]), nd.matmul(a, a));
    // implicit output: letters in alphabetical order, so "ba" is the transpose
    close(einsum("ab->ba", a), einsum("ba", a));
  });

  it("a dim of size 1 broadcasts against a larger one", () => {
    const a = nd.array([[1, 2, 3]]); // [1, 3]
    const b = nd.array([[1, 0], [0, 1], [2, 2]]); // [3, 2]
    close(einsum("bj,bj->b", a, nd.ones([4, 3])), nd.array([6, 6, 6, 6]));
    close(einsum("ij,jk->ik", a, b), nd.matmul(a, b));
  });
});

describe("bad equations", () => {
  const a = nd.zeros([2, 3]);
  const cases: [string, () => unknown, new (...x: never[]) => Error, string[]][] = [
    ["a subscript that is not a letter", () => einsum("i1,jk", a, a), ValueError, ["einsum", "'1'", "operand 0"]],
    ["an output letter no operand has", () => einsum("ij->k", a), ValueError, ["einsum", "'k'", "does not appear"]],
    ["an output letter twice", () => einsum("ij->ii", a), ValueError, ["einsum", "'i'", "more than once"]],
    ["too few operands", () => einsum("ij,jk->ik", a), ValueError, ["einsum", "2 operands", "1 was given"]],
    ["subscripts that do not match the dims", () => einsum("ijk", a), ShapeError, ["einsum", "operand 0", "[2,3]", "name 3"]],
    ["sizes that differ between operands", () => einsum("ij,ij->", a, nd.zeros([2, 4])), ShapeError, ["einsum", "'j'", "3", "4", "operand 0", "operand 1"]],
    ["a repeated letter on axes of different sizes", () => einsum("ii", a), ShapeError, ["einsum", "'i'", "2", "3"]],
    ["two ellipses", () => einsum("......", a), ValueError, ["einsum", "..."]],
    ["two arrows", () => einsum("i->i->i", nd.zeros([2])), ValueError, ["einsum", "->"]],
  ];
  for (const [name, f, type, parts] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(type);
      for (const p of parts) expect((err as Error).message).toContain(p);
    });
  }
});
