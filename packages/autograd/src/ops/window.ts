// Sliding windows: convolution and pooling are windows, then a matmul or a reduction. unfold
// is a strided view whose adjoint is a scatter-add, unfoldBackward, whose own adjoint is unfold
// again; pad is the adjoint of a slice (constant mode) or a take (the other modes).

import * as nd from "@tapegrad/tensor";
import { checkPad, padIndices } from "@tapegrad/tensor/internal";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { movementOps, take } from "./movement.js";
import { add } from "./binary.js";

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
 * torch.nn.functional.pad on the last widths.length axes, `[before, after]` per axis (in axis
 * order, not torch's last-axis-first flat list); a negative width crops. Modes: "constant"
 * (default) fills with `value` (default 0); "reflect" mirrors the edge without repeating it;
 * "replicate" repeats the edge; "circular" wraps around. Gradient: the constant mode is the
 * adjoint of a slice (movement's sliceGrad), so its gradient is the interior of g; the other
 * modes are a take per axis, so a border element's gradient is added to the one it copies.
 * Reflect mirrors about the input's edges before it crops (torch's reflection pad), so a crop on
 * one side does not move the mirror on the other.
 * Widths a mode cannot fill are a ValueError, more pairs than axes a ShapeError.
 *
 * @example
 * ```ts
 * pad(tensor([1, 2, 3]), [[1, 2]]).toArray(); // [0, 1, 2, 3, 0, 0]
 * pad(tensor([1, 2, 3]), [[2, 0]], { mode: "reflect" }).toArray(); // [3, 2, 1, 2, 3]
 * pad(tensor([1, 2, 3]), [[-1, 1]], { value: 9 }).toArray(); // [2, 3, 9]
 * ```
 */
export function pad(x: TensorLike, widths: readonly (readonly [number, number])[], options: nd.PadOptions = {}): Tensor {
  const t = toTensor(x);
  const mode = checkPad(t.shape, widths, options);
  const lead = t.ndim - widths.length;
  let r = t;
  if (mode === "reflect") {
    // torch reflects about the input's edges, then crops: one take per axis does both
    widths.forEach(([a, b], i) => {
      if (a !== 0 || b !== 0) r = take(r, padIndices(r.shape[lead + i]!, a, b, mode), lead + i);
    });
    return r;
  }
  if (widths.some(([a, b]) => a < 0 || b < 0)) {
    r = movementOps.slice([t], { specs: t.shape.map((d, i) => (i < lead ? null : ([Math.max(-widths[i - lead]![0], 0), d - Math.max(-widths[i - lead]![1], 0)] as const))) });
  }
  const grow = widths.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)] as const);
  if (grow.every(([a, b]) => a === 0 && b === 0)) return r;
  if (mode === "constant") {
    const shape = r.shape.map((d, i) => (i < lead ? d : d + grow[i - lead]![0] + grow[i - lead]![1]));
    const specs: nd.SliceSpec[] = r.shape.map((d, i) => (i < lead ? null : ([grow[i - lead]![0], grow[i - lead]![0] + d] as const)));
    const padded = movementOps.sliceGrad([r], { specs, shape });
    const value = options.value ?? 0;
    if (value === 0) return padded;
    // the border's value, a constant: zeros inside
    return add(padded, new Tensor(nd.pad(nd.zeros(r.shape, r.dtype), grow, { value })));
  }
  grow.forEach(([a, b], i) => {
    if (a > 0 || b > 0) r = take(r, padIndices(r.shape[lead + i]!, a, b, mode), lead + i);
  });
  return r;
}
