// Conv1d/2d/3d and ConvTranspose1d/2d with PyTorch's names, shapes, defaults, initialisation and
// state-dict keys, built as im2col: zero padding (or cropping, for negative padding), the windows
// of every spatial axis as strided views (unfold), one copy into rows of patches, then a matmul
// with the flattened kernel, per group. A transposed convolution is the adjoint of a convolution:
// a matmul, then each kernel tap's contributions spread out by the stride and summed in place.

import * as nd from "@tapegrad/tensor";
import { ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { getDefaultRng, uniform } from "./init.js";
import { checkSize, type LayerOptions } from "./layers.js";

/** A size per spatial dim: one number for all of them, or a tuple with one entry per dim (PyTorch's int-or-tuple arguments). */
export type IntOrTuple = number | readonly number[];

/** One value per spatial dim: a number repeats, a tuple must have n entries. */
export function spatial(op: string, what: string, v: IntOrTuple, n: number, min = 1): number[] {
  const out = typeof v === "number" ? Array.from({ length: n }, () => v) : [...v];
  if (out.length !== n || out.some((d) => !Number.isInteger(d) || d < min)) {
    throw new ValueError(`${op}: ${what} must be ${min === 0 ? "a non-negative" : "a positive"} integer or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return out;
}

/**
 * The sliding windows of the n trailing spatial axes of x (N, C, ...spatial): shape
 * (N, C, ...outSpatial, ...kernel), a view of x (no copy).
 */
export function windows(x: Tensor, kernel: readonly number[], stride: readonly number[], dilation: readonly number[]): Tensor {
  const n = kernel.length;
  let u = x;
  // after each unfold the window axis stays in place and a tap axis is appended
  for (let i = 0; i < n; i++) u = ag.unfold(u, x.ndim - n + i, kernel[i]!, stride[i]!, dilation[i]!);
  return u;
}

/** The error for a kernel that spans more than the padded input, naming the module and shapes. */
export function checkFits(
  op: string, inputShape: readonly number[], padded: readonly number[], kernel: readonly number[], dilation: readonly number[],
  padding: readonly number[], pairs?: readonly (readonly [number, number])[],
): void {
  const span = kernel.map((k, i) => dilation[i]! * (k - 1) + 1);
  if (span.some((s, i) => s > padded[i]!)) {
    const shown = pairs ? JSON.stringify(pairs) : padding.join("x");
    throw new ShapeError(
      `${op}: kernel ${kernel.join("x")} at dilation ${dilation.join("x")} spans ${span.join("x")}, more than the padded input ${padded.join("x")} (input ${fmtShape(inputShape)}, padding ${shown})`,
    );
  }
}

/** How an input of n spatial dims is laid out, for errors. */
const LAYOUTS = ["(batch, channels, length)", "(batch, channels, height, width)", "(batch, channels, depth, height, width)"];

/** Whether a padding option is [before, after] pairs rather than a number or one number per dim. */
export function isPadPairs(p: unknown): p is PadPairs {
  return Array.isArray(p) && p.length > 0 && p.every((e) => Array.isArray(e));
}

/** Checks [before, after] pairs: one per spatial dim, integers (negative ones crop). */
export function padPairs(op: string, p: PadPairs, n: number): [number, number][] {
  if (p.length !== n || p.some((e) => e.length !== 2 || !e.every((w) => Number.isInteger(w)))) {
    throw new ValueError(`${op}: padding pairs must be ${n} [before, after] pairs of integers, got ${JSON.stringify(p)}`);
  }
  return p.map(([a, b]) => [a, b]);
}

/**
 * x (N, C, ...spatial) with widths [before, after] on its trailing spatial dims: zeros added
 * for a positive width, elements cropped for a negative one.
 */
export function padOrCrop(x: Tensor, widths: readonly (readonly [number, number])[]): Tensor {
  const n = widths.length;
  const lead = x.ndim - n;
  let t = x;
  if (widths.some(([a, b]) => a < 0 || b < 0)) {
    const specs: nd.SliceSpec[] = x.shape.map((d, i) => (i < lead ? null : ([Math.max(0, -widths[i - lead]![0]), d - Math.max(0, -widths[i - lead]![1])] as const)));
    t = ag.slice(t, specs);
  }
  return ag.pad(t, widths.map(([a, b]) => [Math.max(0, a), Math.max(0, b)] as [number, number]));
}

/**
 * The convolution (cross-correlation) of a batched x (N, C, ...spatial) with weight (O, C /
 * groups, ...kernel), after padding (or cropping) each spatial dim by widths: im2col and a
 * matmul per group. `shown` is the caller's input shape, for errors.
 */
export function convolve(
  kind: string, t: Tensor, shown: readonly number[], weight: Tensor, bias: Tensor | null,
  widths: readonly (readonly [number, number])[], stride: readonly number[], dilation: readonly number[], groups: number,
): Tensor {
  const n = widths.length;
  const kernel = weight.shape.slice(2);
  const padded = t.shape.slice(2).map((d, i) => d + widths[i]![0] + widths[i]![1]);
  const cropped = widths.some(([a, b]) => a < 0 || b < 0);
  checkFits(kind, shown, padded, kernel, dilation, widths.map(([a]) => a), cropped ? widths : undefined);
  const u = windows(padOrCrop(t, widths), kernel, stride, dilation);
  const N = t.shape[0]!;
  const outChannels = weight.shape[0]!;
  const inChannels = t.shape[1]!;
  const outSpatial = u.shape.slice(2, 2 + n);
  const cols = N * outSpatial.reduce((a, b) => a * b, 1);
  // (N, C, ...out, ...k) -> (C, ...k, N, ...out): one column per output position, one row per
  // (channel, tap), as the flattened weight is laid out. The copy this reshape makes reads
  // the input along its last spatial axis, a long stride-1 run when the stride is 1.
  const axes = [1, ...Array.from({ length: n }, (_, i) => 2 + n + i), 0, ...Array.from({ length: n }, (_, i) => 2 + i)];
  const patches = ag.permute(u, axes);
  const G = groups;
  const cg = inChannels / G;
  const og = outChannels / G;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const parts: Tensor[] = [];
  for (let g = 0; g < G; g++) {
    const pg = G === 1 ? patches : ag.slice(patches, [[g * cg, (g + 1) * cg]]);
    const wg = G === 1 ? weight : ag.slice(weight, [[g * og, (g + 1) * og]]);
    parts.push(ag.matmul(ag.reshape(wg, [og, cg * taps]), ag.reshape(pg, [cg * taps, cols])));
  }
  let y = G === 1 ? parts[0]! : ag.concat(parts, 0);
  if (bias) y = ag.add(y, ag.reshape(bias, [outChannels, 1]));
  // (O, N * out) -> (O, N, ...out) -> (N, O, ...out)
  return ag.permute(ag.reshape(y, [outChannels, N, ...outSpatial]), [1, 0, ...Array.from({ length: n }, (_, i) => 2 + i)]);
}

/** [before, after] per spatial dim, in the dims' order; a negative width crops instead of padding. */
export type PadPairs = readonly (readonly [number, number])[];

/** Options of Conv1d, Conv2d and Conv3d, with PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1, bias true; inChannels and outChannels must be divisible by groups (else a ValueError). */
export interface ConvOptions extends LayerOptions {
  stride?: IntOrTuple;
  /**
   * Zeros added on both sides of each spatial dim; "valid" is 0, "same" keeps the size (stride
   * 1); or [before, after] pairs, one per spatial dim, for asymmetric padding, where a negative
   * width crops (what PyTorch writes as F.pad before the convolution).
   */
  padding?: IntOrTuple | "valid" | "same" | PadPairs;
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
}

/** A conv's padding option checked: "same" (stride 1 only), one number per dim, or [before, after] pairs. */
export function parsePadding(kind: string, padding: ConvOptions["padding"], n: number, stride: readonly number[]): readonly number[] | "same" | PadPairs {
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new ValueError(`${kind}: padding "same" needs stride 1, got stride ${stride.join("x")}`);
    return "same";
  }
  if (isPadPairs(padding)) return padPairs(kind, padding, n);
  return padding === "valid" || padding === undefined ? spatial(kind, "padding", 0, n, 0) : spatial(kind, "padding", padding as IntOrTuple, n, 0);
}

/** [before, after] zeros per spatial dim; "same" puts the odd one after, as PyTorch does. */
export function padWidths(padding: readonly number[] | "same" | PadPairs, kernel: readonly number[], dilation: readonly number[]): [number, number][] {
  if (padding === "same") {
    return kernel.map((k, i) => {
      const total = dilation[i]! * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (isPadPairs(padding)) return padding.map(([a, b]) => [a, b]);
  return (padding as readonly number[]).map((p) => [p, p]);
}

/** The convolution of n spatial dims (cross-correlation, as in PyTorch). */
abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | "same" | PadPairs;
  readonly dilation: readonly number[];
  readonly groups: number;

  constructor(
    readonly kind: string,
    n: number,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: IntOrTuple,
    { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, dtype = "float64", rng = getDefaultRng() }: ConvOptions,
  ) {
    super();
    checkSize(kind, { inChannels, outChannels, groups });
    this.kernelSize = spatial(kind, "kernelSize", kernelSize, n);
    this.stride = spatial(kind, "stride", stride, n);
    this.dilation = spatial(kind, "dilation", dilation, n);
    this.padding = parsePadding(kind, padding, n, this.stride);
    if (inChannels % groups !== 0) throw new ValueError(`${kind}: inChannels ${inChannels} is not divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new ValueError(`${kind}: outChannels ${outChannels} is not divisible by groups ${groups}`);
    this.groups = groups;
    // PyTorch's kaiming_uniform(a = sqrt 5) comes to U(+-1/sqrt(fanIn)), and so does its bias
    const fanIn = (inChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = new Parameter(uniform([outChannels, inChannels / groups, ...this.kernelSize], bound, rng, dtype));
    this.bias = bias ? new Parameter(uniform([outChannels], bound, rng, dtype)) : null;
  }

  forward(x: TensorLike): Tensor {
    const n = this.kernelSize.length;
    let t = ag.toTensor(x);
    const unbatched = t.ndim === n + 1;
    if (unbatched) t = ag.unsqueeze(t, 0);
    const layout = LAYOUTS[n - 1];
    if (t.ndim !== n + 2) throw new ShapeError(`${this.kind}: input must be ${layout} or without the batch dim, got ${fmtShape(ag.toTensor(x).shape)}`);
    if (t.shape[1] !== this.inChannels) {
      throw new ShapeError(`${this.kind}: input has ${t.shape[1]} channels, expected ${this.inChannels} (input shape ${fmtShape(ag.toTensor(x).shape)}, weight ${fmtShape(this.weight.shape)})`);
    }
    checkInputDType(this.kind, t, this.weight);
    const y = convolve(this.kind, t, ag.toTensor(x).shape, this.weight, this.bias, padWidths(this.padding, this.kernelSize, this.dilation), this.stride, this.dilation, this.groups);
    return unbatched ? ag.squeeze(y, 0) : y;
  }
}

/** Conv1d(inChannels, outChannels, kernelSize, options): x (N, C, L) -> (N, O, L'). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvOptions = {}) {
    super("Conv1d", 1, inChannels, outChannels, kernelSize, options);
  }
}

/** Conv2d(inChannels, outChannels, kernelSize, options): x (N, C, H, W) -> (N, O, H', W'). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvOptions = {}) {
    super("Conv2d", 2, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * Conv3d(inChannels, outChannels, kernelSize, options): x (N, C, D, H, W) -> (N, O, D', H', W');
 * options and state-dict keys as PyTorch's nn.Conv3d.
 *
 * @example
 * ```ts
 * const conv = new Conv3d(2, 4, 3, { padding: "same" });
 * conv.forward(tensor(nd.zeros([1, 2, 5, 6, 7]))).shape; // [1, 4, 5, 6, 7]
 * Object.keys(conv.stateDict()); // ["weight", "bias"]: weight (4, 2, 3, 3, 3)
 * ```
 */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvOptions = {}) {
    super("Conv3d", 3, inChannels, outChannels, kernelSize, options);
  }
}

/** Options of ConvTranspose1d and ConvTranspose2d, with PyTorch's defaults: stride 1, padding 0, outputPadding 0, dilation 1, groups 1, bias true. */
export interface ConvTransposeOptions extends LayerOptions {
  stride?: IntOrTuple;
  /** dilation (kernel - 1) - padding zeros are added on both sides of the spread-out input: padding trims the output. */
  padding?: IntOrTuple;
  /** Extra length on one side of each output dim (smaller than the stride or the dilation), to pick among the sizes that a strided convolution maps to the same size. */
  outputPadding?: IntOrTuple;
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
}

/**
 * x (N, C, ...L) with s - 1 zeros inserted between neighbours along each spatial dim: each
 * dim becomes (L - 1) s + 1. Each axis gets a trailing axis of size 1 padded to s, then the pairs
 * are merged and the zeros after the last element cut off.
 */
function spreadOut(x: Tensor, stride: readonly number[]): Tensor {
  if (stride.every((s) => s === 1)) return x;
  const n = stride.length;
  const sp = x.shape.slice(2);
  const split = [...x.shape.slice(0, 2), ...sp.flatMap((d) => [d, 1])];
  const widths = sp.flatMap((_, i) => [[0, 0], [0, stride[i]! - 1]] as [number, number][]);
  const wide = ag.reshape(ag.pad(ag.reshape(x, split), widths), [...x.shape.slice(0, 2), ...sp.map((d, i) => d * stride[i]!)]);
  return ag.slice(wide, [null, null, ...Array.from({ length: n }, (_, i) => [0, (sp[i]! - 1) * stride[i]! + 1] as const)]);
}

/** The transposed convolution of n spatial dims (PyTorch's ConvTransposeNd): the adjoint of ConvNd with the same options. */
abstract class ConvTransposeNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;

  constructor(
    readonly kind: string,
    n: number,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: IntOrTuple,
    { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1, bias = true, dtype = "float64", rng = getDefaultRng() }: ConvTransposeOptions,
  ) {
    super();
    checkSize(kind, { inChannels, outChannels, groups });
    this.kernelSize = spatial(kind, "kernelSize", kernelSize, n);
    this.stride = spatial(kind, "stride", stride, n);
    this.padding = spatial(kind, "padding", padding, n, 0);
    this.outputPadding = spatial(kind, "outputPadding", outputPadding, n, 0);
    this.dilation = spatial(kind, "dilation", dilation, n);
    this.outputPadding.forEach((op, i) => {
      if (op >= this.stride[i]! && op >= this.dilation[i]!) {
        throw new ValueError(`${kind}: outputPadding ${op} must be smaller than the stride ${this.stride[i]} or the dilation ${this.dilation[i]} (dim ${i})`);
      }
    });
    if (inChannels % groups !== 0) throw new ValueError(`${kind}: inChannels ${inChannels} is not divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new ValueError(`${kind}: outChannels ${outChannels} is not divisible by groups ${groups}`);
    this.groups = groups;
    // PyTorch's kaiming_uniform(a = sqrt 5) over the weight (in, out / groups, ...k) takes its
    // fan-in from dim 1: U(+-1/sqrt((out / groups) k)), and so does its bias
    const fanIn = (outChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = new Parameter(uniform([inChannels, outChannels / groups, ...this.kernelSize], bound, rng, dtype));
    this.bias = bias ? new Parameter(uniform([outChannels], bound, rng, dtype)) : null;
  }

  /**
   * x (N, C, ...L) or unbatched. `outputSize` (the spatial sizes, or with the leading dims)
   * picks the output padding as PyTorch's output_size does: each size must lie between the
   * smallest output and that plus stride - 1.
   */
  forward(x: TensorLike, outputSize?: readonly number[]): Tensor {
    let outputPadding = this.outputPadding;
    if (outputSize !== undefined) {
      const n = this.kernelSize.length;
      const given = ag.toTensor(x);
      const want = outputSize.slice(-n);
      const sp = given.shape.slice(given.ndim - n);
      const least = sp.map((d, i) => (d - 1) * this.stride[i]! - 2 * this.padding[i]! + this.dilation[i]! * (this.kernelSize[i]! - 1) + 1);
      if (want.length !== n || want.some((d, i) => !Number.isInteger(d) || d < least[i]! || d >= least[i]! + this.stride[i]!)) {
        throw new ShapeError(
          `${this.kind}: outputSize ${JSON.stringify(outputSize)} must be between ${fmtShape(least)} and ${fmtShape(least.map((d, i) => d + this.stride[i]! - 1))} for input ${fmtShape(given.shape)}`,
        );
      }
      outputPadding = want.map((d, i) => d - least[i]!);
    }
    return transposedConvolve(this.kind, x, this.weight, this.bias, this.stride, this.padding, outputPadding, this.dilation, this.groups, this.inChannels);
  }
}

/**
 * The transposed convolution of x ((N, C, ...L) or unbatched) with weight (C, O / groups, ...k),
 * the adjoint of the convolution with the same options: one matmul for every input position's
 * contribution to each kernel tap, then per tap those contributions spread out by the stride and
 * added at the tap's offset (col2im); the padding trims the result, the output padding extends it.
 */
export function transposedConvolve(
  kind: string, x: TensorLike, weight: Tensor, bias: Tensor | null, stride: readonly number[], padding: readonly number[],
  outputPadding: readonly number[], dilation: readonly number[], groups: number, inChannels: number,
): Tensor {
  const n = stride.length;
  const kernel = weight.shape.slice(2);
  const given = ag.toTensor(x);
  let t = given;
  const unbatched = t.ndim === n + 1;
  if (unbatched) t = ag.unsqueeze(t, 0);
  if (t.ndim !== n + 2) throw new ShapeError(`${kind}: input must be ${LAYOUTS[n - 1]} or without the batch dim, got ${fmtShape(given.shape)}`);
  if (t.shape[1] !== inChannels) {
    throw new ShapeError(`${kind}: input has ${t.shape[1]} channels, expected ${inChannels} (input shape ${fmtShape(given.shape)}, weight ${fmtShape(weight.shape)})`);
  }
  checkInputDType(kind, t, weight);
  const out = t.shape.slice(2).map((d, i) => (d - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (kernel[i]! - 1) + outputPadding[i]! + 1);
  if (out.some((d) => d <= 0)) {
    throw new ShapeError(`${kind}: the output would be ${out.join("x")} (input ${fmtShape(given.shape)}, kernel ${kernel.join("x")}, stride ${stride.join("x")}, padding ${padding.join("x")})`);
  }
  // Each input position adds w[c, o, tap] x[c, pos] at output position pos * stride + tap *
  // dilation (before padding trims the output): one matmul gives every (output channel, tap)
  // contribution of every input position, then each tap's contributions, spread out by the
  // stride, are added at their offset. No multiplication by inserted zeros.
  const N = t.shape[0]!;
  const sp = t.shape.slice(2);
  const taps = kernel.reduce((a, b) => a * b, 1);
  const cg = inChannels / groups;
  const og = weight.shape[1]!;
  const spatialAxes = Array.from({ length: n }, (_, i) => 2 + i);
  const xc = ag.reshape(ag.permute(t, [1, 0, ...spatialAxes]), [inChannels, -1]);
  const parts = Array.from({ length: groups }, (_, g) => {
    const wg = groups === 1 ? weight : ag.slice(weight, [[g * cg, (g + 1) * cg]]);
    const xg = groups === 1 ? xc : ag.slice(xc, [[g * cg, (g + 1) * cg]]);
    return ag.matmul(ag.transpose(ag.reshape(wg, [cg, og * taps])), xg);
  });
  // (O * taps, N * L) -> (O, ...k, N, ...L)
  const contrib = ag.reshape(groups === 1 ? parts[0]! : ag.concat(parts, 0), [og * groups, ...kernel, N, ...sp]);
  const full = sp.map((d, i) => (d - 1) * stride[i]! + dilation[i]! * (kernel[i]! - 1) + 1);
  let acc: Tensor | null = null;
  for (let q = 0; q < taps; q++) {
    // the tap's multi-index, last dim fastest
    const tap: number[] = [];
    for (let i = n - 1, r = q; i >= 0; i--) {
      tap[i] = r % kernel[i]!;
      r = Math.floor(r / kernel[i]!);
    }
    const piece = spreadOut(ag.slice(contrib, [null, ...tap]), stride); // (O, N, ...spread)
    const placed = ag.pad(piece, tap.map((k, i) => [k * dilation[i]!, full[i]! - piece.shape[2 + i]! - k * dilation[i]!] as [number, number]));
    acc = acc === null ? placed : ag.add(acc, placed);
  }
  // (O, N, ...full) -> (N, O, ...full), trimmed by the padding and extended by the output padding
  let y = padOrCrop(ag.permute(acc!, [1, 0, ...spatialAxes]), padding.map((p, i) => [-p, outputPadding[i]! - p] as [number, number]));
  if (bias) y = ag.add(y, ag.reshape(bias, [og * groups, ...Array.from({ length: n }, () => 1)]));
  return unbatched ? ag.squeeze(y, 0) : y;
}

/**
 * The transposed convolution along the length (PyTorch's nn.ConvTranspose1d), the adjoint of
 * Conv1d: x (N, C, L) or (C, L) -> (N, O, L'), L' = (L - 1) stride - 2 padding + dilation (k - 1)
 * + outputPadding + 1. weight is (inChannels, outChannels / groups, k), as PyTorch's.
 *
 * @example
 * ```ts
 * const up = new ConvTranspose1d(1, 1, 2, { stride: 2, bias: false });
 * up.weight.data.assign(nd.array([[[1, 10]]]));
 * up.forward(tensor([[[1, 2, 3]]])).toArray(); // [[[1, 10, 2, 20, 3, 30]]]
 * ```
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeOptions = {}) {
    super("ConvTranspose1d", 1, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * The transposed convolution over height and width (PyTorch's nn.ConvTranspose2d), the adjoint
 * of Conv2d: x (N, C, H, W) or (C, H, W) -> (N, O, H', W'), each dim as in ConvTranspose1d.
 *
 * @example
 * ```ts
 * const up = new ConvTranspose2d(8, 4, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * up.forward(tensor(nd.zeros([2, 8, 5, 5]))).shape; // [2, 4, 10, 10]
 * ```
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeOptions = {}) {
    super("ConvTranspose2d", 2, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * The transposed convolution over depth, height and width (PyTorch's nn.ConvTranspose3d), the
 * adjoint of Conv3d: x (N, C, D, H, W) or (C, D, H, W), each dim as in ConvTranspose1d.
 *
 * @example
 * ```ts
 * new ConvTranspose3d(2, 1, 2, { stride: 2 }).forward(tensor(nd.zeros([1, 2, 2, 3, 4]))).shape; // [1, 1, 4, 6, 8]
 * ```
 */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeOptions = {}) {
    super("ConvTranspose3d", 3, inChannels, outChannels, kernelSize, options);
  }
}
