// Helpers for the module tests: the PyTorch reference (data/make-recurrent-reference.py), tolerant
// comparison, and gradcheck with respect to a module's own parameters.

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type GradcheckOptions, type GradcheckReport } from "@tapegrad/autograd";

export interface Arr {
  shape: number[];
  data: number[];
}

export interface StackCase {
  name: string;
  kind: "lstm" | "gru";
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  params: Record<string, Arr>;
  x: Arr;
  h0?: Arr;
  c0?: Arr;
  lengths?: number[];
  output: Arr;
  h_n: Arr;
  c_n?: Arr;
}

export interface CellCase {
  name: string;
  kind: "lstm" | "gru";
  inputSize: number;
  hiddenSize: number;
  params: Record<string, Arr>;
  x: Arr;
  h: Arr;
  c?: Arr;
  h_next: Arr;
  c_next?: Arr;
}

export interface Reference {
  linear: { name: string; inFeatures: number; outFeatures: number; weight: Arr; bias?: Arr; x: Arr; y: Arr }[];
  embedding: { weight: Arr; ids: Arr; y: Arr };
  cells: CellCase[];
  notebookCell: { params: Record<string, Arr>; xt: Arr; a_prev: Arr; c_prev: Arr; a_next: Arr; c_next: Arr };
  stacks: StackCase[];
}

export const ref = JSON.parse(readFileSync(new URL("./data/recurrent-reference.json", import.meta.url), "utf8")) as Reference;

export const toND = (a: Arr, dtype: nd.DType = "float64"): NDArray => nd.array(a.data, a.shape, dtype);

export function stateDictOf(params: Record<string, Arr>, dtype: nd.DType = "float64"): Record<string, NDArray> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toND(v, dtype)]));
}

/** Elementwise |a - b| <= atol + rtol |b|, with shapes equal; reports the worst element. */
export function expectClose(actual: NDArray | Tensor, expected: NDArray | Tensor, { rtol = 1e-10, atol = 1e-12 } = {}, what = ""): void {
  const a = actual instanceof Tensor ? actual.data : actual;
  const b = expected instanceof Tensor ? expected.data : expected;
  expect(a.shape, `${what} shape`).toEqual(b.shape);
  const x = a.toFlat();
  const y = b.toFlat();
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < x.length; i++) {
    const over = Math.abs(x[i]! - y[i]!) - (atol + rtol * Math.abs(y[i]!));
    if (over > excess || (over !== over && worst < 0)) [excess, worst] = [over, i];
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${x[worst]}, expected ${y[worst]} (|diff| ${Math.abs(x[worst]! - y[worst]!)})`);
  }
}

/** A field of a module that holds a tensor its forward reads (a Parameter). */
export type Slot = readonly [object, string];

/**
 * gradcheck of `run` with respect to module fields (parameters) and plain inputs: for the
 * check, each field is swapped for gradcheck's leaf, so the gradient flows through the module's
 * own forward; the fields are put back afterwards.
 */
export function gradcheckWith(slots: readonly Slot[], inputs: readonly Tensor[], run: (...inputs: Tensor[]) => Tensor, options: GradcheckOptions = {}): GradcheckReport {
  const owners = slots.map(([o, k]) => [o as Record<string, unknown>, k] as const);
  const originals = owners.map(([o, k]) => {
    const t = o[k];
    if (!(t instanceof Tensor)) throw new Error(`gradcheckWith: field ${k} holds no tensor`);
    return t;
  });
  const f = (...xs: Tensor[]): Tensor => {
    owners.forEach(([o, k], i) => (o[k] = xs[i]));
    try {
      return run(...xs.slice(owners.length));
    } finally {
      owners.forEach(([o, k], i) => (o[k] = originals[i]));
    }
  };
  return ag.gradcheck(f, [...originals, ...inputs], options);
}

/** The fields of a PyTorch-layout recurrent cell that hold parameters. */
export function cellSlots(cell: object): Slot[] {
  const c = cell as Record<string, unknown>;
  return ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].filter((k) => c[k] instanceof Tensor).map((k) => [cell, k] as const);
}

/** sum(y * r) for a fixed r: a scalar whose gradient reaches every element of y. */
export function project(y: Tensor, r: NDArray): Tensor {
  return y.mul(ag.tensor(r.dtype === y.dtype ? r : r.astype(y.dtype))).sum();
}
