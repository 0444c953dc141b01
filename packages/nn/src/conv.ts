// Conv1d and Conv2d with PyTorch's names, shapes, defaults, initialisation and state-dict keys,
// built as im2col: zero padding, the windows of every spatial axis as strided views (unfold),
// one copy into rows of patches, then a matmul with the flattened kernel, per group.

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
export function checkFits(op: string, inputShape: readonly number[], padded: readonly number[], kernel: readonly number[], dilation: readonly number[], padding: readonly number[]): void {
  const span = kernel.map((k, i) => dilation[i]! * (k - 1) + 1);
  if (span.some((s, i) => s > padded[i]!)) {
    throw new ShapeError(
      `${op}: kernel ${kernel.join("x")} at dilation ${dilation.join("x")} spans ${span.join("x")}, more than the padded input ${padded.join("x")} (input ${fmtShape(inputShape)}, padding ${padding.join("x")})`,
    );
  }
}

/** Options of Conv1d and Conv2d, with PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1, bias true; inChannels and outChannels must be divisible by groups (else a ValueError). */
export interface ConvOptions extends LayerOptions {
  stride?: IntOrTuple;
  /** Zeros added on both sides of each spatial dim; "valid" is 0, "same" keeps the size (stride 1). */
  padding?: IntOrTuple | "valid" | "same";
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
}

/** The convolution of n spatial dims (cross-correlation, as in PyTorch). */
abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | "same";
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
    if (padding === "same") {
      if (this.stride.some((s) => s !== 1)) throw new ValueError(`${kind}: padding "same" needs stride 1, got stride ${this.stride.join("x")}`);
      this.padding = "same";
    } else this.padding = padding === "valid" ? spatial(kind, "padding", 0, n, 0) : spatial(kind, "padding", padding, n, 0);
    if (inChannels % groups !== 0) throw new ValueError(`${kind}: inChannels ${inChannels} is not divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new ValueError(`${kind}: outChannels ${outChannels} is not divisible by groups ${groups}`);
    this.groups = groups;
    // PyTorch's kaiming_uniform(a = sqrt 5) comes to U(+-1/sqrt(fanIn)), and so does its bias
    const fanIn = (inChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = new Parameter(uniform([outChannels, inChannels / groups, ...this.kernelSize], bound, rng, dtype));
    this.bias = bias ? new Parameter(uniform([outChannels], bound, rng, dtype)) : null;
  }

  /** [before, after] zeros per spatial dim; "same" puts the odd one after, as PyTorch does. */
  private padWidths(): [number, number][] {
    if (this.padding === "same") {
      return this.kernelSize.map((k, i) => {
        const total = this.dilation[i]! * (k - 1);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      });
    }
    return this.padding.map((p) => [p, p]);
  }

  forward(x: TensorLike): Tensor {
    const n = this.kernelSize.length;
    let t = ag.toTensor(x);
    const unbatched = t.ndim === n + 1;
    if (unbatched) t = ag.unsqueeze(t, 0);
    const layout = n === 1 ? "(batch, channels, length)" : "(batch, channels, height, width)";
    if (t.ndim !== n + 2) throw new ShapeError(`${this.kind}: input must be ${layout} or without the batch dim, got ${fmtShape(ag.toTensor(x).shape)}`);
    if (t.shape[1] !== this.inChannels) {
      throw new ShapeError(`${this.kind}: input has ${t.shape[1]} channels, expected ${this.inChannels} (input shape ${fmtShape(ag.toTensor(x).shape)}, weight ${fmtShape(this.weight.shape)})`);
    }
    checkInputDType(this.kind, t, this.weight);
    const widths = this.padWidths();
    const padded = t.shape.slice(2).map((d, i) => d + widths[i]![0] + widths[i]![1]);
    checkFits(this.kind, ag.toTensor(x).shape, padded, this.kernelSize, this.dilation, widths.map(([a]) => a));
    const u = windows(ag.pad(t, widths), this.kernelSize, this.stride, this.dilation);
    const N = t.shape[0]!;
    const outSpatial = u.shape.slice(2, 2 + n);
    const cols = N * outSpatial.reduce((a, b) => a * b, 1);
    // (N, C, ...out, ...k) -> (C, ...k, N, ...out): one column per output position, one row per
    // (channel, tap), as the flattened weight is laid out. The copy this reshape makes reads
    // the input along its last spatial axis, a long stride-1 run when the stride is 1.
    const axes = [1, ...Array.from({ length: n }, (_, i) => 2 + n + i), 0, ...Array.from({ length: n }, (_, i) => 2 + i)];
    const patches = ag.permute(u, axes);
    const G = this.groups;
    const cg = this.inChannels / G;
    const og = this.outChannels / G;
    const taps = this.kernelSize.reduce((a, b) => a * b, 1);
    const parts: Tensor[] = [];
    for (let g = 0; g < G; g++) {
      const pg = G === 1 ? patches : ag.slice(patches, [[g * cg, (g + 1) * cg]]);
      const wg = G === 1 ? this.weight : ag.slice(this.weight, [[g * og, (g + 1) * og]]);
      parts.push(ag.matmul(ag.reshape(wg, [og, cg * taps]), ag.reshape(pg, [cg * taps, cols])));
    }
    let y = G === 1 ? parts[0]! : ag.concat(parts, 0);
    if (this.bias) y = ag.add(y, ag.reshape(this.bias, [this.outChannels, 1]));
    // (O, N * out) -> (O, N, ...out) -> (N, O, ...out)
    y = ag.permute(ag.reshape(y, [this.outChannels, N, ...outSpatial]), [1, 0, ...Array.from({ length: n }, (_, i) => 2 + i)]);
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
