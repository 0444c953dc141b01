// compareDerivatives on watched intermediates: the first wrong node. The witness is a derivation
// by hand: random expressions of primitive ops are run forward on NDArrays here and their VJPs
// written out from the chain rule (tanh' = 1 - tanh^2, sigmoid' = s(1 - s), ...), one node made
// wrong on purpose (a wrong term, sign or scale); the report must name that node and no other.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError } from "@tapegrad/tensor";
import { NodeShapeError, Tensor, WatchError, add, compareDerivatives, formatReport, mul, sigmoid, sub, sum, tanh, type Watch } from "../src/index.js";
import { rng } from "./helpers.js";

/** Entries in +-[0.5, 1.5]. */
function awayFromZero(shape: readonly number[], seed: number): NDArray {
  const next = rng(seed);
  const a = nd.zeros(shape);
  for (let i = 0; i < a.size; i++) a.data[i] = (next() < 0.5 ? -1 : 1) * (0.5 + next());
  return a;
}

type OpName = "tanh" | "sigmoid" | "scale" | "add" | "sub" | "mul";
/** Node i = op(node i-1 (input a for i = 0), other), other an earlier node or input b (-1 = a, -2 = b). */
interface Step {
  op: OpName;
  other: number;
}
const stepsArb = fc.array(fc.record({ op: fc.constantFrom<OpName>("tanh", "sigmoid", "scale", "add", "sub", "mul"), other: fc.nat() }), { minLength: 1, maxLength: 6 });
const otherOf = (i: number, pick: number) => (pick % (i + 1)) - 1; // -1 is input b, else an earlier node
const nodeName = (i: number) => `n[${i}]`;

function tapeExpr(steps: readonly Step[], c: NDArray) {
  return ({ a, b }: { a: Tensor; b: Tensor }, watch: Watch): Tensor => {
    const ns: Tensor[] = [];
    steps.forEach(({ op, other }, i) => {
      const x = i === 0 ? a : ns[i - 1]!;
      const j = otherOf(i, other);
      const y = j < 0 ? b : ns[j]!;
      const out = op === "tanh" ? tanh(x) : op === "sigmoid" ? sigmoid(x) : op === "scale" ? mul(x, new Tensor(c)) : op === "add" ? add(x, y) : op === "sub" ? sub(x, y) : mul(x, y);
      ns.push(watch(nodeName(i), out));
    });
    return ns[ns.length - 1]!;
  };
}

type Fault = "term" | "sign" | "scale";
/** The derivation by hand: forward on NDArrays, then each node's VJP from the chain rule, newest node first; node `wrong` gets `fault`, and what follows reads the wrong value. */
function handBackward(steps: readonly Step[], c: NDArray, a: NDArray, b: NDArray, G: NDArray, wrong: number | null, fault: Fault) {
  const vals: NDArray[] = [];
  steps.forEach(({ op, other }, i) => {
    const x = i === 0 ? a : vals[i - 1]!;
    const j = otherOf(i, other);
    const y = j < 0 ? b : vals[j]!;
    vals.push(op === "tanh" ? nd.tanh(x) : op === "sigmoid" ? nd.sigmoid(x) : op === "scale" ? nd.mul(x, c) : op === "add" ? nd.add(x, y) : op === "sub" ? nd.sub(x, y) : nd.mul(x, y));
  });
  const acc: NDArray[] = vals.map((v) => nd.zerosLike(v));
  let ga = nd.zerosLike(a);
  let gb = nd.zerosLike(b);
  acc[acc.length - 1] = G;
  const grads: Record<string, NDArray> = {};
  let rightAtWrong: NDArray | null = null;
  for (let i = steps.length - 1; i >= 0; i--) {
    let g = acc[i]!;
    if (i === wrong) {
      rightAtWrong = g;
      g = fault === "sign" ? nd.neg(g) : fault === "scale" ? nd.mul(g, 2) : nd.add(g, 1);
    }
    grads[nodeName(i)] = g;
    const { op, other } = steps[i]!;
    const x = i === 0 ? a : vals[i - 1]!;
    const j = otherOf(i, other);
    const y = j < 0 ? b : vals[j]!;
    const v = vals[i]!;
    let gx: NDArray;
    let gy: NDArray | null = null;
    if (op === "tanh") gx = nd.mul(g, nd.sub(1, nd.mul(v, v)));
    else if (op === "sigmoid") gx = nd.mul(g, nd.mul(v, nd.sub(1, v)));
    else if (op === "scale") gx = nd.mul(g, c);
    else if (op === "add") [gx, gy] = [g, g];
    else if (op === "sub") [gx, gy] = [g, nd.neg(g)];
    else [gx, gy] = [nd.mul(g, y), nd.mul(g, x)];
    if (i === 0) ga = nd.add(ga, gx);
    else acc[i - 1] = nd.add(acc[i - 1]!, gx);
    if (gy) {
      if (j < 0) gb = nd.add(gb, gy);
      else acc[j] = nd.add(acc[j]!, gy);
    }
  }
  return { grads: { ...grads, a: ga, b: gb }, vals, rightAtWrong };
}

const maxAbs = (a: NDArray) => Math.max(...a.toFlat().map(Math.abs));
const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 });

describe("compareDerivatives: the first wrong node", () => {
  it("names exactly the node made wrong (a wrong term, sign or scale), every node before it agreeing", () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(1000), stepsArb, fc.nat(), fc.constantFrom<Fault>("term", "sign", "scale"), (shape, seed, steps, pick, fault) => {
        const inputs = { a: awayFromZero(shape, seed), b: awayFromZero(shape, seed + 1) };
        const c = awayFromZero(shape, seed + 2);
        const G = awayFromZero(shape, seed + 3);
        const wrong = pick % steps.length;
        const hand = handBackward(steps, c, inputs.a, inputs.b, G, wrong, fault);
        // the fault must be visible: the right gradient there is not near zero, the values tame
        fc.pre(fault === "term" || maxAbs(hand.rightAtWrong!) > 1e-3);
        fc.pre(hand.vals.every((v) => maxAbs(v) < 1e3));
        const r = compareDerivatives(tapeExpr(steps, c), () => hand.grads, inputs, { upstream: G });
        const order = steps.map((_, i) => nodeName(steps.length - 1 - i));
        expect(r.nodes.map((e) => e.name)).toEqual(order);
        expect(r.firstWrong?.name).toBe(nodeName(wrong));
        const k = order.indexOf(nodeName(wrong));
        for (const e of r.nodes.slice(0, k)) expect(e.agree, e.name).toBe(true);
        expect(r.nodes[k]!.oddOne).toBe("manual");
        expect(r.firstWrong!.agreeing).toEqual(order.slice(0, k));
        expect(r.ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it("finds every node agreeing for a right derivation of a random expression", () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(1000), stepsArb, (shape, seed, steps) => {
        const inputs = { a: awayFromZero(shape, seed), b: awayFromZero(shape, seed + 1) };
        const c = awayFromZero(shape, seed + 2);
        const G = awayFromZero(shape, seed + 3);
        const hand = handBackward(steps, c, inputs.a, inputs.b, G, null, "sign");
        fc.pre(hand.vals.every((v) => maxAbs(v) < 1e3));
        const r = compareDerivatives(tapeExpr(steps, c), () => hand.grads, inputs, { upstream: G });
        expect(r.nodes.map((e) => [e.name, e.verdict])).toEqual(steps.map((_, i) => [nodeName(steps.length - 1 - i), "agree"]));
        expect(r.firstWrong).toBeNull();
        expect(r.ok).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  // t = tanh(x), u = t w, v = t + 1, L = sum(u v):
  //   dv = u,  du = v,  dt = du w + dv = v w + u,  dx = dt (1 - t^2),  dw = du t
  const x = nd.array([0.3, -0.7, 1.1]);
  const w = nd.array([1.5, -0.5, 0.8]);
  const f = ({ x, w }: { x: Tensor; w: Tensor }, watch: Watch) => {
    const t = watch("t", tanh(x));
    const u = watch("u", mul(t, w));
    const v = watch("v", add(t, 1));
    return sum(mul(u, v));
  };
  const byHand = (x: NDArray, w: NDArray, wrongT: boolean) => {
    const t = nd.tanh(x);
    const u = nd.mul(t, w);
    const v = nd.add(t, 1);
    const dt = wrongT ? nd.mul(v, w) : nd.add(nd.mul(v, w), u); // the fault: dv's path forgotten
    return { v: u, u: v, t: dt, x: nd.mul(dt, nd.sub(1, nd.square(t))), w: nd.mul(v, t) };
  };

  it("names the wrong node's neighbours, what its line read, and tells it in formatReport", () => {
    const r = compareDerivatives(f, ({ x, w }) => byHand(x, w, true), { x, w });
    expect(r.nodes.map((e) => e.name)).toEqual(["v", "u", "t"]);
    expect(r.firstWrong).toMatchObject({ name: "t", neighbours: ["v", "u"], agreeing: ["v", "u"] });
    // inputs read the wrong dt too: manual is the odd one on x
    expect(r.inputs.find((e) => e.name === "x")!.oddOne).toBe("manual");
    const text = formatReport(r);
    expect(text).toMatch(/t is the first wrong node: v and u agree; t = \[1\.937, -0\.1978, 1\.440\] \(manual\) differs from the tape by 6\.40e-1/);
    expect(text).toMatch(/NOT ok: x does not agree$/);
    const right = compareDerivatives(f, ({ x, w }) => byHand(x, w, false), { x, w });
    expect(right.ok).toBe(true);
    const onlyNodes = compareDerivatives(f, ({ x, w }) => { const { t, u, v } = byHand(x, w, true); return { t, u, v }; }, { x, w });
    expect(formatReport(onlyNodes)).toMatch(/NOT ok: watched node t does not agree$/);
    expect(formatReport(right)).toMatch(/every watched node agrees \(3\)/);
  });

  it("accepts any subset of names from manual, and a leaf watched as a node", () => {
    const r = compareDerivatives(
      ({ x, w }, watch) => sum(mul(watch("xx", x), w)),
      ({ w }) => ({ xx: w }), // d/dx sum(x w) = w
      { x, w },
    );
    expect(r.nodes[0]).toMatchObject({ name: "xx", verdict: "agree" });
    expect(r.missing).toEqual(["x", "w"]);
    expect(r.ok).toBe(true);
  });

  it("refuses bad input with a typed error naming the node", () => {
    const never = () => compareDerivatives(f, ({ x, w }) => ({ ...byHand(x, w, false), dq: nd.ones([3]) }), { x, w });
    expect(never).toThrow(WatchError);
    expect(never).toThrow(ValueError);
    expect(never).toThrow(/manual returned a gradient for "dq", which is neither an input nor a node f watched \(inputs: "x", "w"; watched: "t", "u", "v"\)/);
    const shape = () => compareDerivatives(f, ({ x, w }) => ({ ...byHand(x, w, false), u: nd.ones([2]) }), { x, w });
    expect(shape).toThrow(NodeShapeError);
    expect(shape).toThrow(ShapeError);
    expect(shape).toThrow(/manual's gradient for node "u" has shape \[2\] but the node has shape \[3\]/);
    const nodeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as WatchError).node;
      }
      return null;
    };
    expect(nodeOf(never)).toBe("dq");
    expect(nodeOf(shape)).toBe("u");

    // a watch inside a branch taken only while x[0] stays at or below 0.3: moving x[0] up leaves it out
    const branchy = ({ x }: { x: Tensor }, watch: Watch) => {
      const t = watch("t", tanh(x));
      return sum(x.data.get(0) <= 0.3 ? watch("s", mul(t, 2)) : mul(t, 2));
    };
    const branch = () => compareDerivatives(branchy, () => ({}), { x });
    expect(branch).toThrow(WatchError);
    expect(branch).toThrow(/node "s" was watched when f first ran but not when f re-ran with input "x" perturbed \(a watch inside a branch not taken\)/);
    expect(nodeOf(branch)).toBe("s");
    // and the other way: a node watched only on a later run
    const late = ({ x }: { x: Tensor }, watch: Watch) => sum(x.data.get(0) > 0.3 ? watch("s", tanh(x)) : tanh(x));
    expect(() => compareDerivatives(late, () => ({}), { x })).toThrow(/node "s" was watched when f re-ran with input "x" perturbed but not when f first ran/);

    expect(() => compareDerivatives(({ x }, watch) => sum(add(watch("t", x), watch("t", x))), () => ({}), { x })).toThrow(/node "t" is watched twice in one run of f/);
    expect(() => compareDerivatives(({ x }, watch) => sum(watch("x", tanh(x))), () => ({}), { x })).toThrow(/node "x" has an input's name/);
  });
});
