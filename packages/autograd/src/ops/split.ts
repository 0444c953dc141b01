// Multi-output movement ops, split (and so chunk) and unbind, and stack, unbind's adjoint.
// One node for all the parts, so the backward writes each part's gradient into one array
// once, instead of padding every part with zeros to the full shape and adding the pads up;
// and one stack node for T tensors, instead of T unsqueeze nodes and a concat.

import * as nd from "@tapegrad/tensor";
import { stackParts } from "@tapegrad/tensor/internal";
import { defineMultiOp, defineOp } from "../define-op.js";
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
    vjp: (gs, { attrs: { axis } }): Tensor[] => [ops.unbindBackward(gs, { axis })],
    watch: "none",
    // a fact for the engine's accumulator: output i is x's slice i along axis, so the outputs'
    // gradients can be summed into the slices of one array as they arrive (one per step of a
    // sequence), which unbindBackward then returns uncopied
    outputRegion: (whole, i, { axis }) => nd.slice(whole, whole.shape.map((_, d) => (d === axis ? i : null))),
  }),
  // stack's forward, for unbind's VJP: the step gradients joined along axis, read in place when
  // the accumulator has gathered them into the slices of one array (stackParts)
  unbindBackward: defineOp<{ axis: number }>({
    name: "unbindBackward",
    forward: (gs, { axis }) => stackParts(gs, axis),
    vjp: ([g], { inputs, attrs: { axis } }): (Tensor | null)[] => {
      const parts = ops.unbind([g!], { axis });
      return inputs.map((x, i) => (x.requiresGrad ? parts[i]! : null));
    },
    watch: "none",
  }),
  stack: defineOp<{ axis: number }>({
    name: "stack",
    forward: (xs, { axis }) => nd.stack(xs, axis),
    vjp: ([g], { inputs, attrs: { axis } }): (Tensor | null)[] => {
      const parts = ops.unbind([g!], { axis });
      const grads: (Tensor | null)[] = [];
      for (let i = 0; i < inputs.length; i++) grads.push(inputs[i]!.requiresGrad ? parts[i]! : null);
      return grads;
    },
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

/** Joins tensors of one shape along a new axis; one node however many tensors. */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!xs || xs.length === 0) throw new nd.ValueError("stack: needs at least one tensor");
  const ts = xs.map((x) => toTensor(x));
  const first = ts[0]!;
  for (const t of ts) {
    if (!nd.shapesEqual(t.shape, first.shape)) {
      throw new nd.ShapeError(`stack: all tensors must have the same shape: ${ts.map((u) => nd.fmtShape(u.shape)).join(", ")}`);
    }
  }
  return ops.stack(ts, { axis: nd.normalizeAxis("stack", axis, first.ndim + 1) });
}
