// "Look inside": one LSTMCell step as the tape records it, with the gradient each edge carries
// after a backward of L = sum(u * h') + sum(v * c') (u, v fixed random weights, so that no
// gradient is a plain sum of ones). Gradients come from autograd's gradients() with respect
// to every tensor the graph holds, with the graph retained so that it can still be drawn; the
// same walk's onNode events give the step-through: each node as the walk takes it, newest
// first, with the gradient of L with respect to its outputs as the walk has gathered it.

import { RandomState, type NDArray } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import type { Tensor } from "@tapegrad/autograd";
import { LSTMCell } from "@tapegrad/nn";
import { toDot } from "../../lib/graph.js";

export interface StepRow {
  op: string;
  shape: readonly number[];
  /** Euclidean norm of dL/d(output) */
  gradNorm: number;
  /** the gradient's first entries */
  head: number[];
}

/** One node as the backward walk takes it (the walk's onNode event). */
export interface BackwardStep {
  /** The node's id in the drawing (`n<id>`). */
  id: number;
  op: string;
  /** For each output: its shape, the norm of dL/d(output) and its first entries. */
  outputs: { shape: readonly number[]; gradNorm: number; head: number[] }[];
  /** The op ids this node's inputs come from (where the walk goes next), and its leaves' names. */
  feeds: number[];
  leaves: string[];
}

export interface StepGraph {
  dot: string;
  /** The backward walk, one node at a time, in the order it ran. */
  steps: BackwardStep[];
  rows: StepRow[];
  parameters: { name: string; shape: readonly number[]; gradNorm: number }[];
}

const norm = (a: NDArray) => Math.hypot(...a.toFlat());

export function lstmStepGraph(inputSize = 3, hiddenSize = 4, batch = 2, seed = 1): StepGraph {
  const rs = new RandomState(seed);
  const cell = new LSTMCell(inputSize, hiddenSize, { rng: rs });
  const named = (v: NDArray, name: string) => Object.assign(ag.tensor(v), { name });
  const x = named(rs.randn(batch, inputSize), "x");
  const h = named(rs.randn(batch, hiddenSize), "h");
  const c = named(rs.randn(batch, hiddenSize), "c");
  const [h2, c2] = cell.forward(x, [h, c]);
  const u = ag.tensor(rs.randn(batch, hiddenSize));
  const v = ag.tensor(rs.randn(batch, hiddenSize));

  const graph = ag.graphOf(h2, c2);
  const nodes = graph.ops;
  // Each op's outputs, by (op, index): the tensors later ops read, and the step's own outputs.
  const made = new Map<string, Tensor>();
  for (const n of nodes) for (const i of n.inputs) if (i.kind === "op") made.set(`${i.op}:${i.index}`, i.tensor);
  [h2, c2].forEach((t, k) => { const o = graph.outputs[k]; if (o) made.set(`${o.op}:${o.index}`, t); });
  const params = cell.namedParameters();
  const carried: Tensor[] = [...made.values(), ...params.map(([, p]) => p)];
  // The loss is built after the walk so that its two products and sum stay out of the picture.
  const loss = ag.add(ag.sum(ag.mul(h2, u)), ag.sum(ag.mul(c2, v)));
  const events: ag.BackwardNodeEvent[] = [];
  const grads = ag.gradients(loss, carried, undefined, { retainGraph: true, onNode: (e) => events.push(e) });
  const gradOf = new Map<Tensor, NDArray>(carried.map((t, i) => [t, grads[i]!.data]));

  const dot = toDot(
    { "h'": h2, "c'": c2 },
    {
      names: params,
      title: `One LSTMCell step (input ${inputSize}, hidden ${hiddenSize}, batch ${batch}); edge labels: |dL/d(tensor)| after backward of L = sum(u*h') + sum(v*c')\norange: parameters; grey: inputs; green: outputs`,
      outputLabel: (node, k) => (node.op === "split" && node.outputShapes.length === 4 ? "ifgo"[k] : undefined),
      edgeLabel: (t) => {
        const g = gradOf.get(t);
        return g ? `|g| ${norm(g).toPrecision(3)}` : undefined;
      },
    },
  );
  const rows = nodes.flatMap((n) =>
    n.outputShapes.flatMap((_, k) => {
      const t = made.get(`${n.id}:${k}`);
      if (!t) return [];
      const g = gradOf.get(t)!;
      return [{ op: n.outputShapes.length > 1 ? `${n.op}[${k}]` : n.op, shape: t.shape, gradNorm: norm(g), head: g.toFlat().slice(0, 4) }];
    }),
  );
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const paramName = new Map(params.map(([name, p]) => [p as Tensor, name]));
  // the loss's own ops (two products, two sums, an add) are not drawn: the walk is shown from h', c'
  const steps = events.filter((e) => byId.has(e.id)).map((e): BackwardStep => {
    const n = byId.get(e.id)!;
    return {
      id: e.id,
      op: e.op,
      outputs: e.gradients.map((g) => ({ shape: g.shape, gradNorm: norm(g), head: g.toFlat().slice(0, 4) })),
      feeds: n.inputs.flatMap((i) => (i.kind === "op" ? [i.op] : [])),
      leaves: n.inputs.flatMap((i) => (i.kind === "leaf" ? [paramName.get(i.tensor) ?? i.tensor.name ?? "leaf"] : [])),
    };
  });
  return { dot, steps, rows, parameters: params.map(([name, p]) => ({ name, shape: p.shape, gradNorm: norm(gradOf.get(p)!) })) };
}
