// Issue 26's layers against real PyTorch (data/make-layers-reference.py ran torch in float64):
// the reference's cases, a builder per module kind, and the comparison (strict state-dict load,
// outputs and gradients of every call, the state dict after the calls).

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { expectClose } from "./module-helpers.js";

interface Enc { shape: number[]; data: (number | "inf" | "-inf")[]; dtype?: "bool" | "int" }

interface Call {
  inputs: Record<string, Enc>;
  outputs: Enc[];
  cotangents: Enc[];
  inputGrads: Record<string, Enc>;
  paramGrads: Record<string, Enc>;
}

export interface ModuleCase {
  name: string;
  kind: string;
  args: unknown[];
  opts: Record<string, unknown>;
  train: boolean;
  keys: [string, number[]][];
  state: Record<string, Enc>;
  calls: Call[];
  stateAfter: Record<string, Enc>;
}

export interface FunctionCase {
  name: string;
  fn: string;
  opts: Record<string, unknown>;
  inputs: Record<string, Enc>;
  output: Enc;
  cotangent: Enc;
  inputGrads: Record<string, Enc>;
}

export const LAYERS = JSON.parse(readFileSync(new URL("./data/layers-reference.json", import.meta.url), "utf8")) as {
  torch: string;
  modules: ModuleCase[];
  functions: FunctionCase[];
  /** PyTorch's constructor call -> repr(module) */
  reprs: Record<string, string>;
  /** torch-batchnorm.safetensors' input and eval-mode output (float32 values, stored as float64) */
  batchnormFile: { x: Enc; y: Enc; numBatchesTracked: number };
  /** a loss module's constructor call -> its state dict */
  lossKeys: Record<string, Record<string, Enc>>;
};

/** An encoded array: floats as float64, torch's integers (int64) as int32, bools as bool. */
export function dec(e: Enc): NDArray {
  const vals = e.data.map((v) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : v));
  const a = nd.array(Float64Array.from(vals), e.shape);
  return e.dtype === "bool" ? nd.ne(a, 0) : e.dtype === "int" ? a.astype("int32") : a;
}

type AnyModule = nn.Module & { forward(...a: unknown[]): unknown };
const builders: Record<string, (a: never[], o: never) => nn.Module> = {};

/** Registers how a test file builds a module kind from the reference's args and opts. */
export function builder(kind: string, make: (a: never[], o: never) => nn.Module): void {
  builders[kind] = make;
}

/** The reference's module cases of the given kinds. */
export function moduleCases(...kinds: string[]): ModuleCase[] {
  return LAYERS.modules.filter((c) => kinds.includes(c.kind));
}

/** The reference's function cases of the given functions. */
export function functionCases(...fns: string[]): FunctionCase[] {
  return LAYERS.functions.filter((c) => fns.includes(c.fn));
}

const TOL = { rtol: 1e-9, atol: 1e-11 };

function asInputs(encoded: Record<string, Enc>): Record<string, Tensor | NDArray> {
  const out: Record<string, Tensor | NDArray> = {};
  for (const [k, v] of Object.entries(encoded)) {
    const a = dec(v);
    out[k] = nd.isFloat(a.dtype) ? new Tensor(a, true) : a;
  }
  return out;
}

function compareOutputs(outs: (Tensor | NDArray)[], call: Call | FunctionCase): void {
  const expected = "outputs" in call ? call.outputs : [call.output];
  expect(outs.length, "number of outputs").toBe(expected.length);
  outs.forEach((o, i) => {
    const e = dec(expected[i]!);
    if (nd.isFloat(e.dtype)) expectClose(o, e, TOL, `output ${i}`);
    else {
      const a = o instanceof Tensor ? o.data : o;
      expect(a.dtype, `output ${i} dtype`).toBe(e.dtype);
      expect(a.toArray(), `output ${i}`).toEqual(e.toArray());
    }
  });
}

/**
 * Builds the module, checks its state-dict keys and shapes are torch's, loads torch's state dict
 * strictly, runs every call in the case's mode comparing outputs and gradients (inputs and
 * parameters), then compares the state dict after the calls (running statistics).
 */
export function expectModuleAsTorch(c: ModuleCase, run: (m: AnyModule, x: Record<string, Tensor | NDArray>) => (Tensor | NDArray)[] = (m, x) => {
  const y = m.forward(x.x) as Tensor | [Tensor, NDArray];
  return Array.isArray(y) ? y : [y];
}): void {
  const make = builders[c.kind];
  if (!make) throw new Error(`no builder for ${c.kind}`);
  const m = make(c.args as never[], c.opts as never) as AnyModule;
  expect(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]])).toEqual(c.keys);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)])));
  m.train(c.train);
  for (const call of c.calls) {
    m.zeroGrad();
    const inputs = asInputs(call.inputs);
    const outs = run(m, inputs);
    compareOutputs(outs, call);
    const floats = outs.filter((o): o is Tensor => o instanceof Tensor);
    const loss = floats.map((o, i) => ag.sum(ag.mul(o, new Tensor(dec(call.cotangents[i]!))))).reduce((s, t) => ag.add(s, t));
    loss.backward();
    for (const [k, g] of Object.entries(call.inputGrads)) {
      const t = inputs[k] as Tensor;
      expectClose(t.grad ?? nd.zeros(t.shape), dec(g), TOL, `d/d${k}`);
    }
    const params = new Map(m.namedParameters());
    expect([...params.keys()].sort()).toEqual(Object.keys(call.paramGrads).sort());
    for (const [k, g] of Object.entries(call.paramGrads)) expectClose(params.get(k)!.grad!, dec(g), TOL, `d/d${k}`);
  }
  const after = m.stateDict();
  for (const [k, e] of Object.entries(c.stateAfter)) {
    const want = dec(e);
    if (nd.isFloat(want.dtype)) expectClose(after[k]!, want, TOL, `state ${k} after the calls`);
    else expect(after[k]!.toArray(), `state ${k} after the calls`).toEqual(want.toArray());
  }
}

/** Runs a function case: f(inputs) against torch's output, and the float inputs' gradients of sum(output * r). */
export function expectFunctionAsTorch(c: FunctionCase, f: (x: Record<string, Tensor | NDArray>) => Tensor): void {
  const inputs = asInputs(c.inputs);
  for (const k of Object.keys(inputs)) {
    const t = inputs[k];
    if (t instanceof Tensor && !(k in c.inputGrads)) inputs[k] = t.data;
  }
  const y = f(inputs);
  compareOutputs([y], c);
  ag.sum(ag.mul(y, new Tensor(dec(c.cotangent)))).backward();
  for (const [k, g] of Object.entries(c.inputGrads)) {
    const t = inputs[k] as Tensor;
    expectClose(t.grad ?? nd.zeros(t.shape), dec(g), TOL, `d/d${k}`);
  }
}
