// Scans along one axis: cumsum, cumprod, logcumsumexp, the linear recurrence
// h_i = b_i + a_i h_(i-1) that the last two's gradients are made of, and prod, whose gradient is
// two exclusive cumprods. Each runs either way (`reverse`); a gradient runs the other way, and
// the set is closed under differentiation. No gradient divides by x: cumprod's and prod's stay
// right where entries are 0, to every order.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { mul, sub } from "./binary.js";
import { exp } from "./unary.js";
import type { AxesAttrs } from "./reduce.js";
import { concat, permute, reshape, slice } from "./movement.js";

/** A scan's attributes: its axis (non-negative), and whether it runs from the end. */
export interface ScanAttrs {
  axis: number;
  reverse: boolean;
}

const ops = {
  cumsum: defineOp<ScanAttrs>({
    name: "cumsum",
    forward: ([x], { axis, reverse }) => nd.cumsum(x!, axis, reverse),
    // dy_k/dx_i = 1 for k >= i: the gradient sums g from the other end
    vjp: ([g], { attrs: { axis, reverse } }): Tensor[] => [ops.cumsum([g!], { axis, reverse: !reverse })],
    watch: "none",
  }),
  cumprod: defineOp<ScanAttrs>({
    name: "cumprod",
    forward: ([x], { axis, reverse }) => nd.cumprod(x!, axis, reverse),
    vjp: ([g], { inputs: [x], attrs: { axis, reverse } }): Tensor[] => [reverse ? flip(cumprodGrad(flip(g!, axis), flip(x!, axis), axis), axis) : cumprodGrad(g!, x!, axis)],
    watch: "inputs",
  }),
  logcumsumexp: defineOp<ScanAttrs>({
    name: "logcumsumexp",
    forward: ([x], { axis, reverse }) => nd.logcumsumexp(x!, axis, reverse),
    vjp: ([g], { inputs: [x], outputs: [y], attrs: { axis, reverse } }): Tensor[] => [
      reverse ? flip(logcumsumexpGrad(flip(g!, axis), flip(x!, axis), flip(y!, axis), axis), axis) : logcumsumexpGrad(g!, x!, y!, axis),
    ],
    watch: "both",
  }),
  /**
   * h_i = b_i + a_i h_(i-1) along the axis (from the end when `reverse`). Its adjoint runs the
   * other way with the coefficients moved by one: u_i = g_i + a_(i+1) u_(i+1) gives b's
   * gradient, and u_i h_(i-1) is a's. Closed under differentiation, exact at zeros.
   */
  linearRecurrence: defineOp<ScanAttrs>({
    name: "linearRecurrence",
    forward: ([a, b], { axis, reverse }) => nd.linearRecurrence(a!, b!, axis, reverse),
    vjp: ([g], { inputs: [a, b], outputs: [h], attrs: { axis, reverse } }): (Tensor | null)[] => {
      const toward = reverse ? 1 : -1;
      const u = ops.linearRecurrence([shifted(a!, axis, toward), g!], { axis, reverse: !reverse });
      return [a!.requiresGrad ? mul(u, shifted(h!, axis, reverse ? -1 : 1)) : null, b!.requiresGrad ? u : null];
    },
    watch: "both",
  }),
  prod: defineOp<AxesAttrs>({
    name: "prod",
    forward: ([x], { axes, keepdims }) => nd.prod(x!, axes, keepdims),
    vjp: ([g], { inputs: [x], attrs: { axes } }) => [prodGrad(g!, x!, axes)],
    watch: "inputs",
  }),
};

export const scanOps = ops;

/**
 * d prod / dx_i = prod_{j != i} x_j = (prod_{j < i} x_j)(prod_{j > i} x_j) over the reduced
 * elements taken as one line: two exclusive cumprods, no division (PyTorch's
 * prod_safe_zeros_backward), so it is right with one zero, two, or more, and differentiates
 * through cumprod's gradient to the exact second derivative.
 */
function prodGrad(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = [...x.shape.keys()].filter((i) => !axes.includes(i));
  const order = [...kept, ...axes];
  const back = order.map((_, i) => order.indexOf(i));
  const lead = kept.map((i) => x.shape[i]!);
  let n = 1;
  for (const i of axes) n *= x.shape[i]!;
  if (n === 0) return new Tensor(nd.zeros(x.shape, x.dtype)); // no elements: no gradient
  const line = reshape(permute(x, order), [...lead, n]);
  const last = lead.length;
  const others = mul(exclusiveCumprod(line, last, false), exclusiveCumprod(line, last, true));
  const grad = mul(others, reshape(g, [...lead, 1]));
  return permute(reshape(grad, order.map((i) => x.shape[i]!)), back);
}

/** t reversed along `axis` (a view with step -1; its gradient is the reverse again). */
function flip(t: Tensor, axis: number): Tensor {
  return slice(t, t.shape.map((_, i) => (i === axis ? ([null, null, -1] as const) : null)));
}

/**
 * The gradient of a forward cumprod along `axis`: grad_i = sum_{k >= i} g_k prod_{j <= k, j != i} x_j
 * = L_i S_i, with L_i = prod_{j < i} x_j (an exclusive cumprod) and S_i = sum_{k >= i} g_k
 * prod_{i < j <= k} x_j, which runs from the end as S_i = g_i + x_(i+1) S_(i+1): a linear
 * recurrence. Products and sums only, no division by x: right where entries are 0 (PyTorch's
 * cumprod_backward needs its masks and an O(n^2) second-order path for that), O(n), and
 * every derivative of it is exact too.
 */
function cumprodGrad(g: Tensor, x: Tensor, axis: number): Tensor {
  if (x.shape[axis]! <= 1) return g;
  return mul(exclusiveCumprod(x, axis, false), ops.linearRecurrence([shifted(x, axis, -1), g], { axis, reverse: true }));
}

/** t moved one place along `axis`: by -1, t_(i+1) at i and 0 last; by +1, 0 first and t_(i-1) at i. */
function shifted(t: Tensor, axis: number, by: -1 | 1): Tensor {
  const n = t.shape[axis]!;
  if (n === 0) return t;
  const zero = new Tensor(nd.zeros(t.shape.map((d, i) => (i === axis ? 1 : d)), t.dtype));
  const part = (a: number, b: number) => slice(t, t.shape.map((_, i) => (i === axis ? ([a, b] as const) : null)));
  return by === -1 ? concat([part(1, n), zero], axis) : concat([zero, part(0, n - 1)], axis);
}

/**
 * prod_{j < i} x_j along `axis` (from the end with `reverse`: prod_{j > i}): the cumprod of x
 * shifted by one, a 1 entering first. Made of differentiable ops.
 */
function exclusiveCumprod(x: Tensor, axis: number, reverse: boolean): Tensor {
  const n = x.shape[axis]!;
  const oneShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const ones = new Tensor(nd.ones(oneShape, x.dtype));
  const part = (a: number, b: number) => slice(x, x.shape.map((_, i) => (i === axis ? ([a, b] as const) : null)));
  const shifted = reverse ? concat([part(1, n), ones], axis) : concat([ones, part(0, n - 1)], axis);
  return ops.cumprod([shifted], { axis, reverse });
}

/**
 * The gradient of a forward logcumsumexp: d y_k / d x_i = exp(x_i - y_k) for k >= i, so
 * grad_i = exp(x_i - y_i) T_i with T_i = sum_{k >= i} g_k exp(y_i - y_k), which runs from the
 * end as T_i = g_i + exp(y_i - y_(i+1)) T_(i+1): a linear recurrence whose coefficients are at
 * most 1 (y never decreases), as is exp(x_i - y_i). Nothing overflows and nothing cancels (the
 * usual formula splits g by sign and takes log g, whose log 0 makes its second derivative NaN).
 */
function logcumsumexpGrad(g: Tensor, x: Tensor, y: Tensor, axis: number): Tensor {
  const n = x.shape[axis]!;
  if (n <= 1) return g;
  const part = (a: number, b: number) => slice(y, y.shape.map((_, i) => (i === axis ? ([a, b] as const) : null)));
  // y_(i+1), the last repeated: its coefficient is never used, and exp(0) keeps its derivative finite
  const next = concat([part(1, n), part(n - 1, n)], axis);
  const t = ops.linearRecurrence([exp(sub(y, next)), g], { axis, reverse: true });
  return mul(exp(sub(x, y)), t);
}

function scanAxis(op: string, t: Tensor, axis: number | undefined | null): [Tensor, number] {
  if (axis === undefined || axis === null) return [reshape(t, [-1]), 0];
  return [t, nd.normalizeAxis(op, axis, t.ndim)];
}

/**
 * The running sum along `axis` (torch.cumsum; no axis: of the flattened tensor, as numpy's).
 * `reverse` sums from the end. Gradient: g summed the other way. An integer input gives float64.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * cumsum(x, 0).toArray(); // [1, 3, 6]
 * cumsum(x, 0).sum().backward();
 * x.grad!.toArray(); // [3, 2, 1]
 * ```
 */
export function cumsum(x: TensorLike, axis?: number | null, reverse = false): Tensor {
  const [t, ax] = scanAxis("cumsum", toTensor(x), axis);
  return ops.cumsum([t], { axis: ax, reverse });
}

/**
 * The running product along `axis` (torch.cumprod; no axis: of the flattened tensor);
 * `reverse` multiplies from the end. Gradient: sum_{k >= i} g_k prod_{j <= k, j != i} x_j,
 * right where entries are 0 (one or several), to every order. An integer input gives float64.
 *
 * @example
 * ```ts
 * const x = tensor([2, 0, 3], { requiresGrad: true });
 * cumprod(x, 0).toArray(); // [2, 0, 0]
 * cumprod(x, 0).sum().backward();
 * x.grad!.toArray(); // [1, 8, 0]
 * ```
 */
export function cumprod(x: TensorLike, axis?: number | null, reverse = false): Tensor {
  const [t, ax] = scanAxis("cumprod", toTensor(x), axis);
  return ops.cumprod([t], { axis: ax, reverse });
}

/**
 * torch.logcumsumexp: log(sum(exp(x_0..x_i))) along `axis`, without overflow; `reverse` from the
 * end. Gradient: sum_{k >= i} g_k exp(x_i - y_k), computed without overflow either.
 *
 * @example
 * ```ts
 * logcumsumexp(tensor([0, 0, 1000]), 0).toArray(); // [0, 0.6931471805599453, 1000]
 * ```
 */
export function logcumsumexp(x: TensorLike, axis?: number | null, reverse = false): Tensor {
  const [t, ax] = scanAxis("logcumsumexp", toTensor(x), axis);
  return ops.logcumsumexp([t], { axis: ax, reverse });
}

/**
 * The product over `axis` (a number, a list, or omitted for every axis), as torch.prod and
 * numpy's prod; an integer input gives float64. Gradient: prod_{j != i} x_j over each group,
 * right where entries are 0 (one zero: only it gets a gradient; two or more: none does), and
 * differentiable again to the exact second derivative.
 *
 * @example
 * ```ts
 * const x = tensor([2, 0, 3], { requiresGrad: true });
 * prod(x).backward();
 * x.grad!.toArray(); // [0, 6, 0]
 * ```
 */
export function prod(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.prod([t], { axes: nd.normalizeAxes("prod", axis, t.ndim), keepdims });
}
