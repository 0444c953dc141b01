// Sliding windows: convolution and pooling are windows, then a matmul or a reduction. unfold
// is a strided view whose adjoint is a scatter-add, unfoldBackward, whose own adjoint is unfold
// again; pad is the adjoint of a slice.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { movementOps } from "./movement.js";

const ops = {
  unfold: defineOp<nd.WindowSpec>({
    name: "unfold",
    forward: ([x], spec) => nd.unfold(x!, spec),
    vjp: ([g], { inputs: [x], attrs }): Tensor[] => [ops.unfoldBackward([g!], { ...attrs, shape: x!.shape })],
    watch: "none",
  }),
  unfoldBackward: defineOp<nd.WindowSpec & { shape: readonly number[] }>({
    name: "unfoldBackward",
    forward: ([g], { shape, ...spec }) => nd.unfoldBackward(g!, shape, spec),
    vjp: ([gg], { attrs: { shape: _shape, ...spec } }): Tensor[] => [ops.unfold([gg!], spec)],
    watch: "none",
  }),
};

export const windowOps = ops;

/**
 * Sliding windows along `axis` (torch's x.unfold(axis, size, step), with dilation): that axis
 * becomes the window index and a new last axis holds each window's taps. A view: no copy.
 */
export function unfold(x: TensorLike, axis: number, size: number, step = 1, dilation = 1): Tensor {
  const t = toTensor(x);
  const ax = nd.normalizeAxis("unfold", axis, t.ndim);
  nd.unfold(t.data, { axis: ax, size, step, dilation }); // validates before recording
  return ops.unfold([t], { axis: ax, size, step, dilation });
}

/**
 * Zero padding of the last widths.length axes, `[before, after]` each: the adjoint of a slice
 * (movement's sliceGrad), so its gradient is the slice of the interior.
 */
export function pad(x: TensorLike, widths: readonly (readonly [number, number])[]): Tensor {
  const t = toTensor(x);
  if (widths.length > t.ndim) throw new nd.ShapeError(`pad: ${widths.length} pad widths for shape ${nd.fmtShape(t.shape)}`);
  const lead = t.ndim - widths.length;
  for (const [a, b] of widths) {
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0)) throw new nd.ValueError(`pad: widths must be non-negative integers, got ${JSON.stringify(widths)}`);
  }
  if (widths.every(([a, b]) => a === 0 && b === 0)) return t;
  const shape = t.shape.map((d, i) => (i < lead ? d : d + widths[i - lead]![0] + widths[i - lead]![1]));
  const specs: nd.SliceSpec[] = t.shape.map((d, i) => (i < lead ? null : ([widths[i - lead]![0], widths[i - lead]![0] + d] as const)));
  return movementOps.sliceGrad([t], { specs, shape });
}
