// Optimizers (gradient clipping is in clip.test.ts, a training loop in training.test.ts).
//
// The first steps of SGD, Adam and AdamW are held against data/optim-reference.json, written by
// data/make-nn-reference.py with real PyTorch 1.13 (torch.optim stepping float64 parameters),
// cross-checked there against a numpy implementation of the "Algorithm" pseudo-code in PyTorch's
// docs. Which formula each case follows (torch and the numpy agree to 1e-12 on all of them):
//   SGD    torch.optim.SGD docs (2025-05 revision, pytorch#149476): maximize negates the gradient
//          first, then g += wd*x; b = g on the first step, else mu*b + (1-dampening)*g;
//          g = g + mu*b (nesterov) or b; x -= lr*g.
//   Adam   torch.optim.Adam docs (2024-12 revision, pytorch#142323): g (+ wd*x); m, v moving
//          averages; AMSGrad keeps max(v_max, v) of the raw v, then divides by 1 - b2^t;
//          x -= lr * m/(1-b1^t) / (sqrt(v_hat) + eps).
//   AdamW  torch.optim.AdamW docs: x *= 1 - lr*wd first, then Adam's step without wd in g.
// Every case runs 6 steps on two parameters; the second has no gradient at step 3 (skipped,
// its step count unchanged). The script asserts that the cases tell AMSGrad's two readings and
// SGD's two maximize readings apart.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import { Tensor, tensor } from "@tapegrad/autograd";
import { Adam, AdamW, SGD, type AdamOptions, type OptimizerStateDict, type SGDOptions } from "../src/optim.js";
import { loadSafetensors, saveSafetensors } from "../src/safetensors.js";

interface Arr {
  shape: number[];
  data: number[];
}
interface OptimCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW";
  options: Record<string, unknown>;
  params: Arr[];
  grads: (Arr | null)[][];
  expected: Arr[][];
}

const ref = JSON.parse(readFileSync(new URL("./data/optim-reference.json", import.meta.url), "utf8")) as { cases: OptimCase[] };
const toND = (a: Arr, dtype: nd.DType = "float64") => nd.array(a.data, a.shape, dtype);

function make(kind: OptimCase["optimizer"], params: Tensor[], options: Record<string, unknown>) {
  if (kind === "SGD") return new SGD(params, options as Partial<SGDOptions>);
  const o = { ...options } as Partial<AdamOptions>;
  return kind === "Adam" ? new Adam(params, o) : new AdamW(params, o);
}

function expectClose(actual: NDArray, expected: Arr, rtol: number, atol: number, label: string): void {
  expect(actual.shape).toEqual(expected.shape);
  actual.toFlat().forEach((v, i) => {
    const e = expected.data[i]!;
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) throw new Error(`${label}: element ${i} is ${v}, expected ${e}`);
  });
}

describe("the first steps against torch.optim's numbers", () => {
  for (const c of ref.cases) {
    for (const dtype of ["float64", "float32"] as const) {
      it(`${c.name} (${dtype})`, () => {
        const params = c.params.map((p) => tensor(toND(p, dtype), { requiresGrad: true }));
        const opt = make(c.optimizer, params, c.options);
        c.grads.forEach((step, k) => {
          step.forEach((g, i) => (params[i]!.grad = g === null ? null : toND(g, dtype)));
          opt.step();
          // float64: the two computations differ only in rounding order. float32: every kernel
          // rounds to 24 bits, against a float64 reference.
          const [rtol, atol] = dtype === "float64" ? [1e-12, 1e-14] : [2e-5, 2e-6];
          params.forEach((p, i) => expectClose(p.data, c.expected[k]![i]!, rtol, atol, `step ${k + 1}, parameter ${i}`));
        });
      });
    }
  }
});

describe("SGD and Adam by hand", () => {
  it("param groups each use their own options; changing a group's lr takes effect at the next step", () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const opt = new SGD([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01 });
    a.grad = nd.array([0.5]);
    b.grad = nd.array([0.5]);
    opt.step();
    expect(a.data.toFlat()).toEqual([1 - 0.1 * 0.5]);
    expect(b.data.toFlat()).toEqual([1 - 0.01 * 0.5]);
    opt.paramGroups[1]!.lr = 1;
    opt.step();
    expect(b.data.toFlat()).toEqual([1 - 0.01 * 0.5 - 0.5]);
  });

  it("AdamW with zero gradients only decays: x_t = x_0 (1 - lr wd)^t", () => {
    const x = tensor([2, -4], { requiresGrad: true });
    const opt = new AdamW([x], { lr: 0.1, weightDecay: 0.5 });
    let want = [2, -4];
    for (let t = 0; t < 4; t++) {
      x.grad = nd.zeros([2]);
      opt.step();
      want = want.map((v) => v * (1 - 0.1 * 0.5));
    }
    expect(x.data.toFlat()).toEqual(want);
  });

  it("Adam's first step moves each element by lr against the sign of its gradient (m_hat/sqrt(v_hat) = sign g)", () => {
    const x = tensor([0, 0, 0], { requiresGrad: true });
    const opt = new Adam([x], { lr: 0.01, eps: 0 });
    x.grad = nd.array([3, -0.001, 50]);
    opt.step();
    // exact in real arithmetic; the float64 steps round a few times on the way
    x.data.toFlat().forEach((v, i) => expect(Math.abs(v - [-0.01, 0.01, -0.01][i]!)).toBeLessThan(1e-17));
  });

  it("zeroGrad clears to null by default, or to zeros; step skips null gradients", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const opt = new SGD([x], { lr: 0.1, momentum: 0.9 });
    x.grad = nd.array([1, 1]);
    opt.zeroGrad({ setToNone: false });
    expect(x.grad!.toFlat()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(x.grad).toBeNull();
    opt.step();
    expect(x.data.toFlat()).toEqual([1, 2]);
    expect(opt.state.size).toBe(0);
  });

  it("step runs the closure first and returns its result", () => {
    const x = tensor([1], { requiresGrad: true });
    const opt = new SGD([x], { lr: 0.5 });
    const loss = opt.step(() => {
      const l = x.mul(x).sum();
      l.backward();
      return l.item();
    });
    expect(loss).toBe(1);
    expect(x.data.toFlat()).toEqual([0]); // 1 - 0.5 * 2
  });

  it("rejects bad options and parameters with messages that name them", () => {
    const x = tensor([1], { requiresGrad: true });
    expect(() => new SGD([x], { lr: -1 })).toThrow(/SGD: invalid defaults: learning rate -1/);
    expect(() => new SGD([x], { nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0 and dampening 0/);
    expect(() => new SGD([x], { momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/dampening 0.1/);
    expect(() => new SGD([x], { weight_decay: 0.1 } as never)).toThrow(/SGD: unknown option "weight_decay"; known: lr, momentum/);
    expect(() => new Adam([x], { betas: [0.9, 1] })).toThrow(/beta2 1 \(must be in \[0, 1\)\)/);
    expect(() => new Adam([x], { eps: -1 })).toThrow(/eps -1/);
    expect(() => new Adam([])).toThrow(/Adam: got an empty parameter list/);
    expect(() => new Adam([x, x])).toThrow(/appears more than once/);
    expect(() => new Adam([{ params: [x] }, { params: [x] }])).toThrow(/parameter group 1, parameter 0 \(shape \[1\]\) appears more than once/);
    expect(() => new Adam([x.mul(2)])).toThrow(/is not a leaf/);
    expect(() => new SGD([{ params: [x], lr: -0.1 }])).toThrow(/invalid parameter group 0: learning rate -0.1/);
    expect(() => new SGD([{ params: [x], betas: [0.9, 0.99] } as never])).toThrow(/parameter group 0 has unknown option "betas"/);
  });
});

describe("state dicts", () => {
  const configs: [string, (ps: Tensor[]) => SGD | Adam | AdamW][] = [
    ["SGD nesterov weightDecay", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ["Adam amsgrad", (ps) => new Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.003 }], { lr: 0.02, amsgrad: true })],
    ["AdamW", (ps) => new AdamW(ps, { lr: 0.02, betas: [0.8, 0.99] })],
  ];
  const rs = new nd.RandomState(11);
  const init = [rs.randn(3, 2), rs.randn(5)];
  const grads = Array.from({ length: 6 }, () => [rs.randn(3, 2), rs.randn(5)]);

  for (const [name, build] of configs) {
    it(`${name}: resuming from a saved state (through safetensors and JSON) continues exactly`, () => {
      const ps = init.map((a) => tensor(a.copy(), { requiresGrad: true }));
      const opt = build(ps);
      const feed = (params: Tensor[], o: { step(): unknown }, k: number) => {
        params.forEach((p, i) => (p.grad = grads[k]![i]!.copy()));
        o.step();
      };
      for (let k = 0; k < 3; k++) feed(ps, opt, k);
      const saved = opt.stateDict();
      const file = saveSafetensors({ ...saved.tensors, ...Object.fromEntries(ps.map((p, i) => [`param.${i}`, p.data])) });
      const meta = JSON.parse(JSON.stringify(saved.meta)) as unknown;
      for (let k = 3; k < 6; k++) feed(ps, opt, k);

      const back = loadSafetensors(file);
      const qs = init.map((_, i) => tensor(back[`param.${i}`]!, { requiresGrad: true }));
      const resumed = build(qs);
      const tensors = Object.fromEntries(Object.entries(back).filter(([k]) => !k.startsWith("param.")));
      resumed.loadStateDict({ tensors, meta });
      for (let k = 3; k < 6; k++) feed(qs, resumed, k);
      qs.forEach((q, i) => expect(q.data.toFlat()).toEqual(ps[i]!.data.toFlat()));
    });
  }

  it("names arrays <position>.<entry> with PyTorch's entry names, and copies them", () => {
    const ps = init.map((a) => tensor(a.copy(), { requiresGrad: true }));
    const opt = new Adam(ps, { amsgrad: true });
    ps[0]!.grad = grads[0]![0]!.copy();
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.tensors)).toEqual(["0.exp_avg", "0.exp_avg_sq", "0.max_exp_avg_sq"]);
    expect(sd.meta.state).toEqual({ 0: { step: 1 } });
    expect(sd.meta.paramGroups[0]!.params).toEqual([0, 1]);
    const before = sd.tensors["0.exp_avg"]!.toFlat();
    opt.step();
    expect(sd.tensors["0.exp_avg"]!.toFlat()).toEqual(before);
  });

  it("a bad state dict throws and leaves the optimizer as it was", () => {
    const ps = init.map((a) => tensor(a.copy(), { requiresGrad: true }));
    const opt = new Adam(ps, { lr: 0.01 });
    ps.forEach((p, i) => (p.grad = grads[0]![i]!.copy()));
    opt.step();
    const good = opt.stateDict();
    const withLr = (lr: number): OptimizerStateDict => ({ ...good, meta: { ...good.meta, paramGroups: [{ ...good.meta.paramGroups[0]!, lr }] } });
    const snapshot = JSON.stringify({ meta: good.meta, t: Object.fromEntries(Object.entries(good.tensors).map(([k, v]) => [k, v.toFlat()])) });
    const bad: [string, unknown, RegExp][] = [
      ["another optimizer's", { ...good, meta: { ...good.meta, optimizer: "SGD" } }, /is a SGD optimizer's, not Adam's/],
      ["a wrong shape", { ...good, tensors: { ...good.tensors, "1.exp_avg": nd.zeros([4]) } }, /state of parameter 1 \(shape \[5\]\): exp_avg has shape \[4\]/],
      ["an unknown entry", { ...good, tensors: { ...good.tensors, "0.momentum_buffer": nd.zeros([3, 2]) } }, /unknown entry "momentum_buffer"/],
      ["a missing entry", { ...good, tensors: { "0.exp_avg": good.tensors["0.exp_avg"]! } }, /lacks exp_avg_sq/],
      ["a position no group lists", { ...good, tensors: { ...good.tensors, "7.exp_avg": nd.zeros([1]) } }, /"7" names no parameter position/],
      ["a negative lr", withLr(-1), /learning rate -1/],
      ["not a state dict", { state: {} }, /expected \{ tensors, meta \}/],
    ];
    for (const [what, sd, msg] of bad) {
      expect(() => opt.loadStateDict(sd as never), what).toThrow(msg);
      const now = opt.stateDict();
      expect(JSON.stringify({ meta: now.meta, t: Object.fromEntries(Object.entries(now.tensors).map(([k, v]) => [k, v.toFlat()])) }), what).toBe(snapshot);
    }
    const other = new Adam([tensor([1], { requiresGrad: true })]);
    expect(() => other.loadStateDict(good)).toThrow(/parameter group 0 has 2 parameters in the state dict, 1 here/);
  });
});
