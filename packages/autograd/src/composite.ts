// Ops built from other ops: they need no VJP of their own.

import * as nd from "@tapegrad/tensor";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { div, mul, sub } from "./ops/binary.js";
import { sum } from "./ops/reduce.js";
import { permute, reshape } from "./ops/movement.js";
import { splitAt } from "./ops/split.js";
export { unbind, stack } from "./ops/split.js";

/**
 * The mean over `axis` (a number, a list, or omitted for every axis), as numpy's mean: the sum
 * divided by the count. Gradient: g / count broadcast back over the reduced axes.
 *
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]])).item(); // 2.5
 * mean(tensor([[1, 2], [3, 4]]), 1).toArray(); // [1.5, 3.5]
 * ```
 */
export function mean(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  let n = 1;
  for (const a of nd.normalizeAxes("mean", axis, t.ndim)) n *= t.shape[a]!;
  return div(sum(t, axis, keepdims), n);
}

/** Variance with numpy's ddof (0: population, 1: sample). */
export function variance(x: TensorLike, axis?: nd.AxisArg, keepdims = false, ddof = 0): Tensor {
  const t = toTensor(x);
  let n = 1;
  for (const a of nd.normalizeAxes("variance", axis, t.ndim)) n *= t.shape[a]!;
  const d = sub(t, mean(t, axis, true));
  return div(sum(mul(d, d), axis, keepdims), Math.max(n - ddof, 0));
}

/** numpy's transpose: no axes reverses them all. */
export function transpose(x: TensorLike, axes: readonly number[] = []): Tensor {
  const t = toTensor(x);
  return permute(t, axes.length === 0 ? t.shape.map((_, i) => t.ndim - 1 - i) : axes);
}

/** x without its size-1 axes, or only `axis` (a number or a list), as numpy's squeeze; squeezing an axis whose size is not 1 is a ShapeError. A reshape, so the gradient is g reshaped back. */
export function squeeze(x: TensorLike, axis?: nd.AxisArg): Tensor {
  const t = toTensor(x);
  return reshape(t, nd.squeeze(t.data, axis).shape);
}

/** x with a new size-1 axis at `axis` (negative counts from the end of the result), as torch.unsqueeze. A reshape, so the gradient is g reshaped back. */
export function unsqueeze(x: TensorLike, axis: number): Tensor {
  const t = toTensor(x);
  return reshape(t, nd.unsqueeze(t.data, axis).shape);
}

/** x as a 1-D tensor of all its elements, in C order (a reshape to [-1]). */
export function flatten(x: TensorLike): Tensor {
  return reshape(x, [-1]);
}

/** numpy's split (a count of equal sections, or the indices where sections start). */
export function split(x: TensorLike, sections: number | readonly number[], axis = 0): Tensor[] {
  const t = toTensor(x);
  const ax = nd.normalizeAxis("split", axis, t.ndim);
  return splitAt(t, boundsOf(nd.split(t.data, sections, ax), ax), ax);
}

/** torch's chunk: parts of ceil(n / chunks) along the axis, the last one smaller. */
export function chunk(x: TensorLike, chunks: number, axis = 0): Tensor[] {
  const t = toTensor(x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new nd.ValueError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const ax = nd.normalizeAxis("chunk", axis, t.ndim);
  // nd.chunk's bounds, computed rather than read off views made only to be measured
  const n = t.shape[ax]!;
  const w = Math.max(1, Math.ceil(n / chunks));
  const bounds = [0];
  for (let s = w; s < n; s += w) bounds.push(s);
  bounds.push(n);
  return splitAt(t, bounds, ax);
}

function boundsOf(parts: readonly nd.NDArray[], axis: number): number[] {
  const b = [0];
  for (const p of parts) b.push(b[b.length - 1]! + p.shape[axis]!);
  return b;
}

// Comparisons give masks: bool tensors that carry no gradient.
const cmp = (f: (a: nd.NDArray, b: nd.NDArray | number) => nd.NDArray) => (a: TensorLike, b: TensorLike): Tensor => {
  const x = toTensor(a, b instanceof Tensor ? b : null);
  const y = toTensor(b, x);
  return new Tensor(f(x.data, y.data));
};
/** a == b elementwise with broadcasting, as a bool tensor that takes no gradient (torch.eq). */
export const eq = cmp(nd.eq);
/** a != b elementwise with broadcasting, as a bool tensor that takes no gradient (torch.ne). */
export const ne = cmp(nd.ne);
/** a < b elementwise with broadcasting, as a bool tensor that takes no gradient (torch.lt). */
export const lt = cmp(nd.lt);
/** a <= b elementwise with broadcasting, as a bool tensor that takes no gradient (torch.le). */
export const le = cmp(nd.le);
/** a > b elementwise with broadcasting, as a bool tensor that takes no gradient (torch.gt). */
export const gt = cmp(nd.gt);
/** a >= b elementwise with broadcasting, as a bool tensor that takes no gradient (torch.ge). */
export const ge = cmp(nd.ge);
