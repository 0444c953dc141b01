// Loss functions, each composed of autograd ops so that its gradient comes from the tape, and
// each following the formula in PyTorch's torch.nn.functional docs (reductions, ignore_index,
// class weights, label smoothing) so that a loss value moves between the two unchanged.

import * as nd from "@tapegrad/tensor";
import { DTypeError, IndexError, NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import {
  Tensor, abs, add, div, exp, log, logSoftmax, logsumexp, maximum, mul, neg, permute, relu, reshape, sqrt, stack, sub, sum, take, toTensor, where,
  type TensorLike,
} from "@tapegrad/autograd";

/** How a loss reduces its per-element terms (PyTorch's reduction): "mean" (the default), "sum", or "none" for the terms themselves. */
export type Reduction = "mean" | "sum" | "none";

/** Numbers, as a flat or nested JS array. */
export type NumberArray = readonly (number | NumberArray)[];

/** A weight: a tensor, an NDArray, a number, or (nested) numbers. */
export type WeightLike = TensorLike | NumberArray;

/** Integer class indices: an int32 array or tensor, a (nested) number array, or one number. */
export type ClassTarget = Tensor | NDArray | number | NumberArray;

/** Options of mseLoss: the reduction. */
export interface MSELossOptions {
  reduction?: Reduction;
}

/** Options of nllLoss (and crossEntropy): the reduction, a class index to ignore, and per-class weights. */
export interface NLLLossOptions {
  reduction?: Reduction;
  /** A target equal to this contributes nothing and is left out of the mean (PyTorch's default -100). */
  ignoreIndex?: number;
  /** A weight per class, shape (C,): scales each target's term and its share of the mean. */
  weight?: WeightLike;
}

/** Options of crossEntropy: nllLoss's (reduction, ignoreIndex, weight) and label smoothing. */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** In [0, 1]: the target becomes (1 - s) one-hot + s / C (Szegedy et al.'s label smoothing). */
  labelSmoothing?: number;
}

/** Options of binaryCrossEntropyWithLogits: the reduction, a per-element weight, and a weight on the positive term (PyTorch's pos_weight). */
export interface BCEWithLogitsOptions {
  reduction?: Reduction;
  /** Broadcast against the input: scales each element's loss. */
  weight?: WeightLike;
  /** Broadcast against the input (typically one per class, the last axis): scales the positive term. */
  posWeight?: WeightLike;
}

// ---------------------------------------------------------------- helpers

function checkReduction(op: string, r: unknown): Reduction {
  if (r === "mean" || r === "sum" || r === "none") return r;
  throw new ValueError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`);
}

function reduce(t: Tensor, reduction: Reduction): Tensor {
  return reduction === "none" ? t : reduction === "sum" ? sum(t) : div(sum(t), t.size);
}

function asFloatTensor(op: string, what: string, x: WeightLike, like?: Tensor): Tensor {
  const t = Array.isArray(x) ? new Tensor(nd.array(x as number[], undefined, like && nd.isFloat(like.dtype) ? like.dtype : "float64")) : toTensor(x as TensorLike, like ?? null);
  if (!nd.isFloat(t.dtype)) throw new DTypeError(`${op}: ${what} must be a float tensor, got dtype ${t.dtype}`);
  return like ? sameFloat(t, like) : t;
}

/** A float target in the input's float dtype (as PyTorch, which refuses to mix them), so the loss keeps that dtype. */
function sameFloat(y: Tensor, x: Tensor): Tensor {
  return nd.isFloat(x.dtype) && y.dtype !== x.dtype ? y.astype(x.dtype) : y;
}

function checkBroadcastsTo(op: string, what: string, w: Tensor, x: Tensor): void {
  const ok = w.ndim <= x.ndim && w.shape.every((d, i) => d === 1 || d === x.shape[x.ndim - w.ndim + i]);
  if (!ok) throw new ShapeError(`${op}: ${what} of shape ${fmtShape(w.shape)} does not broadcast to the input's shape ${fmtShape(x.shape)}`);
}

/** Where in `shape` the C-order flat position `f` falls, for error messages. */
function position(f: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = f % d;
    f = Math.floor(f / d);
  }
  return `[${idx.join(",")}]`;
}

/**
 * From int32 class indices y (the target's shape) and the class count C: the indices with
 * ignored ones set to 0, which targets count (bool), and the flat positions n * C + y_n of the
 * picked entries. A kernel (a loop of its own), so a compiled step reads each call's targets.
 */
const targetIndices = nd.kernel("crossEntropy.targets", (y: NDArray, C: number, ignoreIndex: number, op: string): [NDArray, NDArray, NDArray] => {
  const ys = y.toTypedArray() as Int32Array;
  const safe = new Int32Array(ys.length);
  const valid = new Uint8Array(ys.length);
  const flatIdx = new Int32Array(ys.length);
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= C) {
      throw new IndexError(
        `${op}: target ${v} at position ${position(i, y.shape)} is out of range for ${C} classes; expected 0..${C - 1}` +
          ` (or ignoreIndex ${ignoreIndex})`,
      );
    }
    safe[i] = v;
    valid[i] = 1;
  }
  for (let i = 0; i < ys.length; i++) flatIdx[i] = i * C + safe[i]!;
  return [new NDArray(safe, y.shape), new NDArray(valid, y.shape), new NDArray(flatIdx, [ys.length])]; // a Uint8Array is bool storage
});

/** Class indices as an int32 array; values are checked later, against the class count. */
function classIndices(op: string, target: ClassTarget): NDArray {
  let a: NDArray;
  if (target instanceof Tensor) a = target.data;
  else if (target instanceof NDArray) a = target;
  else if (typeof target === "number") a = nd.array([target], []);
  else if (Array.isArray(target)) a = nd.array(target as number[]);
  else throw new DTypeError(`${op}: target must be class indices (an int32 array, a tensor or numbers), got ${target === null ? "null" : typeof target}`);
  if (a.dtype === "int32") return a;
  if (a.dtype === "bool") throw new DTypeError(`${op}: target must be integer class indices, got a bool array of shape ${fmtShape(a.shape)}`);
  if (target instanceof Tensor || target instanceof NDArray) {
    throw new DTypeError(
      `${op}: class-index targets must be int32, got ${a.dtype} of shape ${fmtShape(a.shape)}; ` +
        `for class probabilities pass a float target of the input's shape, or convert with astype("int32")`,
    );
  }
  // plain JS numbers: accept integers, name the first that is not one
  const flat = a.toFlat();
  const bad = flat.findIndex((v) => !Number.isInteger(v));
  if (bad >= 0) throw new IndexError(`${op}: target ${flat[bad]} at position ${position(bad, a.shape)} is not an integer class index`);
  return a.astype("int32");
}

interface Picked {
  /** x[n, y_n, d...] with ignored positions set to 0; the target's shape */
  picked: Tensor;
  /** weight[y_n], 0 where ignored (a constant when there is no weight); the target's shape */
  wy: Tensor;
  /** sum of wy: the denominator of the mean */
  denom: Tensor | number;
  /** which targets count (bool, the target's shape) */
  valid: NDArray;
  weight: Tensor | null;
}

/**
 * The gather x[n, y_n, d1, ...] along the class axis. autograd's take gathers one list of
 * indices along an axis; a per-row class is a take on the flattened input (class axis moved
 * last) at indices position * C + y.
 */
function pickClasses(op: string, x: Tensor, target: ClassTarget, ignoreIndex: number, weightArg: NLLLossOptions["weight"]): Picked {
  if (x.ndim === 0) throw new ShapeError(`${op}: input must have a class axis, got a 0-d tensor`);
  if (!nd.isFloat(x.dtype)) throw new DTypeError(`${op}: input must be a float tensor, got dtype ${x.dtype}`);
  const classAxis = x.ndim === 1 ? 0 : 1;
  const C = x.shape[classAxis]!;
  const tShape = x.shape.filter((_, i) => i !== classAxis);
  const y = classIndices(op, target);
  if (!nd.shapesEqual(y.shape, tShape)) {
    throw new ShapeError(
      `${op}: target shape ${fmtShape(y.shape)} does not match input shape ${fmtShape(x.shape)}; ` +
        `class indices need shape ${fmtShape(tShape)} (the input's shape without its class axis ${classAxis})`,
    );
  }
  if (!Number.isInteger(ignoreIndex)) throw new ValueError(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const [safeIdx, validMask, flatIdx] = targetIndices(y, C, ignoreIndex, op);

  let weight: Tensor | null = null;
  if (weightArg !== undefined && weightArg !== null) {
    weight = asFloatTensor(op, "weight", weightArg, x);
    if (weight.ndim !== 1 || weight.shape[0] !== C) {
      throw new ShapeError(`${op}: weight must have shape [${C}] (one per class), got ${fmtShape(weight.shape)}`);
    }
  }

  const order = [...x.shape.keys()].filter((i) => i !== classAxis);
  const moved = classAxis === x.ndim - 1 ? x : permute(x, [...order, classAxis]);
  const rows = reshape(take(moved, flatIdx), tShape);
  const picked = where(new Tensor(validMask), rows, 0);
  let wy: Tensor;
  let denom: Tensor | number;
  if (weight) {
    wy = where(new Tensor(validMask), take(weight, safeIdx, 0), 0);
    denom = sum(wy);
  } else {
    wy = new Tensor(validMask.astype(x.dtype));
    denom = new Tensor(nd.sum(wy.data)); // the count of targets that count, exact in either float dtype
  }
  return { picked, wy, denom, valid: validMask, weight };
}

function finish(total: Tensor, reduction: Reduction, denom: Tensor | number): Tensor {
  // PyTorch's mean over class indices divides by the summed weights of the targets that count;
  // with every target ignored that is 0/0 = NaN, as in PyTorch.
  if (reduction === "none") return total;
  const s = sum(total);
  return reduction === "sum" ? s : div(s, denom);
}

// ---------------------------------------------------------------- losses

/** Mean squared error: mean((input - target)^2) (or the sum, or the elementwise squares). */
export function mseLoss(input: TensorLike, target: TensorLike, options: MSELossOptions = {}): Tensor {
  const reduction = checkReduction("mseLoss", options.reduction ?? "mean");
  const x = toTensor(input);
  const y = sameFloat(toTensor(target, x), x);
  if (!nd.shapesEqual(x.shape, y.shape)) {
    // PyTorch broadcasts here with a warning; (N,1) against (N) then silently becomes (N,N).
    throw new ShapeError(`mseLoss: input shape ${fmtShape(x.shape)} and target shape ${fmtShape(y.shape)} differ; reshape one of them to match`);
  }
  const d = sub(x, y);
  return reduce(mul(d, d), reduction);
}

/**
 * The negative log-likelihood of class indices: -weight[y] * input[n, y_n, ...], for input of
 * shape (C), (N, C) or (N, C, d1, ...) holding log-probabilities and target of shape (), (N) or
 * (N, d1, ...). The mean divides by the summed weights of the targets that are not ignored.
 */
export function nllLoss(input: TensorLike, target: ClassTarget, options: NLLLossOptions = {}): Tensor {
  const reduction = checkReduction("nllLoss", options.reduction ?? "mean");
  const x = toTensor(input);
  const { picked, wy, denom } = pickClasses("nllLoss", x, target, options.ignoreIndex ?? -100, options.weight);
  return finish(neg(mul(wy, picked)), reduction, denom);
}

/**
 * Cross entropy between logits and a target, as torch.nn.functional.cross_entropy. The
 * input (logits) has shape (C), (N, C) or (N, C, d1, ...) with the classes on axis 1 (axis 0
 * when unbatched). The target is either class indices (int32, shape () / (N) / (N, d1, ...);
 * an out-of-range class is an IndexError naming it) or class probabilities (a float target of
 * the input's shape). Computed from logSoftmax, so large logits neither overflow nor underflow.
 *
 * @example
 * ```ts
 * const logits = tensor([[2, 0, 0], [0, 0, 3]], { requiresGrad: true });
 * const loss = crossEntropy(logits, [0, 2]); // class indices, one per row
 * loss.item(); // 0.16723...
 * loss.backward(); // logits.grad: (softmax(logits) - onehot) / 2
 * crossEntropy(logits, [0, 2], { reduction: "none" }).toArray(); // [0.23954..., 0.09492...]
 * ```
 */
export function crossEntropy(input: TensorLike, target: ClassTarget | TensorLike, options: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const x = toTensor(input);
  if (x.ndim === 0) throw new ShapeError(`${op}: input must have a class axis, got a 0-d tensor`);
  if (!nd.isFloat(x.dtype)) throw new DTypeError(`${op}: input (logits) must be a float tensor, got dtype ${x.dtype}`);
  const classAxis = x.ndim === 1 ? 0 : 1;
  const C = x.shape[classAxis]!;
  const logp = logSoftmax(x, classAxis);

  const t = target instanceof Tensor ? target : target instanceof NDArray ? target : null;
  if (t && nd.isFloat(t.dtype) && nd.shapesEqual(t.shape, x.shape)) {
    return probabilityTargets(logp, sameFloat(t instanceof Tensor ? t : new Tensor(t), logp), eps, C, classAxis, reduction, options.weight);
  }

  const { picked, wy, denom, valid, weight } = pickClasses(op, logp, target as ClassTarget, options.ignoreIndex ?? -100, options.weight);
  let total = neg(mul(wy, picked));
  if (eps > 0) {
    // The uniform part of the smoothed target: -sum_c w_c log p_c, for the targets that count.
    const weighted = weight ? mul(logp, reshape(weight, x.shape.map((d, i) => (i === classAxis ? d : 1)))) : logp;
    const smooth = where(new Tensor(valid), neg(sum(weighted, classAxis)), 0);
    total = add(mul(total, 1 - eps), mul(smooth, eps / C));
  }
  return finish(total, reduction, denom);
}

function probabilityTargets(
  logp: Tensor, y: Tensor, eps: number, C: number, classAxis: number, reduction: Reduction, weightArg: NLLLossOptions["weight"],
): Tensor {
  let ys = eps > 0 ? add(mul(y, 1 - eps), eps / C) : y;
  if (weightArg !== undefined && weightArg !== null) {
    const w = asFloatTensor("crossEntropy", "weight", weightArg, logp);
    if (w.ndim !== 1 || w.shape[0] !== C) throw new ShapeError(`crossEntropy: weight must have shape [${C}] (one per class), got ${fmtShape(w.shape)}`);
    ys = mul(ys, reshape(w, logp.shape.map((d, i) => (i === classAxis ? d : 1))));
  }
  // The mean is over the positions (N, d1, ...), not over the weights.
  return reduce(neg(sum(mul(ys, logp), classAxis)), reduction);
}

/**
 * Binary cross entropy on logits, as torch.nn.functional.binary_cross_entropy_with_logits:
 * -w [p y log s(x) + (1 - y) log(1 - s(x))] with s the sigmoid, computed as
 * w [(1 - y) x + (1 + (p - 1) y) softplus(-x)] so that no exp overflows. softplus is a
 * logsumexp over (0, z), whose gradient is exact everywhere, the kink at 0 included.
 */
export function binaryCrossEntropyWithLogits(input: TensorLike, target: TensorLike, options: BCEWithLogitsOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const x = toTensor(input);
  if (!nd.isFloat(x.dtype)) throw new DTypeError(`${op}: input must be a float tensor, got dtype ${x.dtype}`);
  const y = sameFloat(toTensor(target, x), x);
  if (!nd.shapesEqual(x.shape, y.shape)) {
    throw new ShapeError(`${op}: target shape ${fmtShape(y.shape)} must equal input shape ${fmtShape(x.shape)}`);
  }
  const z = neg(x);
  const softplusNegX = logsumexp(stack([new Tensor(nd.zerosLike(x.data)), z], 0), 0);
  let coef: TensorLike = 1;
  if (options.posWeight !== undefined && options.posWeight !== null) {
    const p = asFloatTensor(op, "posWeight", options.posWeight, x);
    checkBroadcastsTo(op, "posWeight", p, x);
    coef = add(mul(sub(p, 1), y), 1);
  }
  let loss = add(mul(sub(1, y), x), coef === 1 ? softplusNegX : mul(coef, softplusNegX));
  if (options.weight !== undefined && options.weight !== null) {
    const w = asFloatTensor(op, "weight", options.weight, x);
    checkBroadcastsTo(op, "weight", w, x);
    loss = mul(loss, w);
  }
  return reduce(loss, reduction);
}

// ---------------------------------------------------------------- issue 26's losses

/** Options of binaryCrossEntropy: the reduction and a weight broadcast against the input. */
export interface BCELossOptions {
  reduction?: Reduction;
  /** Broadcast against the input: scales each element's loss. */
  weight?: WeightLike;
}

/** Options of smoothL1Loss: the reduction and beta, where the loss turns from quadratic to linear. */
export interface SmoothL1LossOptions {
  reduction?: Reduction;
  /** Non-negative (default 1); 0 is the L1 loss. */
  beta?: number;
}

/** Options of huberLoss: the reduction and delta, where the loss turns from quadratic to linear. */
export interface HuberLossOptions {
  reduction?: Reduction;
  /** Positive (default 1). */
  delta?: number;
}

/** Options of klDivLoss: the reduction (with "batchmean", the sum over the batch size, the true KL divergence) and whether the target is given as log-probabilities. */
export interface KLDivLossOptions {
  /** "mean" (PyTorch's default, the mean over every element), "batchmean", "sum" or "none". */
  reduction?: Reduction | "batchmean";
  logTarget?: boolean;
}

/** Options of cosineEmbeddingLoss: the reduction and the margin for dissimilar pairs. */
export interface CosineEmbeddingLossOptions {
  reduction?: Reduction;
  /** Dissimilar pairs (target -1) cost max(0, cos - margin); default 0, sensible in [-1, 1]. */
  margin?: number;
}

/** Input and target of the same float shape (the target cast to the input's float dtype), or a ShapeError naming both. */
function pair(op: string, input: TensorLike, target: TensorLike): [Tensor, Tensor] {
  const x = toTensor(input);
  if (!nd.isFloat(x.dtype)) throw new DTypeError(`${op}: input must be a float tensor, got dtype ${x.dtype}`);
  const y = sameFloat(toTensor(target, x), x);
  if (!nd.shapesEqual(x.shape, y.shape)) throw new ShapeError(`${op}: input shape ${fmtShape(x.shape)} and target shape ${fmtShape(y.shape)} differ`);
  return [x, y];
}

/** Throws a ValueError naming the first element of x outside [0, 1] (a kernel: a compiled step checks each call's values). */
const checkProbabilities = nd.kernel("binaryCrossEntropy.check", (x: NDArray, op: string): void => {
  const v = x.toFlat();
  const bad = v.findIndex((p) => !(p >= 0 && p <= 1));
  if (bad >= 0) throw new ValueError(`${op}: input must hold probabilities in [0, 1], got ${v[bad]} at position ${position(bad, x.shape)}`);
});

/**
 * Binary cross entropy on probabilities, as torch.nn.functional.binary_cross_entropy:
 * -w [y log x + (1 - y) log(1 - x)], each log clamped at -100 as PyTorch does, so that x = 0
 * or 1 gives a finite loss. Inputs outside [0, 1] are a ValueError. The gradient is that of
 * this expression: (x - y) / (x (1 - x)) where no clamp is active; where one is (x within about
 * e^-100 of 0 or 1), that term's gradient is 0, whereas PyTorch's formula divides by
 * max(x (1 - x), 1e-12) there.
 *
 * @example
 * ```ts
 * binaryCrossEntropy(tensor([0.8, 0.1]), tensor([1, 0])).item(); // (-log 0.8 - log 0.9) / 2 = 0.16425...
 * binaryCrossEntropy(tensor([0]), tensor([1])).item(); // 100: the log is clamped at -100
 * ```
 */
export function binaryCrossEntropy(input: TensorLike, target: TensorLike, options: BCELossOptions = {}): Tensor {
  const op = "binaryCrossEntropy";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const [x, y] = pair(op, input, target);
  checkProbabilities(x.data, op);
  const clampedLog = (t: Tensor) => maximum(log(t), -100);
  let loss = neg(add(mul(y, clampedLog(x)), mul(sub(1, y), clampedLog(sub(1, x)))));
  if (options.weight !== undefined && options.weight !== null) {
    const w = asFloatTensor(op, "weight", options.weight, x);
    checkBroadcastsTo(op, "weight", w, x);
    loss = mul(loss, w);
  }
  return reduce(loss, reduction);
}

/**
 * The mean absolute error |input - target| (torch.nn.functional.l1_loss), reduced; the
 * gradient at a zero difference is 0, as PyTorch's sign.
 *
 * @example
 * ```ts
 * l1Loss(tensor([1, 2, 3]), tensor([2, 2, 5])).item(); // 1
 * ```
 */
export function l1Loss(input: TensorLike, target: TensorLike, options: MSELossOptions = {}): Tensor {
  const reduction = checkReduction("l1Loss", options.reduction ?? "mean");
  const [x, y] = pair("l1Loss", input, target);
  return reduce(abs(sub(x, y)), reduction);
}

/** |d| < t ? 0.5 d^2 quad : (|d| - 0.5 t) lin, elementwise: smooth L1 (quad 1/t, lin 1) and Huber (quad 1, lin t). */
function quadraticThenLinear(d: Tensor, t: number, quad: number, lin: number): Tensor {
  const a = abs(d);
  const inside = new Tensor(nd.lt(a.data, t));
  const linear = sub(a, 0.5 * t);
  return where(inside, mul(mul(d, d), 0.5 * quad), lin === 1 ? linear : mul(linear, lin));
}

/**
 * The smooth L1 loss (torch.nn.functional.smooth_l1_loss): with d = input - target, 0.5 d^2 /
 * beta where |d| < beta, else |d| - 0.5 beta; beta 0 is the L1 loss.
 *
 * @example
 * ```ts
 * smoothL1Loss(tensor([0, 0]), tensor([0.5, 3])).item(); // (0.125 + 2.5) / 2 = 1.3125
 * ```
 */
export function smoothL1Loss(input: TensorLike, target: TensorLike, options: SmoothL1LossOptions = {}): Tensor {
  const op = "smoothL1Loss";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const beta = options.beta ?? 1;
  if (!(beta >= 0 && Number.isFinite(beta))) throw new ValueError(`${op}: beta must be a non-negative number, got ${beta}`);
  const [x, y] = pair(op, input, target);
  const d = sub(x, y);
  return reduce(beta === 0 ? abs(d) : quadraticThenLinear(d, beta, 1 / beta, 1), reduction);
}

/**
 * The Huber loss (torch.nn.functional.huber_loss): with d = input - target, 0.5 d^2 where
 * |d| < delta, else delta (|d| - 0.5 delta); smoothL1Loss with beta = delta, times delta.
 *
 * @example
 * ```ts
 * huberLoss(tensor([0, 0]), tensor([0.5, 3]), { delta: 2 }).item(); // (0.125 + 4) / 2 = 2.0625
 * ```
 */
export function huberLoss(input: TensorLike, target: TensorLike, options: HuberLossOptions = {}): Tensor {
  const op = "huberLoss";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const delta = options.delta ?? 1;
  if (!(delta > 0 && Number.isFinite(delta))) throw new ValueError(`${op}: delta must be a positive number, got ${delta}`);
  const [x, y] = pair(op, input, target);
  return reduce(quadraticThenLinear(sub(x, y), delta, 1, delta), reduction);
}

/**
 * The Kullback-Leibler divergence loss (torch.nn.functional.kl_div): input holds
 * log-probabilities, target probabilities (or log-probabilities with logTarget); the terms are
 * target (log target - input), 0 where target is 0. "batchmean" divides the sum by the batch size
 * (input's first dim), the divergence per sample; PyTorch's default "mean" divides by every element.
 *
 * @example
 * ```ts
 * const logq = logSoftmax(tensor([[0, 0]]), 1); // q = [0.5, 0.5]
 * klDivLoss(logq, tensor([[1, 0]]), { reduction: "batchmean" }).item(); // log 2 = 0.6931...
 * ```
 */
export function klDivLoss(input: TensorLike, target: TensorLike, options: KLDivLossOptions = {}): Tensor {
  const op = "klDivLoss";
  const r = options.reduction ?? "mean";
  if (r !== "batchmean") checkReduction(op, r);
  const [x, y] = pair(op, input, target);
  let terms: Tensor;
  if (options.logTarget) terms = mul(exp(y), sub(y, x));
  else {
    // target log target with 0 log 0 = 0: the log reads 1 where the target is 0, so no -inf
    // (and no NaN gradient) arises there
    const positive = new Tensor(nd.gt(y.data, 0));
    terms = sub(mul(y, log(where(positive, y, 1))), mul(y, x));
  }
  if (r === "batchmean") return x.ndim === 0 ? sum(terms) : div(sum(terms), x.shape[0]!);
  return reduce(terms, r);
}

/** Checks that a target holds only 1 and -1 (a kernel: a compiled step checks each call's target). */
const checkSigns = nd.kernel("cosineEmbeddingLoss.check", (t: NDArray, op: string): void => {
  const v = t.toFlat();
  const bad = v.findIndex((e) => e !== 1 && e !== -1);
  if (bad >= 0) throw new ValueError(`${op}: target must hold 1 (similar) or -1 (dissimilar), got ${v[bad]} at position ${position(bad, t.shape)}`);
});

/**
 * The cosine embedding loss (torch.nn.functional.cosine_embedding_loss) of pairs x1, x2 (N, D)
 * or (D) with target (N) or () of 1 (similar: 1 - cos) and -1 (dissimilar: max(0, cos -
 * margin)); cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), as PyTorch computes it.
 *
 * @example
 * ```ts
 * cosineEmbeddingLoss(tensor([[1, 0], [1, 0]]), tensor([[1, 0], [0, 1]]), tensor([1, -1])).item(); // 5e-13, about 0: same direction, orthogonal (the 1e-12s)
 * ```
 */
export function cosineEmbeddingLoss(input1: TensorLike, input2: TensorLike, target: TensorLike, options: CosineEmbeddingLossOptions = {}): Tensor {
  const op = "cosineEmbeddingLoss";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const margin = options.margin ?? 0;
  const [a, b] = pair(op, input1, input2);
  const t = toTensor(target);
  const want = a.shape.slice(0, -1);
  if (a.ndim < 1 || a.ndim > 2 || !nd.shapesEqual(t.shape, want)) {
    throw new ShapeError(`${op}: inputs must be (N, D) or (D) with target (N) or (), got inputs ${fmtShape(a.shape)} and target ${fmtShape(t.shape)}`);
  }
  checkSigns(t.data, op);
  const EPS = 1e-12;
  const dotp = sum(mul(a, b), -1);
  const denom = sqrt(mul(add(sum(mul(a, a), -1), EPS), add(sum(mul(b, b), -1), EPS)));
  const cos = div(dotp, denom);
  const similar = new Tensor(nd.eq(t.data, 1));
  const loss = where(similar, sub(1, cos), relu(sub(cos, margin)));
  return reduce(loss, reduction);
}
