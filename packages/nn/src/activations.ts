// Activation and shape modules with PyTorch's names and defaults: GELU (exact, or its tanh
// approximation), SiLU, Softmax, LogSoftmax, Flatten, Identity, and (below) LeakyReLU, ELU,
// CELU, SELU, ReLU6, Hardtanh, Hardswish, Hardsigmoid, Softplus, Softsign, Mish, LogSigmoid,
// Softmin, each also as a function. Each is composed of ops.

import * as nd from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU: x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, or with approximate "tanh" PyTorch's tanh form. */
export function gelu(x: TensorLike, approximate: "none" | "tanh" = "none"): Tensor {
  const t = ag.toTensor(x);
  if (approximate === "tanh") {
    // x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2
    const inner = ag.mul(ag.add(t, ag.mul(ag.mul(ag.square(t), t), 0.044715)), SQRT_2_OVER_PI);
    return ag.mul(ag.mul(t, 0.5), ag.add(ag.tanh(inner), 1));
  }
  if (approximate !== "none") throw new nd.ValueError(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  return ag.mul(ag.mul(t, 0.5), ag.add(ag.erf(ag.mul(t, SQRT_HALF)), 1));
}

/** SiLU (swish): x sigmoid(x). */
export function silu(x: TensorLike): Tensor {
  const t = ag.toTensor(x);
  return ag.mul(t, ag.sigmoid(t));
}

/** GELU as a module (PyTorch's nn.GELU): exact, x Phi(x), or with `approximate: "tanh"` PyTorch's tanh form; see gelu. Another approximate is a ValueError. */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor({ approximate = "none" }: { approximate?: "none" | "tanh" } = {}) {
    super();
    if (approximate !== "none" && approximate !== "tanh") throw new nd.ValueError(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
    this.approximate = approximate;
  }
  forward(x: TensorLike): Tensor { return gelu(x, this.approximate); }
}

/** SiLU (swish), x sigmoid(x), as a module (PyTorch's nn.SiLU). */
export class SiLU extends Module {
  forward(x: TensorLike): Tensor { return silu(x); }
}

/** Softmax along `dim` (PyTorch's nn.Softmax(dim)); dim defaults to the last axis. */
export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: TensorLike): Tensor { return ag.softmax(x, this.dim); }
}

/** log(softmax(x)) along `dim` (PyTorch's nn.LogSoftmax(dim)); dim defaults to the last axis. Pair it with nllLoss, or use crossEntropy on the logits. */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: TensorLike): Tensor { return ag.logSoftmax(x, this.dim); }
}

/** Folds dims startDim..endDim into one (PyTorch's defaults keep the batch dim: 1, -1). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    if (t.ndim === 0) return ag.reshape(t, [1]);
    const s = nd.normalizeAxis("Flatten", this.startDim, t.ndim);
    const e = nd.normalizeAxis("Flatten", this.endDim, t.ndim);
    if (s > e) throw new nd.ValueError(`Flatten: startDim ${this.startDim} comes after endDim ${this.endDim} for shape ${nd.fmtShape(t.shape)}`);
    const mid = t.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return ag.reshape(t, [...t.shape.slice(0, s), mid, ...t.shape.slice(e + 1)]);
  }
}

/** Returns its input unchanged (PyTorch's nn.Identity): a placeholder where a layer is optional. */
export class Identity extends Module {
  forward(x: TensorLike): Tensor { return ag.toTensor(x); }
}

// ---------------------------------------------------------------- more activations (issue 26)
//
// PyTorch's formulas, composed of ops, with PyTorch's derivative at each kink: where PyTorch's
// backward takes a one-sided value there (hardtanh's 0 at its bounds, leaky_relu's slope at 0),
// a constant mask picks the side. Branches that are computed but not selected (softplus above
// its threshold) are evaluated at a harmless point, so that no 0 * inf reaches a gradient.

/** The alpha and scale of SELU (Klambauer et al. 2017), as PyTorch's constants. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** A float mask as a constant tensor: it picks a branch and takes no gradient. */
const maskOf = (m: nd.NDArray): Tensor => new Tensor(m);

function checkFinite(op: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new nd.ValueError(`${op}: ${k} must be a finite number, got ${String(v)}`);
  }
}

/**
 * x where x > 0, else negativeSlope * x (PyTorch's leaky_relu). Gradient: 1 above 0, the slope
 * at and below 0, as PyTorch's.
 *
 * @example
 * ```ts
 * leakyRelu(tensor([-2, 0, 3]), 0.1).toArray(); // [-0.2, 0, 3]
 * ```
 */
export function leakyRelu(x: TensorLike, negativeSlope = 0.01): Tensor {
  checkFinite("leakyRelu", { negativeSlope });
  const t = ag.toTensor(x);
  return ag.where(maskOf(nd.gt(t.data, 0)), t, ag.mul(t, negativeSlope));
}

/**
 * alpha (e^x - 1) below and at 0, x above: ELU's, CELU's and SELU's shared body, with PyTorch's
 * exp(x) - 1 (an expm1 would be closer near 0, but its gradient, from the output as y + 1,
 * loses e^x to cancellation far below 0: 1.7e-4 relative at x = -30).
 */
function eluBody(t: Tensor, alpha: number, inputScale: number): Tensor {
  // PyTorch's branch is x <= 0, so NaN takes the linear side (its gradient passes there)
  const linear = maskOf(nd.logicalNot(nd.le(t.data, 0)));
  // the exponential side is evaluated at 0 where it is not taken (no 0 * e^NaN in the gradient)
  const neg = ag.where(linear, 0, t);
  return ag.where(linear, t, ag.mul(ag.sub(ag.exp(inputScale === 1 ? neg : ag.mul(neg, inputScale)), 1), alpha));
}

/**
 * x where x > 0, else alpha (e^x - 1) (PyTorch's elu, its formula: exp(x) - 1). Gradient at 0:
 * alpha, as PyTorch's; at NaN, the gradient passes (PyTorch's branch is x <= 0).
 *
 * @example
 * ```ts
 * elu(tensor([-1, 2])).toArray(); // [-0.6321205588285577, 2]
 * ```
 */
export function elu(x: TensorLike, alpha = 1): Tensor {
  checkFinite("elu", { alpha });
  return eluBody(ag.toTensor(x), alpha, 1);
}

/**
 * max(0, x) + min(0, alpha (e^(x / alpha) - 1)) (PyTorch's celu): ELU with a derivative of 1 at
 * 0 for every alpha. alpha = 0 is a ValueError.
 *
 * @example
 * ```ts
 * celu(tensor([-1, 2]), 2).toArray(); // [-0.7869386805747332, 2]
 * ```
 */
export function celu(x: TensorLike, alpha = 1): Tensor {
  checkFinite("celu", { alpha });
  if (alpha === 0) throw new nd.ValueError("celu: alpha must not be 0 (it divides x)");
  return eluBody(ag.toTensor(x), alpha, 1 / alpha);
}

/**
 * scale * elu(x, alpha) with PyTorch's fixed alpha = 1.6732632423543772 and scale = 1.0507009873554805
 * (PyTorch's selu).
 *
 * @example
 * ```ts
 * selu(tensor([1])).toArray(); // [1.0507009873554805]
 * ```
 */
export function selu(x: TensorLike): Tensor {
  return ag.mul(eluBody(ag.toTensor(x), SELU_ALPHA, 1), SELU_SCALE);
}

/**
 * x limited to [minVal, maxVal] (PyTorch's hardtanh). Gradient: 1 strictly inside, 0 at the
 * bounds and outside, as PyTorch's (autograd's clip passes it at the bounds); NaN stays NaN with
 * gradient 1. minVal > maxVal is a ValueError.
 *
 * @example
 * ```ts
 * hardtanh(tensor([-3, 0.5, 3])).toArray(); // [-1, 0.5, 1]
 * ```
 */
export function hardtanh(x: TensorLike, minVal = -1, maxVal = 1): Tensor {
  checkFinite("hardtanh", { minVal, maxVal });
  if (minVal > maxVal) throw new nd.ValueError(`hardtanh: minVal ${minVal} is above maxVal ${maxVal}`);
  const t = ag.toTensor(x);
  const d = t.data;
  // PyTorch's backward passes the gradient unless x <= min or x >= max (so at NaN too)
  const inside = nd.logicalNot(nd.logicalOr(nd.le(d, minVal), nd.ge(d, maxVal)));
  return ag.where(maskOf(inside), t, maskOf(nd.clip(d, minVal, maxVal)));
}

/**
 * min(max(x, 0), 6) (PyTorch's relu6, a hardtanh on [0, 6]): gradient 0 at 0 and at 6.
 *
 * @example
 * ```ts
 * relu6(tensor([-1, 3, 9])).toArray(); // [0, 3, 6]
 * ```
 */
export function relu6(x: TensorLike): Tensor {
  return hardtanh(x, 0, 6);
}

/**
 * x min(max(x + 3, 0), 6) / 6 (PyTorch's hardswish). Gradient: 0 below -3, x / 3 + 1/2 on
 * [-3, 3] (-1/2 at -3 and 3/2 at 3, as PyTorch's), 1 above (at +inf and NaN too, as PyTorch's).
 *
 * @example
 * ```ts
 * hardswish(tensor([-4, 1, 4])).toArray(); // [-0, 0.6666666666666666, 4]
 * ```
 */
export function hardswish(x: TensorLike): Tensor {
  const t = ag.toTensor(x);
  const d = t.data;
  // each piece with the forward's own arithmetic: x * 0 / 6, x (x + 3) / 6, x * 6 / 6
  const low = maskOf(nd.lt(d, -3));
  const mid = maskOf(nd.logicalAnd(nd.ge(d, -3), nd.le(d, 3)));
  const tm = ag.where(mid, t, 0); // 0 where not taken, so that NaN's 0 * NaN reaches no gradient
  const middle = ag.div(ag.mul(tm, ag.add(tm, 3)), 6);
  const high = ag.div(ag.mul(t, 6), 6);
  return ag.where(low, maskOf(nd.div(nd.mul(d, 0), 6)), ag.where(mid, middle, high));
}

/**
 * min(max(x + 3, 0), 6) / 6 (PyTorch's hardsigmoid). Gradient: 1/6 strictly inside (-3, 3), 0
 * at ±3 and outside, as PyTorch's.
 *
 * @example
 * ```ts
 * hardsigmoid(tensor([-4, 0, 4])).toArray(); // [0, 0.5, 1]
 * ```
 */
export function hardsigmoid(x: TensorLike): Tensor {
  const t = ag.toTensor(x);
  const d = t.data;
  const inside = nd.logicalAnd(nd.gt(d, -3), nd.lt(d, 3));
  return ag.where(maskOf(inside), ag.div(ag.add(t, 3), 6), maskOf(nd.div(nd.clip(nd.add(d, 3), 0, 6), 6)));
}

/**
 * log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (PyTorch's softplus, with its
 * defaults beta = 1, threshold = 20). Gradient: sigmoid(beta x), and 1 above the threshold.
 * beta = 0 is a ValueError.
 *
 * @example
 * ```ts
 * softplus(tensor([0, 30])).toArray(); // [0.6931471805599453, 30]
 * ```
 */
export function softplus(x: TensorLike, beta = 1, threshold = 20): Tensor {
  checkFinite("softplus", { beta, threshold });
  if (beta === 0) throw new nd.ValueError("softplus: beta must not be 0 (it divides the result)");
  const t = ag.toTensor(x);
  const linear = nd.gt(nd.mul(t.data, beta), threshold);
  // above the threshold the log branch is not taken: it is evaluated at 0, where e^x is finite
  const z = ag.mul(ag.where(maskOf(linear), 0, t), beta);
  const soft = ag.log1p(ag.exp(z));
  return ag.where(maskOf(linear), t, beta === 1 ? soft : ag.div(soft, beta));
}

/**
 * x / (1 + |x|) (PyTorch's softsign). Gradient: 1 / (1 + |x|)^2.
 *
 * @example
 * ```ts
 * softsign(tensor([-1, 3])).toArray(); // [-0.5, 0.75]
 * ```
 */
export function softsign(x: TensorLike): Tensor {
  const t = ag.toTensor(x);
  return ag.div(t, ag.add(ag.abs(t), 1));
}

/**
 * x tanh(softplus(x)) (PyTorch's mish). Where softplus takes its linear branch (x > 20),
 * tanh(x) and tanh(log(1 + e^x)) are both 1 in float64, so the values are PyTorch's; the
 * gradient there is 1, not the NaN that e^x = inf would give.
 *
 * @example
 * ```ts
 * mish(tensor([0, 1])).toArray(); // [0, 0.8650983882673103]
 * ```
 */
export function mish(x: TensorLike): Tensor {
  const t = ag.toTensor(x);
  return ag.mul(t, ag.tanh(softplus(t)));
}

/**
 * log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|) (PyTorch's logsigmoid, its formula), with no
 * overflow for any x. Gradient: 1 - sigmoid(x).
 *
 * @example
 * ```ts
 * logSigmoid(tensor([0, -1000])).toArray(); // [-0.6931471805599453, -1000]
 * ```
 */
export function logSigmoid(x: TensorLike): Tensor {
  const t = ag.toTensor(x);
  return ag.sub(ag.minimum(t, 0), ag.log1p(ag.exp(ag.neg(ag.abs(t)))));
}

/**
 * softmax(-x) along `dim` (PyTorch's softmin); dim defaults to the last axis.
 *
 * @example
 * ```ts
 * softmin(tensor([1, 1, 2])).toArray(); // [0.4223187982515182, 0.4223187982515182, 0.1553624034969636]
 * ```
 */
export function softmin(x: TensorLike, dim = -1): Tensor {
  return ag.softmax(ag.neg(x), dim);
}

/** A number given alone is the option PyTorch takes first (nn.LeakyReLU(0.2), nn.ELU(0.5)). */
function firstOption<T extends object>(arg: number | T | undefined, key: keyof T): Partial<T> {
  if (arg === undefined) return {};
  if (typeof arg === "number") return { [key]: arg } as Partial<T>;
  if (typeof arg !== "object" || arg === null) throw new nd.ValueError(`expected a number or an options object, got ${String(arg)}`);
  return arg;
}

/**
 * leakyRelu as a module (PyTorch's nn.LeakyReLU): `new LeakyReLU(0.2)` or `new LeakyReLU({ negativeSlope: 0.2 })`.
 *
 * @example
 * ```ts
 * new LeakyReLU(0.2).forward(tensor([-1, 1])).toArray(); // [-0.2, 1]
 * ```
 */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(options?: number | { negativeSlope?: number }) {
    super();
    const { negativeSlope = 0.01 } = firstOption(options, "negativeSlope");
    checkFinite("LeakyReLU", { negativeSlope });
    this.negativeSlope = negativeSlope;
  }
  forward(x: TensorLike): Tensor { return leakyRelu(x, this.negativeSlope); }
}

/**
 * elu as a module (PyTorch's nn.ELU): `new ELU()`, `new ELU(0.5)` or `new ELU({ alpha: 0.5 })`.
 *
 * @example
 * ```ts
 * new ELU().forward(tensor([-1, 1])).toArray(); // [-0.6321205588285577, 1]
 * ```
 */
export class ELU extends Module {
  readonly alpha: number;
  constructor(options?: number | { alpha?: number }) {
    super();
    const { alpha = 1 } = firstOption(options, "alpha");
    checkFinite("ELU", { alpha });
    this.alpha = alpha;
  }
  forward(x: TensorLike): Tensor { return elu(x, this.alpha); }
}

/**
 * celu as a module (PyTorch's nn.CELU): `new CELU()`, `new CELU(2)` or `new CELU({ alpha: 2 })`.
 *
 * @example
 * ```ts
 * new CELU(2).forward(tensor([-1, 1])).toArray(); // [-0.7869386805747332, 1]
 * ```
 */
export class CELU extends Module {
  readonly alpha: number;
  constructor(options?: number | { alpha?: number }) {
    super();
    const { alpha = 1 } = firstOption(options, "alpha");
    checkFinite("CELU", { alpha });
    if (alpha === 0) throw new nd.ValueError("CELU: alpha must not be 0 (it divides x)");
    this.alpha = alpha;
  }
  forward(x: TensorLike): Tensor { return celu(x, this.alpha); }
}

/**
 * selu as a module (PyTorch's nn.SELU).
 *
 * @example
 * ```ts
 * new SELU().forward(tensor([1])).toArray(); // [1.0507009873554805]
 * ```
 */
export class SELU extends Module {
  forward(x: TensorLike): Tensor { return selu(x); }
}

/**
 * relu6 as a module (PyTorch's nn.ReLU6).
 *
 * @example
 * ```ts
 * new ReLU6().forward(tensor([-1, 9])).toArray(); // [0, 6]
 * ```
 */
export class ReLU6 extends Module {
  forward(x: TensorLike): Tensor { return relu6(x); }
}

/**
 * hardtanh as a module (PyTorch's nn.Hardtanh): `new Hardtanh()`, `new Hardtanh(-2, 2)` or
 * `new Hardtanh({ minVal: -2, maxVal: 2 })`; minVal > maxVal is a ValueError.
 *
 * @example
 * ```ts
 * new Hardtanh(-2, 2).forward(tensor([-3, 3])).toArray(); // [-2, 2]
 * ```
 */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(minVal?: number | { minVal?: number; maxVal?: number }, maxVal?: number) {
    super();
    const o = typeof minVal === "number" || minVal === undefined ? { minVal, maxVal } : minVal;
    this.minVal = o.minVal ?? -1;
    this.maxVal = o.maxVal ?? 1;
    checkFinite("Hardtanh", { minVal: this.minVal, maxVal: this.maxVal });
    if (this.minVal > this.maxVal) throw new nd.ValueError(`Hardtanh: minVal ${this.minVal} is above maxVal ${this.maxVal}`);
  }
  forward(x: TensorLike): Tensor { return hardtanh(x, this.minVal, this.maxVal); }
}

/**
 * hardswish as a module (PyTorch's nn.Hardswish).
 *
 * @example
 * ```ts
 * new Hardswish().forward(tensor([4])).toArray(); // [4]
 * ```
 */
export class Hardswish extends Module {
  forward(x: TensorLike): Tensor { return hardswish(x); }
}

/**
 * hardsigmoid as a module (PyTorch's nn.Hardsigmoid).
 *
 * @example
 * ```ts
 * new Hardsigmoid().forward(tensor([0])).toArray(); // [0.5]
 * ```
 */
export class Hardsigmoid extends Module {
  forward(x: TensorLike): Tensor { return hardsigmoid(x); }
}

/**
 * softplus as a module (PyTorch's nn.Softplus): `new Softplus()`, `new Softplus(2, 10)` (beta,
 * threshold) or `new Softplus({ beta: 2, threshold: 10 })`.
 *
 * @example
 * ```ts
 * new Softplus().forward(tensor([0])).toArray(); // [0.6931471805599453]
 * ```
 */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(beta?: number | { beta?: number; threshold?: number }, threshold?: number) {
    super();
    const o = typeof beta === "number" || beta === undefined ? { beta, threshold } : beta;
    this.beta = o.beta ?? 1;
    this.threshold = o.threshold ?? 20;
    checkFinite("Softplus", { beta: this.beta, threshold: this.threshold });
    if (this.beta === 0) throw new nd.ValueError("Softplus: beta must not be 0 (it divides the result)");
  }
  forward(x: TensorLike): Tensor { return softplus(x, this.beta, this.threshold); }
}

/**
 * softsign as a module (PyTorch's nn.Softsign).
 *
 * @example
 * ```ts
 * new Softsign().forward(tensor([1])).toArray(); // [0.5]
 * ```
 */
export class Softsign extends Module {
  forward(x: TensorLike): Tensor { return softsign(x); }
}

/**
 * mish as a module (PyTorch's nn.Mish).
 *
 * @example
 * ```ts
 * new Mish().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class Mish extends Module {
  forward(x: TensorLike): Tensor { return mish(x); }
}

/**
 * logSigmoid as a module (PyTorch's nn.LogSigmoid).
 *
 * @example
 * ```ts
 * new LogSigmoid().forward(tensor([0])).toArray(); // [-0.6931471805599453]
 * ```
 */
export class LogSigmoid extends Module {
  forward(x: TensorLike): Tensor { return logSigmoid(x); }
}

/**
 * softmin along `dim` as a module (PyTorch's nn.Softmin(dim)); dim defaults to the last axis.
 *
 * @example
 * ```ts
 * new Softmin(0).forward(tensor([2, 2])).toArray(); // [0.5, 0.5]
 * ```
 */
export class Softmin extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: TensorLike): Tensor { return softmin(x, this.dim); }
}
