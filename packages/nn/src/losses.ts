// Loss functions, each composed of autograd ops so that its gradient comes from the tape, and
// each following the formula in PyTorch's torch.nn.functional docs (reductions, ignore_index,
// class weights, label smoothing) so that a loss value moves between the two unchanged.

import * as nd from "@tapegrad/tensor";
import { DTypeError, IndexError, NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import {
  Tensor, add, div, logSoftmax, logsumexp, mul, neg, permute, reshape, stack, sub, sum, take, toTensor, where,
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
