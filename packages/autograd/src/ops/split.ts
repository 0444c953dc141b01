// Multi-output movement ops: split (and so chunk) and unbind. One node for all the parts, so
// the backward writes each part's gradient into one array once, instead of padding every
// part with zeros to the full shape and adding the pads up.

import * as nd from "@tapegrad/tensor";
import { defineMultiOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { concat } from "./movement.js";

const ops = {
  split: defineMultiOp<{ axis: number; bounds: readonly number[] }>({
    name: "split",
    forward: ([x], { axis, bounds }) => nd.split(x!, bounds.slice(1, -1), axis),
    vjp: (gs, { attrs: { axis } }) => [concat(gs, axis)],
    watch: "none",
  }),
  unbind: defineMultiOp<{ axis: number }>({
    name: "unbind",
    forward: ([x], { axis }) => Array.from({ length: x!.shape[axis]! }, (_, i) => nd.slice(x!, x!.shape.map((_, d) => (d === axis ? i : null)))),
    vjp: (gs, { attrs: { axis } }) => [concat(gs.map((g) => g.unsqueeze(axis)), axis)],
    watch: "none",
  }),
};

export const splitOps = ops;

/** The parts of x between consecutive bounds along axis (bounds start at 0 and end at the size). */
export function splitAt(x: TensorLike, bounds: readonly number[], axis: number): Tensor[] {
  const t = toTensor(x);
  const ax = nd.normalizeAxis("split", axis, t.ndim);
  if (bounds.length === 2) return [t];
  return ops.split([t], { axis: ax, bounds });
}

/** PyTorch's unbind: the slices x[..., i, ...] along axis, each without that axis. */
export function unbind(x: TensorLike, axis = 0): Tensor[] {
  const t = toTensor(x);
  const ax = nd.normalizeAxis("unbind", axis, t.ndim);
  if (t.shape[ax] === 0) return [];
  return ops.unbind([t], { axis: ax });
}
