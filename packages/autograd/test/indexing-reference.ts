// The PyTorch reference cases of data/indexing-reference.json (make-indexing-reference.py), and
// the check that runs one: outputs, then the gradients of sum(w * out) for each float input.

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as nd from "@tapegrad/tensor";
import type { NDArray } from "@tapegrad/tensor";
import { Tensor, gradients } from "../src/index.js";
import { flat } from "./helpers.js";

export interface Enc {
  dtype: "float" | "int" | "bool";
  shape: number[];
  data: number[];
}
export interface Case {
  name: string;
  inputs: Enc[];
  outputs: Enc[];
  w?: number[][];
  grads?: (Enc | null)[];
  [k: string]: unknown;
}
export const REF = JSON.parse(readFileSync(new URL("./data/indexing-reference.json", import.meta.url), "utf8")) as { torch: string; cases: Case[] };

export function decode(e: Enc): NDArray {
  const dtype = e.dtype === "float" ? "float64" : e.dtype === "int" ? "int32" : "bool";
  return nd.array(e.data, e.shape, dtype);
}

/** A case's inputs: float ones as Tensors that require grad, int and bool ones as NDArrays. */
export type Args = (Tensor | NDArray)[];

/** Runs one reference case: the outputs, then the gradients of sum(w * out) for each float input. */
export function checkCase(c: Case, run: (args: Args) => Tensor | Tensor[]): void {
  const args: Args = c.inputs.map((e) => (e.dtype === "float" ? new Tensor(decode(e), true) : decode(e)));
  const res = run(args);
  const outs = Array.isArray(res) ? res : [res];
  expect(outs.length, c.name).toBe(c.outputs.length);
  outs.forEach((o, k) => {
    const want = c.outputs[k]!;
    expect(o.shape, `${c.name}: output ${k} shape`).toEqual(want.shape);
    const got = flat(o);
    if (want.dtype === "float") got.forEach((v, j) => expect(Math.abs(v - want.data[j]!), `${c.name}: output ${k}[${j}]`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.data[j]!))));
    else expect(got, c.name).toEqual(want.data);
  });
  if (!c.grads) return;
  const floats = outs.filter((o) => nd.isFloat(o.dtype));
  const leaves = args.flatMap((a, i) => (c.grads![i] ? [{ t: a as Tensor, want: c.grads![i]! }] : []));
  const gs = gradients(floats, leaves.map((l) => l.t), floats.map((o, k) => nd.array(c.w![k]!, o.shape)));
  leaves.forEach(({ want }, k) => {
    const g = gs[k];
    const got = g ? flat(g) : new Array<number>(want.data.length).fill(0);
    got.forEach((v, j) => expect(Math.abs(v - want.data[j]!), `${c.name}: grad of input ${k} [${j}]`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.data[j]!))));
  });
}

