// graphOf: a read-only view of the graph recorded behind some tensors, for pictures, tests and
// op counts, so that nothing outside the engine walks (or can change) its nodes.

import type { Node } from "./tape.js";
import type { Tensor } from "./tensor.js";

/** Where one input of an op came from. */
export type GraphInput =
  /** output `index` of an earlier op of the graph (by its id) */
  | { readonly kind: "op"; readonly op: number; readonly index: number; readonly tensor: Tensor; readonly shape: readonly number[] }
  /** a leaf that requires grad: backward fills its `.grad` */
  | { readonly kind: "leaf"; readonly tensor: Tensor; readonly shape: readonly number[] }
  /** a tensor that takes no gradient (an input, a constant) */
  | { readonly kind: "constant"; readonly tensor: Tensor; readonly shape: readonly number[] };

/** One recorded op of a GraphView: its id, its name, where each input came from, and its output shapes. */
export interface GraphOp {
  /** Creation order: an op's inputs come from ops with smaller ids. */
  readonly id: number;
  readonly op: string;
  /** Whether a backward has released it: it no longer knows its inputs or outputs. */
  readonly released: boolean;
  readonly inputs: readonly GraphInput[];
  readonly outputShapes: readonly (readonly number[])[];
}

/** What graphOf returns: a frozen picture of the ops behind some tensors, oldest first, and which op made each tensor. */
export interface GraphView {
  /** Every op that the tensors depend on through the graph, oldest first. */
  readonly ops: readonly GraphOp[];
  /** For each tensor asked about: the op and output index that made it, or null for a leaf or constant. */
  readonly outputs: readonly ({ readonly op: number; readonly index: number } | null)[];
}

/**
 * The recorded graph behind `tensors` (walked before backward, or after one with retainGraph).
 *
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const g = graphOf(tanh(mul(x, 2)).sum());
 * g.ops.map((o) => o.op); // ["mul", "tanh", "sum"]
 * g.ops[0]!.inputs.map((i) => i.kind); // ["leaf", "constant"]
 * ```
 */
export function graphOf(...tensors: Tensor[]): GraphView {
  const seen = new Map<number, Node>();
  const stack: Node[] = [];
  for (const t of tensors) if (t.gradFn) stack.push(t.gradFn);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n.id)) continue;
    seen.set(n.id, n);
    for (const x of n.inputs) if (x.requiresGrad && x.gradFn && !seen.has(x.gradFn.id)) stack.push(x.gradFn);
  }
  const nodes = [...seen.values()].sort((a, b) => a.id - b.id);
  const ops: GraphOp[] = nodes.map((n) =>
    Object.freeze({
      id: n.id,
      op: n.op,
      released: n.released,
      inputs: Object.freeze(n.inputs.map(inputOf)),
      outputShapes: Object.freeze(n.outputs.map((o) => o.shape)),
    }),
  );
  const outputs = tensors.map((t) => (t.gradFn ? Object.freeze({ op: t.gradFn.id, index: t.outputIndex }) : null));
  return Object.freeze({ ops: Object.freeze(ops), outputs: Object.freeze(outputs) });
}

function inputOf(x: Tensor): GraphInput {
  if (!x.requiresGrad) return Object.freeze({ kind: "constant", tensor: x, shape: x.shape });
  if (x.gradFn === null) return Object.freeze({ kind: "leaf", tensor: x, shape: x.shape });
  return Object.freeze({ kind: "op", op: x.gradFn.id, index: x.outputIndex, tensor: x, shape: x.shape });
}
