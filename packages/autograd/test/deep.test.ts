// Deep graphs: a scalar LSTM unrolled over 10,000 steps (about 300,000 recorded ops) must
// backpropagate without a stack overflow, and its gradients must agree with backpropagation
// through time written out by hand in plain numbers, and with finite differences.

import { describe, expect, it } from "vitest";
import { Tensor, tensor } from "../src/index.js";
import { countNodes } from "./helpers.js";

const T = 10_000;
const NAMES = ["wi", "ui", "bi", "wf", "uf", "bf", "wg", "ug", "bg", "wo", "uo", "bo"] as const;
type Name = (typeof NAMES)[number];
type Params = Record<Name, number>;

const P: Params = { wi: 0.5, ui: -0.4, bi: 0.1, wf: 0.3, uf: 0.6, bf: 1.0, wg: 0.8, ug: -0.7, bg: 0.05, wo: -0.6, uo: 0.2, bo: 0.3 };
const xs = Array.from({ length: T }, (_, t) => Math.sin(0.01 * t) + 0.3 * Math.cos(0.37 * t));

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** The loss sum_t h_t of the scalar LSTM, in plain numbers (for finite differences). */
function lossPlain(p: Params): number {
  let h = 0;
  let c = 0;
  let loss = 0;
  for (const x of xs) {
    const i = sig(p.wi * x + p.ui * h + p.bi);
    const f = sig(p.wf * x + p.uf * h + p.bf);
    const g = Math.tanh(p.wg * x + p.ug * h + p.bg);
    const o = sig(p.wo * x + p.uo * h + p.bo);
    c = f * c + i * g;
    h = o * Math.tanh(c);
    loss += h;
  }
  return loss;
}

/** Backpropagation through time for the same loss, derived by hand. */
function bpttPlain(p: Params): Params {
  const steps: { x: number; hPrev: number; cPrev: number; i: number; f: number; g: number; o: number; c: number }[] = [];
  let h = 0;
  let c = 0;
  for (const x of xs) {
    const i = sig(p.wi * x + p.ui * h + p.bi);
    const f = sig(p.wf * x + p.uf * h + p.bf);
    const g = Math.tanh(p.wg * x + p.ug * h + p.bg);
    const o = sig(p.wo * x + p.uo * h + p.bo);
    const cNew = f * c + i * g;
    steps.push({ x, hPrev: h, cPrev: c, i, f, g, o, c: cNew });
    c = cNew;
    h = o * Math.tanh(cNew);
  }
  const d = Object.fromEntries(NAMES.map((n) => [n, 0])) as Params;
  let dhNext = 0; // dL/dh_t arriving from step t + 1
  let dcNext = 0; // dL/dc_t arriving from step t + 1
  for (let t = T - 1; t >= 0; t--) {
    const s = steps[t]!;
    const dh = 1 + dhNext; // the loss adds h_t directly
    const tc = Math.tanh(s.c);
    const dc = dcNext + dh * s.o * (1 - tc * tc);
    const dai = dc * s.g * s.i * (1 - s.i);
    const daf = dc * s.cPrev * s.f * (1 - s.f);
    const dag = dc * s.i * (1 - s.g * s.g);
    const dao = dh * tc * s.o * (1 - s.o);
    d.wi += dai * s.x; d.ui += dai * s.hPrev; d.bi += dai;
    d.wf += daf * s.x; d.uf += daf * s.hPrev; d.bf += daf;
    d.wg += dag * s.x; d.ug += dag * s.hPrev; d.bg += dag;
    d.wo += dao * s.x; d.uo += dao * s.hPrev; d.bo += dao;
    dhNext = p.ui * dai + p.uf * daf + p.ug * dag + p.uo * dao;
    dcNext = dc * s.f;
  }
  return d;
}

describe("deep graphs", () => {
  it("an LSTM unrolled over 10,000 steps backpropagates iteratively and matches hand-written BPTT", () => {
    const t0 = performance.now();
    const w = Object.fromEntries(NAMES.map((n) => [n, tensor([P[n]], { requiresGrad: true })])) as Record<Name, Tensor>;
    const gate = (x: number, h: Tensor, a: Name, u: Name, b: Name) => w[a].mul(x).add(w[u].mul(h)).add(w[b]);
    let h = tensor([0]);
    let c = tensor([0]);
    let loss = tensor([0]);
    for (const x of xs) {
      const i = gate(x, h, "wi", "ui", "bi").sigmoid();
      const f = gate(x, h, "wf", "uf", "bf").sigmoid();
      const g = gate(x, h, "wg", "ug", "bg").tanh();
      const o = gate(x, h, "wo", "uo", "bo").sigmoid();
      c = f.mul(c).add(i.mul(g));
      h = o.mul(c.tanh());
      loss = loss.add(h);
    }
    const t1 = performance.now();
    const nodes = countNodes(loss);
    expect(nodes).toBeGreaterThan(250_000);
    const t2 = performance.now();
    loss.sum().backward();
    const t3 = performance.now();
    console.log(`deep graph: ${nodes} recorded ops; forward ${(t1 - t0).toFixed(0)} ms, backward ${(t3 - t2).toFixed(0)} ms`);

    expect(loss.item()).toBeCloseTo(lossPlain(P), 9);
    const bptt = bpttPlain(P);
    for (const n of NAMES) {
      const tape = w[n].grad!.get(0);
      expect(Math.abs(tape - bptt[n]), `d loss / d ${n}: tape ${tape}, BPTT ${bptt[n]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(bptt[n])));
    }
    // the hand-written BPTT is itself held against central differences on a few parameters
    for (const n of ["uf", "bi", "wo"] as const) {
      const eps = 1e-6;
      const fd = (lossPlain({ ...P, [n]: P[n] + eps }) - lossPlain({ ...P, [n]: P[n] - eps })) / (2 * eps);
      expect(Math.abs(fd - bptt[n]), `d loss / d ${n}: BPTT ${bptt[n]}, finite differences ${fd}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(fd)));
    }
  });
});
