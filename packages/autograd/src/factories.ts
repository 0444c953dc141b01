// Tensor factories with PyTorch's names and shapes: randn, rand, zeros, ones, full, arange and
// the *Like forms, returning Tensors that can require gradients. The values come from
// @tapegrad/tensor's kernels (so a compiled step that makes them replays them), and randn/rand
// draw from the default generator that manualSeed seeds unless given an `rng`.

import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, RandomState, ValueError, getDefaultRng, type DType } from "@tapegrad/tensor";
import { Tensor } from "./tensor.js";

/** Options of the tensor factories: whether the result requires gradients (default false), and its dtype (float64 unless said, or the *Like source's). */
export interface FactoryOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

/** Options of randn, rand and their *Like forms: also the generator to draw from (default: the one manualSeed seeds). */
export interface RandomFactoryOptions extends FactoryOptions {
  rng?: RandomState;
}

/** A shape as an array (`[2, 3]`) or as separate sizes (`2, 3`), optionally followed by options, as PyTorch's factories take it. */
export type SizeArgs<O> = [shape: readonly number[], options?: O] | [...sizes: number[]] | [...sizes: number[], options: O];

const isOptions = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof NDArray) && !(v instanceof Tensor);

/** Splits `(shape, options?)` or `(...sizes, options?)` into a shape and options. */
function sizeArgs<O>(op: string, args: readonly unknown[]): [number[], O] {
  let rest = args;
  let options = {} as O;
  if (rest.length > 0 && (isOptions(rest[rest.length - 1]) || rest[rest.length - 1] === undefined)) {
    options = (rest[rest.length - 1] ?? {}) as O;
    rest = rest.slice(0, -1);
  }
  if (rest.length === 1 && Array.isArray(rest[0])) return [[...(rest[0] as number[])], options];
  if (rest.every((d) => typeof d === "number")) return [[...(rest as number[])], options];
  throw new ValueError(`${op}: expected a shape as an array ([2, 3]) or as sizes (2, 3), optionally followed by options, got (${rest.map(describe).join(", ")})`);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return JSON.stringify(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof NDArray || v instanceof Tensor) return `a ${v.constructor.name}`;
  return String(v);
}

/** Wraps `data`, making it require gradients when asked (only a float dtype can, as in PyTorch). */
function wrap(op: string, data: NDArray, options: FactoryOptions): Tensor {
  const requiresGrad = options.requiresGrad ?? false;
  if (typeof requiresGrad !== "boolean") throw new ValueError(`${op}: requiresGrad must be a boolean, got ${describe(requiresGrad)}`);
  if (requiresGrad && !nd.isFloat(data.dtype)) {
    throw new DTypeError(`${op}: only floating-point tensors can require gradients, got dtype ${data.dtype}`);
  }
  return new Tensor(data, requiresGrad);
}

function rngOf(op: string, options: RandomFactoryOptions): RandomState {
  const rng = options.rng ?? getDefaultRng();
  if (!(rng instanceof RandomState)) throw new ValueError(`${op}: rng must be a RandomState, got ${describe(rng)}`);
  return rng;
}

/** The floating dtype a random draw is made in: the option's, else float64; another is a DTypeError. */
function floatDType(op: string, dtype: DType | undefined): "float32" | "float64" {
  const d = dtype ?? "float64";
  if (d !== "float32" && d !== "float64") throw new DTypeError(`${op}: draws floating-point values (float32 or float64), got dtype ${describe(d)}`);
  return d;
}

/**
 * Standard normal values of the given shape (PyTorch's torch.randn), drawn from `rng` or the
 * default generator (seeded by manualSeed), in the same order as numpy's randn.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const w = randn([3, 2], { requiresGrad: true }); // or randn(3, 2, { requiresGrad: true })
 * w.shape; // [3, 2]
 * ```
 */
export function randn(...args: SizeArgs<RandomFactoryOptions>): Tensor {
  const [shape, o] = sizeArgs<RandomFactoryOptions>("randn", args);
  return wrap("randn", rngOf("randn", o).randn(shape, { dtype: floatDType("randn", o.dtype) }), o);
}

/**
 * Uniform values in [0, 1) of the given shape (PyTorch's torch.rand), drawn from `rng` or the
 * default generator.
 *
 * @example
 * ```ts
 * const u = rand(2, 3, { dtype: "float32" });
 * u.dtype; // "float32"
 * ```
 */
export function rand(...args: SizeArgs<RandomFactoryOptions>): Tensor {
  const [shape, o] = sizeArgs<RandomFactoryOptions>("rand", args);
  return wrap("rand", rngOf("rand", o).rand(shape, { dtype: floatDType("rand", o.dtype) }), o);
}

/**
 * Zeros of the given shape (PyTorch's torch.zeros), float64 unless `dtype` is given.
 *
 * @example
 * ```ts
 * const b = zeros([4], { requiresGrad: true });
 * b.toArray(); // [0, 0, 0, 0]
 * ```
 */
export function zeros(...args: SizeArgs<FactoryOptions>): Tensor {
  const [shape, o] = sizeArgs<FactoryOptions>("zeros", args);
  return wrap("zeros", nd.zeros(shape, o.dtype ?? "float64"), o);
}

/**
 * Ones of the given shape (PyTorch's torch.ones), float64 unless `dtype` is given.
 *
 * @example
 * ```ts
 * ones(2, 2).toArray(); // [[1, 1], [1, 1]]
 * ```
 */
export function ones(...args: SizeArgs<FactoryOptions>): Tensor {
  const [shape, o] = sizeArgs<FactoryOptions>("ones", args);
  return wrap("ones", nd.ones(shape, o.dtype ?? "float64"), o);
}

/**
 * `value` in every element of the given shape (PyTorch's torch.full(size, fill_value)).
 *
 * @example
 * ```ts
 * full([2], 0.5).toArray(); // [0.5, 0.5]
 * ```
 */
export function full(shape: readonly number[], value: number, options: FactoryOptions = {}): Tensor {
  if (!Array.isArray(shape)) throw new ValueError(`full: expected a shape as an array ([2, 3]), got ${describe(shape)}`);
  if (typeof value !== "number") throw new ValueError(`full: expected a number to fill with, got ${describe(value)}`);
  return wrap("full", nd.full(shape, value, options.dtype ?? "float64"), options);
}

/**
 * start, start + step, ... up to but excluding end (PyTorch's torch.arange): `arange(end)`,
 * `arange(start, end)` or `arange(start, end, step)`, each optionally followed by options.
 * float64 unless `dtype` is given (PyTorch makes int64 from integer arguments; here a Tensor is
 * float by default so that it can require gradients).
 *
 * @example
 * ```ts
 * arange(4).toArray(); // [0, 1, 2, 3]
 * arange(1, 2, 0.25, { requiresGrad: true }).toArray(); // [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(
  ...args: [end: number, options?: FactoryOptions] | [start: number, end: number, options?: FactoryOptions] | [start: number, end: number, step: number, options?: FactoryOptions]
): Tensor {
  let nums = args as unknown[];
  let o: FactoryOptions = {};
  if (nums.length > 0 && (isOptions(nums[nums.length - 1]) || nums[nums.length - 1] === undefined)) {
    o = (nums[nums.length - 1] ?? {}) as FactoryOptions;
    nums = nums.slice(0, -1);
  }
  if (nums.length < 1 || nums.length > 3 || !nums.every((v) => typeof v === "number")) {
    throw new ValueError(`arange: expected (end), (start, end) or (start, end, step) as numbers, optionally followed by options, got (${nums.map(describe).join(", ")})`);
  }
  const [a, b, step] = nums as number[];
  const data = b === undefined ? nd.arange(0, a!, 1, o.dtype ?? "float64") : nd.arange(a!, b, step ?? 1, o.dtype ?? "float64");
  return wrap("arange", data, o);
}

/** The array a *Like factory reads the shape (and default dtype) of. */
function source(op: string, like: Tensor | NDArray): NDArray {
  if (like instanceof Tensor) return like.data;
  if (like instanceof NDArray) return like;
  throw new ValueError(`${op}: expected a Tensor or NDArray to take the shape of, got ${describe(like)}`);
}

/**
 * Zeros of `like`'s shape, in its dtype unless `dtype` is given (PyTorch's torch.zeros_like;
 * the result does not require gradients unless asked, whatever `like` does).
 *
 * @example
 * ```ts
 * zerosLike(randn(2, 3)).shape; // [2, 3]
 * ```
 */
export function zerosLike(like: Tensor | NDArray, options: FactoryOptions = {}): Tensor {
  const s = source("zerosLike", like);
  return wrap("zerosLike", nd.zeros(s.shape, options.dtype ?? s.dtype), options);
}

/**
 * Ones of `like`'s shape, in its dtype unless `dtype` is given (PyTorch's torch.ones_like).
 *
 * @example
 * ```ts
 * onesLike(zeros([2], { dtype: "float32" })).dtype; // "float32"
 * ```
 */
export function onesLike(like: Tensor | NDArray, options: FactoryOptions = {}): Tensor {
  const s = source("onesLike", like);
  return wrap("onesLike", nd.ones(s.shape, options.dtype ?? s.dtype), options);
}

/**
 * `value` in every element of `like`'s shape, in its dtype unless `dtype` is given (PyTorch's torch.full_like).
 *
 * @example
 * ```ts
 * fullLike(zeros([3]), 7).toArray(); // [7, 7, 7]
 * ```
 */
export function fullLike(like: Tensor | NDArray, value: number, options: FactoryOptions = {}): Tensor {
  const s = source("fullLike", like);
  if (typeof value !== "number") throw new ValueError(`fullLike: expected a number to fill with, got ${describe(value)}`);
  return wrap("fullLike", nd.full(s.shape, value, options.dtype ?? s.dtype), options);
}

/** The float dtype a random *Like draws in: the option's, else `like`'s, which must then be float (PyTorch's randn_like refuses integer tensors too). */
function likeFloat(op: string, s: NDArray, dtype: DType | undefined): "float32" | "float64" {
  if (dtype === undefined && !nd.isFloat(s.dtype)) {
    throw new DTypeError(`${op}: draws floating-point values, but the tensor it takes the dtype of is ${s.dtype}; pass { dtype: "float64" } or "float32"`);
  }
  return floatDType(op, dtype ?? s.dtype);
}

/**
 * Standard normal values of `like`'s shape and float dtype (PyTorch's torch.randn_like).
 *
 * @example
 * ```ts
 * const noise = randnLike(x); // x's shape and dtype
 * ```
 */
export function randnLike(like: Tensor | NDArray, options: RandomFactoryOptions = {}): Tensor {
  const s = source("randnLike", like);
  const dtype = likeFloat("randnLike", s, options.dtype);
  return wrap("randnLike", rngOf("randnLike", options).randn([...s.shape], { dtype }), options);
}

/**
 * Uniform values in [0, 1) of `like`'s shape and float dtype (PyTorch's torch.rand_like).
 *
 * @example
 * ```ts
 * const u = randLike(x); // x's shape and dtype
 * ```
 */
export function randLike(like: Tensor | NDArray, options: RandomFactoryOptions = {}): Tensor {
  const s = source("randLike", like);
  const dtype = likeFloat("randLike", s, options.dtype);
  return wrap("randLike", rngOf("randLike", options).rand([...s.shape], { dtype }), options);
}
