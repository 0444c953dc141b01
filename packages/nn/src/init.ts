// Initialisation and the default random stream. Modules draw their initial weights from an
// `rng` option or from the default stream, which `manualSeed` resets (PyTorch's manual_seed).

import { RandomState, NDArray, getDefaultRng, type DType } from "@tapegrad/tensor";
import * as nd from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";

// The default stream is the tensor package's default generator, which autograd's randn and rand
// draw from too: one manualSeed seeds initialisation and those factories alike, as
// torch.manual_seed does. Re-exported so that nn's names keep working.
export { manualSeed, getDefaultRng } from "@tapegrad/tensor";

const defaultRng: RandomState = getDefaultRng();

/** U(-bound, bound) of the given shape and dtype. */
export function uniform(shape: readonly number[], bound: number, rng: RandomState = defaultRng, dtype: DType = "float64"): NDArray {
  const u = rng.uniform(-bound, bound, [...shape]);
  return dtype === "float64" ? u : u.astype(dtype);
}

/** N(0, std) of the given shape and dtype. */
export function normal(shape: readonly number[], std = 1, rng: RandomState = defaultRng, dtype: DType = "float64"): NDArray {
  const z = rng.randn(...shape);
  if (std !== 1) nd.mul(z, std, z);
  return dtype === "float64" ? z : z.astype(dtype);
}

// ---------------------------------------------------------------- torch.nn.init (issue 26)
//
// PyTorch's initialisers, each filling a tensor in place and returning it (torch's trailing-
// underscore functions): fans, gains and bounds by PyTorch's formulas, draws from an `rng`
// option or the default stream in numpy's order (so that a numpy RandomState of the same seed
// reproduces them).

/** A parameter, tensor or array to fill in place. */
type Target = Tensor | NDArray;

/** The options every random initialiser takes: where to draw from (the default stream if omitted). */
export interface InitOptions {
  rng?: RandomState;
}

/** The nonlinearities calculateGain knows, by PyTorch's names. */
export type Nonlinearity =
  | "linear" | "identity" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
  | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** Which fan kaiming initialisation scales by: PyTorch's "fan_in" (the default) or "fan_out" (camelCase spellings too). */
export type FanMode = "fan_in" | "fan_out" | "fanIn" | "fanOut";

/** Options of kaimingUniform and kaimingNormal, as torch.nn.init.kaiming_uniform_'s. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of a leaky_relu that follows (0 by default; PyTorch's `a`). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** Options of xavierUniform, xavierNormal and orthogonal: a gain (1 by default). */
export interface GainOptions extends InitOptions {
  gain?: number;
}

const arrayOf = (t: Target): NDArray => (t instanceof Tensor ? t.data : t);

/** Writes values (float64, t's shape) into t's array, in t's dtype. */
function fillWith(t: Target, values: NDArray): Target {
  nd.assign(arrayOf(t), values);
  return t;
}

/**
 * The gain PyTorch recommends for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear,
 * convolutions and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
 * leaky_relu (slope `param`, 0.01 by default), 3/4 for selu. Another name is a ValueError.
 *
 * @example
 * ```ts
 * calculateGain("relu"); // 1.4142135623730951
 * calculateGain("leaky_relu", 0.2); // 1.3867504905630728
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "identity": case "conv1d": case "conv2d": case "conv3d":
    case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) throw new nd.ValueError(`calculateGain: negative slope ${String(slope)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new nd.ValueError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** PyTorch's _calculate_fan_in_and_fan_out: dims 1 and 0, times the receptive field (dims 2...). */
function fans(op: string, shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new nd.ValueError(`${op}: fan in and fan out cannot be computed for a tensor of fewer than 2 dimensions (shape ${nd.fmtShape(shape)})`);
  let receptive = 1;
  for (const d of shape.slice(2)) receptive *= d;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function kaimingStd(op: string, t: Target, { a = 0, mode = "fan_in", nonlinearity = "leaky_relu" }: KaimingOptions): number {
  if (mode !== "fan_in" && mode !== "fan_out" && mode !== "fanIn" && mode !== "fanOut") {
    throw new nd.ValueError(`${op}: mode must be "fan_in" or "fan_out", got ${JSON.stringify(mode)}`);
  }
  const { fanIn, fanOut } = fans(op, arrayOf(t).shape);
  const fan = mode === "fan_in" || mode === "fanIn" ? fanIn : fanOut;
  if (fan === 0) throw new nd.ValueError(`${op}: the fan is 0 for shape ${nd.fmtShape(arrayOf(t).shape)}`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * Fills `t` in place from U(-bound, bound), bound = gain sqrt(3 / fan) (He et al. 2015;
 * torch.nn.init.kaiming_uniform_ with its defaults a = 0, mode "fan_in", nonlinearity
 * "leaky_relu"); returns `t`. The fan is dim 1 ("fan_in") or dim 0 ("fan_out") times the
 * product of dims 2...; fewer than 2 dims is a ValueError.
 *
 * @example
 * ```ts
 * const w = new Parameter(nd.zeros([64, 32]));
 * kaimingUniform(w, { nonlinearity: "relu", rng: new RandomState(0) }); // U(-sqrt(6 / 32), sqrt(6 / 32))
 * ```
 */
export function kaimingUniform<T extends Target>(t: T, options: KaimingOptions = {}): T {
  const bound = Math.sqrt(3) * kaimingStd("kaimingUniform", t, options);
  return fillWith(t, (options.rng ?? defaultRng).uniform(-bound, bound, [...arrayOf(t).shape])) as T;
}

/**
 * Fills `t` in place from N(0, std^2), std = gain / sqrt(fan) (torch.nn.init.kaiming_normal_;
 * options and fans as {@link kaimingUniform}); returns `t`.
 *
 * @example
 * ```ts
 * kaimingNormal(new Parameter(nd.zeros([64, 32])), { mode: "fan_out", nonlinearity: "relu" }); // std sqrt(2 / 64)
 * ```
 */
export function kaimingNormal<T extends Target>(t: T, options: KaimingOptions = {}): T {
  const std = kaimingStd("kaimingNormal", t, options);
  return fillWith(t, normal(arrayOf(t).shape, std, options.rng ?? defaultRng)) as T;
}

function xavierStd(op: string, t: Target, gain: number): number {
  const { fanIn, fanOut } = fans(op, arrayOf(t).shape);
  if (fanIn + fanOut === 0) throw new nd.ValueError(`${op}: fan in and fan out are 0 for shape ${nd.fmtShape(arrayOf(t).shape)}`);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Fills `t` in place from U(-a, a), a = gain sqrt(6 / (fanIn + fanOut)) (Glorot and Bengio 2010;
 * torch.nn.init.xavier_uniform_); returns `t`. Fewer than 2 dims is a ValueError.
 *
 * @example
 * ```ts
 * xavierUniform(new Parameter(nd.zeros([20, 30])), { gain: calculateGain("tanh") }); // a = 5/3 sqrt(6 / 50)
 * ```
 */
export function xavierUniform<T extends Target>(t: T, { gain = 1, rng }: GainOptions = {}): T {
  const a = Math.sqrt(3) * xavierStd("xavierUniform", t, gain);
  return fillWith(t, (rng ?? defaultRng).uniform(-a, a, [...arrayOf(t).shape])) as T;
}

/**
 * Fills `t` in place from N(0, std^2), std = gain sqrt(2 / (fanIn + fanOut))
 * (torch.nn.init.xavier_normal_); returns `t`.
 *
 * @example
 * ```ts
 * xavierNormal(new Parameter(nd.zeros([20, 30]))); // std sqrt(2 / 50) = 0.2
 * ```
 */
export function xavierNormal<T extends Target>(t: T, { gain = 1, rng }: GainOptions = {}): T {
  return fillWith(t, normal(arrayOf(t).shape, xavierStd("xavierNormal", t, gain), rng ?? defaultRng)) as T;
}

/**
 * Fills `t` in place with a (semi-)orthogonal matrix times `gain` (Saxe et al. 2013;
 * torch.nn.init.orthogonal_): `t` read as rows = dim 0 by cols = the rest, a standard normal
 * matrix of that shape (transposed when rows < cols) goes through QR, Q's columns take the
 * signs of R's diagonal (so Q is unique), and the result has orthonormal rows or columns,
 * whichever are fewer: Q^T Q = I or Q Q^T = I. Returns `t`; fewer than 2 dims is a ValueError.
 *
 * @example
 * ```ts
 * const w = orthogonal(new Parameter(nd.zeros([3, 3])));
 * nd.matmul(w.data.T, w.data); // the identity, to rounding
 * ```
 */
export function orthogonal<T extends Target>(t: T, { gain = 1, rng }: GainOptions = {}): T {
  const shape = arrayOf(t).shape;
  if (shape.length < 2) throw new nd.ValueError(`orthogonal: only tensors of 2 or more dimensions are supported, got shape ${nd.fmtShape(shape)}`);
  const rows = shape[0]!;
  const cols = nd.sizeOf(shape) / Math.max(rows, 1);
  if (rows === 0 || cols === 0) return t; // nothing to fill (PyTorch warns and returns)
  const flat = (rng ?? defaultRng).randn(rows, cols);
  // QR of the tall one: (rows, cols), or its transpose when rows < cols
  const tall = rows < cols ? flat.transpose().contiguous() : flat;
  const q = householderQ(tall.data as Float64Array, tall.shape[0]!, tall.shape[1]!);
  const back = rows < cols ? q.transpose() : q;
  return fillWith(t, nd.mul(back.reshape([...shape]), gain)) as T;
}

/**
 * The m x n (m >= n) Q of A = QR by Householder reflections, its columns multiplied by the signs
 * of R's diagonal (so that R's diagonal is positive, as PyTorch's q * sign(diag(r))). `a` holds
 * A row by row; it is not changed.
 */
function householderQ(a: Float64Array, m: number, n: number): NDArray {
  const r = Float64Array.from(a); // becomes R (upper triangle), row-major m x n
  const vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    // the reflection that zeroes column k below the diagonal: v = x + sign(x0) |x| e0, normalised
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i * n + k]! * r[i * n + k]!;
    norm = Math.sqrt(norm);
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k]!;
    const alpha = v[0]! >= 0 ? -norm : norm;
    v[0] = v[0]! - alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i]! * v[i]!;
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / vn;
    vs.push(v);
    // R = (I - 2 v v^T) R on rows k..m-1
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * r[i * n + j]!;
      for (let i = k; i < m; i++) r[i * n + j] = r[i * n + j]! - 2 * v[i - k]! * dot;
    }
  }
  // Q's first n columns: the reflections applied, last first, to the first n columns of I
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * q[i * n + j]!;
      for (let i = k; i < m; i++) q[i * n + j] = q[i * n + j]! - 2 * v[i - k]! * dot;
    }
  }
  for (let j = 0; j < n; j++) {
    if (r[j * n + j]! < 0) for (let i = 0; i < m; i++) q[i * n + j] = -q[i * n + j]!;
  }
  return nd.array(q, [m, n]);
}

/**
 * Fills `t` with 0 in place (torch.nn.init.zeros_); returns `t`.
 *
 * @example
 * ```ts
 * init.zeros(new Parameter(nd.ones([2]))).toArray(); // [0, 0]
 * ```
 */
function zerosInit<T extends Target>(t: T): T {
  nd.fill(arrayOf(t), 0);
  return t;
}

/** Fills `t` with 1 in place (torch.nn.init.ones_); returns `t`. */
function onesInit<T extends Target>(t: T): T {
  nd.fill(arrayOf(t), 1);
  return t;
}

/** Fills `t` with `value` in place (torch.nn.init.constant_); returns `t`. */
function constantInit<T extends Target>(t: T, value: number): T {
  nd.fill(arrayOf(t), value);
  return t;
}

/** Fills `t` in place from U(a, b) (torch.nn.init.uniform_, a = 0 and b = 1 by default); returns `t`. */
function uniformInit<T extends Target>(t: T, a = 0, b = 1, { rng }: InitOptions = {}): T {
  if (!(a <= b)) throw new nd.ValueError(`init.uniform: a ${a} is above b ${b}`);
  return fillWith(t, (rng ?? defaultRng).uniform(a, b, [...arrayOf(t).shape])) as T;
}

/** Fills `t` in place from N(mean, std^2) (torch.nn.init.normal_, 0 and 1 by default); returns `t`. */
function normalInit<T extends Target>(t: T, mean = 0, std = 1, { rng }: InitOptions = {}): T {
  if (!(std >= 0)) throw new nd.ValueError(`init.normal: std must be non-negative, got ${std}`);
  const z = normal(arrayOf(t).shape, std, rng ?? defaultRng);
  if (mean !== 0) nd.add(z, mean, z);
  return fillWith(t, z) as T;
}

/**
 * torch.nn.init in camelCase, each function filling a tensor in place and returning it:
 * kaimingUniform, kaimingNormal, xavierUniform, xavierNormal, orthogonal, zeros, ones, constant,
 * uniform (U(a, b)), normal (N(mean, std^2)), calculateGain. (The package's top-level `uniform`
 * and `normal` make new arrays instead.)
 *
 * @example
 * ```ts
 * const layer = new Linear(32, 64);
 * init.kaimingNormal(layer.weight, { nonlinearity: "relu" });
 * init.zeros(layer.bias!);
 * ```
 */
export const init = {
  kaimingUniform, kaimingNormal, xavierUniform, xavierNormal, orthogonal, calculateGain,
  zeros: zerosInit, ones: onesInit, constant: constantInit, uniform: uniformInit, normal: normalInit,
};
