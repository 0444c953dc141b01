// compareDerivatives: the tape, a derivation by hand and central differences held against each
// other. The hand derivations here are closed forms written from the chain rule; each fault is
// made on purpose (a wrong term, sign or scale, a wrong VJP on the tape, a kink that fools finite
// differences), and the tool must name the witness at fault and the input it is on.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { AxisError, NDArray, ShapeError, ValueError } from "@tapegrad/tensor";
import { Tensor, compareDerivatives, customOp, formatReport, matmul, mul, relu, sum, tanh, type TensorLike } from "../src/index.js";
import { rng } from "./helpers.js";

/** Entries in +-[0.5, 1.5]: every gradient below stays clear of zero, so any fault shows. */
function awayFromZero(shape: readonly number[], seed: number): NDArray {
  const next = rng(seed);
  const a = nd.zeros(shape);
  for (let i = 0; i < a.size; i++) a.data[i] = (next() < 0.5 ? -1 : 1) * (0.5 + next());
  return a;
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });

// y = c * tanh(a * b), L = sum(G * y):
//   dc = G tanh(ab),  da = G c b (1 - tanh(ab)^2),  db = G c a (1 - tanh(ab)^2)
type ABC = { a: Tensor; b: Tensor; c: Tensor };
type ABCArrays = { a: NDArray; b: NDArray; c: NDArray };
const elementwise = ({ a, b, c }: ABC) => mul(c, tanh(mul(a, b)));
function elementwiseBackward({ a, b, c }: ABCArrays, G: NDArray | null): Record<"a" | "b" | "c", NDArray> {
  const t = nd.tanh(nd.mul(a, b));
  const dz = nd.mul(nd.mul(G!, c), nd.sub(1, nd.mul(t, t)));
  return { a: nd.mul(dz, b), b: nd.mul(dz, a), c: nd.mul(G!, t) };
}

type Fault = "term" | "sign" | "scale";
/** The same backward with one fault on one input. */
function faulty(which: "a" | "b" | "c", fault: Fault, factor: number) {
  return (xs: ABCArrays, G: NDArray | null) => {
    const right = elementwiseBackward(xs, G);
    let wrong: NDArray;
    if (fault === "sign") wrong = nd.neg(right[which]);
    else if (fault === "scale") wrong = nd.mul(right[which], factor);
    else if (which === "c") wrong = nd.mul(G!, nd.mul(xs.a, xs.b)); // tanh(ab) taken as ab
    else wrong = nd.mul(nd.mul(G!, xs.c), which === "a" ? xs.b : xs.a); // tanh' forgotten
    return { ...right, [which]: wrong };
  };
}

describe("compareDerivatives", () => {
  it("flags a derivative made wrong on one input (wrong term, sign or scale) on that input and no other, with manual the odd one", () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.nat(),
        fc.constantFrom("a" as const, "b" as const, "c" as const),
        fc.constantFrom<Fault>("term", "sign", "scale"),
        fc.constantFrom(0.5, 2, 3),
        (shape, seed, which, fault, factor) => {
          const inputs = { a: awayFromZero(shape, seed), b: awayFromZero(shape, seed + 1), c: awayFromZero(shape, seed + 2) };
          const upstream = awayFromZero(shape, seed + 3);
          const r = compareDerivatives(elementwise, faulty(which, fault, factor), inputs, { upstream });
          expect(r.ok).toBe(false);
          for (const e of r.inputs) {
            if (e.name === which) {
              expect(e.agree).toBe(false);
              expect(e.oddOne).toBe("manual");
              expect(e.tapeVsFd.close).toBe(true);
            } else {
              expect(e.agree, e.name).toBe(true);
              expect(e.oddOne).toBeNull();
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("passes a right derivative for random shapes (matmul, tanh, a product), named or positional inputs", () => {
    // L = sum(c * tanh(a @ b)):  dc = T,  dZ = c (1 - T^2),  da = dZ b^T,  db = a^T dZ
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.boolean(), (p, q, s, seed, positional) => {
        const rs = new nd.RandomState(seed);
        const [a, b, c] = [rs.randn(p, q), rs.randn(q, s), rs.randn(p, s)];
        const back = (a: NDArray, b: NDArray, c: NDArray) => {
          const t = nd.tanh(nd.matmul(a, b));
          const dz = nd.mul(c, nd.sub(1, nd.mul(t, t)));
          return [nd.matmul(dz, b.T), nd.matmul(a.T, dz), t] as const;
        };
        const r = positional
          ? compareDerivatives(([a, b, c]) => sum(mul(c!, tanh(matmul(a!, b!)))), ([a, b, c]) => [...back(a!, b!, c!)], [a, b, c])
          : compareDerivatives(
              ({ a, b, c }) => sum(mul(c, tanh(matmul(a, b)))),
              ({ a, b, c }) => {
                const [da, db, dc] = back(a, b, c);
                return { a: da, b: db, c: dc };
              },
              { a, b, c },
            );
        expect(r.ok, formatReport(r)).toBe(true);
        expect(r.inputs.map((e) => e.name)).toEqual(positional ? ["0", "1", "2"] : ["a", "b", "c"]);
        for (const e of r.inputs) {
          expect(e.verdict).toBe("agree");
          expect(e.tapeVsManual!.maxAbs).toBeLessThan(1e-12);
          expect(e.sampled).toBeNull();
        }
      }),
      { numRuns: 30 },
    );
  });

  it("names the tape as the odd one when a customOp's VJP is wrong", () => {
    // x^2 whose backward forgets the 2
    const badSquare = customOp({
      name: "badSquare",
      forward: (ctx, x) => {
        ctx.save(x);
        return nd.mul(x, x);
      },
      backward: (ctx, g) => [nd.mul(g, ctx.saved[0] as NDArray)],
    }) as (x: TensorLike) => Tensor;
    const x = awayFromZero([3, 2], 1);
    const w = awayFromZero([3, 2], 2);
    const r = compareDerivatives(
      ({ x, w }) => sum(mul(badSquare(x), w)),
      ({ x, w }) => ({ x: nd.mul(nd.mul(x, w), 2), w: nd.mul(x, x) }),
      { x, w },
    );
    const [ex, ew] = r.inputs as [(typeof r.inputs)[0], (typeof r.inputs)[0]];
    expect(ex.oddOne).toBe("tape");
    expect(ex.manualVsFd!.close).toBe(true);
    expect(ex.verdict).toBe("tape is the odd one");
    expect(ew.agree).toBe(true);
    // the tape's value is half the true one everywhere
    expect(nd.allclose(nd.mul(ex.tape, 2), ex.manual!, { rtol: 1e-12, atol: 0 })).toBe(true);
  });

  it("names finite differences as the odd one at a kink (relu at 0, where the tape and the subgradient say 0 and fd says 1/2)", () => {
    const x = nd.array([0, 1.5, -0.7]);
    const r = compareDerivatives(([x]) => sum(relu(x!)), ([x]) => [nd.gt(x!, 0).astype("float64")], [x]);
    const e = r.inputs[0]!;
    expect(e.oddOne).toBe("fd");
    expect(e.fd.get(0)).toBeCloseTo(0.5, 8);
    expect(e.tapeVsFd.worst[0]!.index).toEqual([0]);
  });

  it("reports the worst entries with their multi-indices, and the error per index along an axis", () => {
    const shape = [4, 3, 5];
    const inputs = { a: awayFromZero(shape, 7), b: awayFromZero(shape, 8), c: awayFromZero(shape, 9) };
    const upstream = awayFromZero(shape, 10);
    // a's gradient wrong only at [2, 1, 3], and wrong by a known amount
    const manual = (xs: ABCArrays, G: NDArray | null) => {
      const g = elementwiseBackward(xs, G);
      const p = 2 * 15 + 1 * 5 + 3;
      g.a.data[p] = g.a.data[p]! + 0.25;
      return g;
    };
    const r = compareDerivatives(elementwise, manual, inputs, { upstream, along: { a: 0, b: -1 } });
    const a = r.inputs.find((e) => e.name === "a")!;
    expect(a.oddOne).toBe("manual");
    expect(a.tapeVsManual!.worst[0]!.index).toEqual([2, 1, 3]);
    expect(a.tapeVsManual!.worst[0]!.abs).toBeCloseTo(0.25, 12);
    expect(a.tapeVsManual!.worst.length).toBe(1); // every other entry is exact
    expect(a.along!.axis).toBe(0);
    const per = a.along!.tapeVsManual!;
    expect(per.length).toBe(4);
    expect(per[2]).toBeCloseTo(0.25, 12);
    for (const i of [0, 1, 3]) expect(per[i]).toBeLessThan(1e-14);
    const b = r.inputs.find((e) => e.name === "b")!;
    expect(b.along!.axis).toBe(2); // -1 normalized
    expect(b.along!.tapeVsFd.length).toBe(5);
    // per index along the axis, the max over the entries at that index, computed here from the arrays
    const tb = b.tape.toFlat();
    const fb = b.fd.toFlat();
    for (let k = 0; k < 5; k++) {
      let m = 0;
      for (let p = k; p < tb.length; p += 5) m = Math.max(m, Math.abs(tb[p]! - fb[p]!));
      expect(b.along!.tapeVsFd[k]).toBe(m);
    }
  });

  it("takes finite differences over a seeded sample when an input is large, and says where", () => {
    const x = awayFromZero([6, 7], 3);
    const f = ([x]: Tensor[]) => sum(tanh(x!));
    const manual = ([x]: NDArray[]) => {
      const t = nd.tanh(x!);
      return [nd.sub(1, nd.mul(t, t))];
    };
    const r = compareDerivatives(f, manual, [x], { maxFdEntries: 10, seed: 4 });
    const e = r.inputs[0]!;
    expect(r.ok).toBe(true);
    expect(e.sampled!.length).toBe(10);
    expect(e.tapeVsFd.compared).toBe(10);
    const flatIdx = e.sampled!.map(([i, j]) => i! * 7 + j!);
    expect(new Set(flatIdx).size).toBe(10);
    expect([...flatIdx].sort((p, q) => p - q)).toEqual(flatIdx);
    const fd = e.fd.toFlat();
    for (let p = 0; p < 42; p++) {
      if (flatIdx.includes(p)) expect(Math.abs(fd[p]! - e.tape.data[p]!)).toBeLessThan(1e-8);
      else expect(fd[p]).toBeNaN();
    }
    // along an axis, indices no sampled entry lies at have no fd error (NaN); the others the max over their samples
    const alongRows = compareDerivatives(f, manual, [x], { maxFdEntries: 10, seed: 4, along: { "0": 0 } }).inputs[0]!.along!;
    for (let i = 0; i < 6; i++) {
      const at = e.sampled!.filter(([r]) => r === i).map(([r, c]) => Math.abs(e.tape.get(r!, c!) - e.fd.get(r!, c!)));
      if (at.length === 0) expect(alongRows.tapeVsFd[i]).toBeNaN();
      else expect(alongRows.tapeVsFd[i]).toBe(Math.max(...at));
      expect(alongRows.tapeVsManual![i]).toBe(0); // the full pair has every row
    }
    // the same seed draws the same sample; another seed another one
    expect(compareDerivatives(f, manual, [x], { maxFdEntries: 10, seed: 4 }).inputs[0]!.sampled).toEqual(e.sampled);
    expect(compareDerivatives(f, manual, [x], { maxFdEntries: 10, seed: 5 }).inputs[0]!.sampled).not.toEqual(e.sampled);
  });

  it("reports inputs manual leaves out as missing, without failing ok", () => {
    const inputs = { a: awayFromZero([2, 3], 1), b: awayFromZero([2, 3], 2), c: awayFromZero([2, 3], 3) };
    const upstream = awayFromZero([2, 3], 4);
    const r = compareDerivatives(elementwise, (xs, G) => ({ c: elementwiseBackward(xs, G).c }), inputs, { upstream });
    expect(r.ok).toBe(true);
    expect(r.missing).toEqual(["a", "b"]);
    const a = r.inputs[0]!;
    expect(a.manual).toBeNull();
    expect(a.tapeVsManual).toBeNull();
    expect(a.agree).toBe(true);
    expect(a.verdict).toBe("no manual gradient; tape and fd agree");
  });

  it("is a typed error, naming what is at fault, for names that are not inputs and for shapes that differ", () => {
    const x = awayFromZero([2, 3], 1);
    const w = awayFromZero([3], 2);
    const before = [x.toFlat(), w.toFlat()];
    const f = ({ x, w }: { x: Tensor; w: Tensor }) => sum(mul(x, w));
    const strangers = () => compareDerivatives(f, ({ x, w }) => ({ x: w.broadcastTo([2, 3]), weight: x, bias: w }), { x, w });
    expect(strangers).toThrow(ValueError);
    expect(strangers).toThrow(/compareDerivatives: .*"weight", "bias", which are not inputs \(inputs: "x", "w"\)/);
    const shapes = () => compareDerivatives(f, ({ x }) => ({ x: x.T, w: nd.zeros([2]) }), { x, w });
    expect(shapes).toThrow(ShapeError);
    expect(shapes).toThrow(/"x": \[3,2\] for input \[2,3\]; "w": \[2\] for input \[3\]/);
    // positional: a gradient past the last input
    expect(() => compareDerivatives(([x]) => sum(x!), ([x]) => [nd.onesLike(x!), x!], [x])).toThrow(/"1", which is not an input/);
    // f's output and the upstream gradient
    expect(() => compareDerivatives(({ x, w }) => mul(x, w), () => ({}), { x, w })).toThrow(/f returned shape \[2,3\], not a scalar; pass options.upstream/);
    expect(() => compareDerivatives(({ x, w }) => mul(x, w), () => ({}), { x, w }, { upstream: nd.ones([3, 2]) })).toThrow(ShapeError);
    // options.along
    expect(() => compareDerivatives(f, () => ({}), { x, w }, { along: { time: 0 } })).toThrow(/options.along names "time", which is not an input/);
    expect(() => compareDerivatives(f, () => ({}), { x, w }, { along: { w: 1 } })).toThrow(AxisError);
    expect(() => compareDerivatives(f, () => ({}), { x: nd.array([1, 2], undefined, "int32"), w })).toThrow(/input "x" has dtype int32/);
    // nothing the caller holds was moved
    expect([x.toFlat(), w.toFlat()]).toEqual(before);
  });

  it("does not let manual or f disturb the caller's arrays, and works on float32 inputs in float64", () => {
    const x32 = awayFromZero([3], 5).astype("float32");
    const before = x32.toFlat();
    const r = compareDerivatives(
      ([x]) => sum(mul(x!, x!)),
      ([x]) => {
        expect(x!.dtype).toBe("float64");
        const g = nd.mul(x!, 2);
        x!.fill(100); // manual scribbles on its copy
        return [g];
      },
      [x32],
    );
    expect(r.ok).toBe(true);
    expect(x32.toFlat()).toEqual(before);
    expect(r.inputs[0]!.tape.dtype).toBe("float64");
  });

  it("formatReport prints every input's name, errors and verdict, the worst entries of those that part, and ok or not", () => {
    const inputs = { a: awayFromZero([2, 2], 1), b: awayFromZero([2, 2], 2), c: awayFromZero([2, 2], 3) };
    const upstream = awayFromZero([2, 2], 4);
    const r = compareDerivatives(elementwise, faulty("b", "sign", 1), inputs, { upstream, along: { b: 1 } });
    const text = formatReport(r);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^input\s+shape\s+tape\/manual abs/);
    expect(lines.find((l) => l.startsWith("a "))).toMatch(/\[2,2\].*agree$/);
    expect(lines.find((l) => l.startsWith("b "))).toMatch(/manual is the odd one$/);
    expect(text).toMatch(/^b: worst tape\/manual entries: \[\d,\d\] tape /m);
    expect(text).toMatch(/^b: max abs tape\/manual error along axis 1: \S+ \S+$/m);
    expect(lines.at(-1)).toBe("NOT ok: b does not agree");
    const good = compareDerivatives(elementwise, elementwiseBackward, inputs, { upstream });
    expect(formatReport(good).split("\n").at(-1)).toBe("ok: every input agrees");
  });
});
