// BatchNorm1d/2d/3d and InstanceNorm1d/2d/3d with PyTorch's names, defaults, state-dict keys
// (weight, bias, running_mean, running_var, num_batches_tracked) and running statistics. The
// normalisation is composed of autograd ops; the running statistics are updated in place by
// tensor kernels (nd.* with `out`), so that a compiled step replays the update as eager does.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError, fmtShape, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { checkSize } from "./layers.js";

/** Options of BatchNorm1d/2d, with PyTorch's defaults: eps 1e-5, momentum 0.1, affine true, trackRunningStats true, dtype float64. */
export interface BatchNormOptions {
  eps?: number;
  /**
   * The weight of a batch's statistics in the running ones: running = (1 - momentum) running +
   * momentum batch. `null` keeps a cumulative (equal-weight) average, momentum 1 / num_batches_tracked.
   */
  momentum?: number | null;
  /** A learnt per-channel scale (weight, initialised 1) and shift (bias, initialised 0). */
  affine?: boolean;
  /** Keep running_mean and running_var (and num_batches_tracked) and normalise with them in eval mode. */
  trackRunningStats?: boolean;
  dtype?: DType;
}

/** Options of InstanceNorm1d/2d: BatchNorm's, with PyTorch's other defaults (affine false, trackRunningStats false, momentum 0.1). */
export interface InstanceNormOptions extends BatchNormOptions {
  momentum?: number;
}

/** What each kind calls its input layout, for errors. */
const LAYOUTS: Record<string, string> = {
  BatchNorm1d: "(N, C) or (N, C, L)",
  BatchNorm2d: "(N, C, H, W)",
  BatchNorm3d: "(N, C, D, H, W)",
  InstanceNorm1d: "(N, C, L) or (C, L)",
  InstanceNorm2d: "(N, C, H, W) or (C, H, W)",
  InstanceNorm3d: "(N, C, D, H, W) or (C, D, H, W)",
};

/**
 * running = (1 - f) running + f batch, in place, for f a number or a 0-d array: kernels writing
 * into the buffer, so a trace records the update.
 */
function blend(running: NDArray, batch: NDArray, f: number | NDArray): void {
  const keep = typeof f === "number" ? 1 - f : nd.sub(1, f).astype(running.dtype);
  const take = typeof f === "number" ? f : f.astype(running.dtype);
  nd.add(nd.mul(running, keep), nd.mul(batch.astype(running.dtype), take), running);
}

/** What BatchNorm and InstanceNorm share: parameters, buffers, the checks and the normalisation. */
abstract class NormBase extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** (C,) means of what was normalised, null without trackRunningStats. */
  readonly running_mean: NDArray | null;
  /** (C,) unbiased variances of what was normalised, null without trackRunningStats. */
  readonly running_var: NDArray | null;
  /** How many batches updated the running statistics (0-d int32; PyTorch's is int64), null without trackRunningStats. */
  readonly num_batches_tracked: NDArray | null;

  constructor(
    readonly kind: string,
    readonly numFeatures: number,
    { eps, momentum, affine, trackRunningStats, dtype = "float64" }: Required<Omit<BatchNormOptions, "dtype">> & { dtype?: DType },
  ) {
    super();
    checkSize(kind, { numFeatures });
    if (!(eps >= 0)) throw new ValueError(`${kind}: eps must be a non-negative number, got ${eps}`);
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) throw new ValueError(`${kind}: momentum must be in [0, 1] or null, got ${momentum}`);
    if (!nd.isFloat(dtype)) throw new ValueError(`${kind}: dtype must be float32 or float64, got ${dtype}`);
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? new Parameter(nd.ones([numFeatures], dtype)) : null;
    this.bias = affine ? new Parameter(nd.zeros([numFeatures], dtype)) : null;
    if (trackRunningStats) {
      this.running_mean = nd.zeros([numFeatures], dtype);
      this.running_var = nd.ones([numFeatures], dtype);
      this.num_batches_tracked = nd.zeros([], "int32");
      this.registerBuffer("running_mean", this.running_mean);
      this.registerBuffer("running_var", this.running_var);
      this.registerBuffer("num_batches_tracked", this.num_batches_tracked);
    } else {
      this.running_mean = this.running_var = this.num_batches_tracked = null;
    }
  }

  /** Running statistics back to mean 0, variance 1, no batches (PyTorch's reset_running_stats). */
  resetRunningStats(): void {
    this.running_mean?.fill(0);
    this.running_var?.fill(1);
    this.num_batches_tracked?.fill(0);
  }

  protected checkInput(x: Tensor, dims: readonly number[]): void {
    if (!dims.includes(x.ndim)) throw new ShapeError(`${this.kind}: input must be ${LAYOUTS[this.kind]}, got ${fmtShape(x.shape)}`);
  }

  protected checkChannels(x: Tensor, original: Tensor): void {
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.kind}: input has ${x.shape[1]} channels (axis 1 of ${fmtShape(original.shape)}), expected numFeatures ${this.numFeatures}`);
    }
    checkInputDType(this.kind, x, this.weight);
  }

  /** (x - mean) / sqrt(var + eps) over `axes` with the batch's biased variance; returns the mean and variance too. */
  protected normalizeBatch(x: Tensor, axes: number[]): [Tensor, Tensor, Tensor] {
    const mu = ag.mean(x, axes, true);
    const d = ag.sub(x, mu);
    const v = ag.mean(ag.mul(d, d), axes, true);
    return [ag.div(d, ag.sqrt(ag.add(v, this.eps))), mu, v];
  }

  /** x normalised by the running statistics (eval mode). */
  protected normalizeRunning(x: Tensor): Tensor {
    const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
    const m = new Tensor(this.running_mean!.reshape(shape));
    const s = new Tensor(nd.sqrt(nd.add(this.running_var!, this.eps)).reshape(shape));
    return ag.div(ag.sub(x, m), s);
  }

  protected scaleShift(y: Tensor): Tensor {
    const shape = y.shape.map((d, i) => (i === 1 ? d : 1));
    if (this.weight) y = ag.mul(y, ag.reshape(this.weight, shape));
    if (this.bias) y = ag.add(y, ag.reshape(this.bias, shape));
    return y;
  }

  /**
   * The running-statistics update from a batch's per-channel mean and biased variance over n
   * values each: num_batches_tracked += 1, then the blend with momentum (or 1 / num_batches_tracked).
   */
  protected updateRunning(mean: NDArray, biasedVar: NDArray, n: number): void {
    const nbt = this.num_batches_tracked!;
    nd.add(nbt, 1, nbt);
    const f = this.momentum ?? nd.div(1, nbt);
    blend(this.running_mean!, mean, f);
    // PyTorch keeps the unbiased variance: n / (n - 1) times the biased one
    blend(this.running_var!, nd.mul(biasedVar, n / (n - 1)), f);
  }
}

abstract class BatchNormBase extends NormBase {
  constructor(kind: string, numFeatures: number, options: BatchNormOptions) {
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = "float64" } = options;
    super(kind, numFeatures, { eps, momentum, affine, trackRunningStats, dtype });
  }

  protected abstract readonly dims: readonly number[];

  forward(input: TensorLike): Tensor {
    const x = ag.toTensor(input);
    this.checkInput(x, this.dims);
    this.checkChannels(x, x);
    // a compiled step replays the path taken here: it traces again if the mode changes
    nd.traceGuard(`${this.kind}.training`, () => this.training);
    const useBatch = this.training || !this.trackRunningStats;
    if (!useBatch) return this.scaleShift(this.normalizeRunning(x));
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const n = x.size / this.numFeatures;
    if (this.training && n <= 1) {
      throw new ValueError(`${this.kind}: expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
    }
    const [y, mu, v] = this.normalizeBatch(x, axes);
    if (this.training && this.trackRunningStats) this.updateRunning(mu.data.reshape([this.numFeatures]), v.data.reshape([this.numFeatures]), n);
    return this.scaleShift(y);
  }
}

/**
 * Batch normalisation over (N, C) or (N, C, L) (PyTorch's nn.BatchNorm1d): each channel is
 * normalised by the batch's mean and biased variance while training (updating running_mean and
 * running_var, the latter unbiased, and num_batches_tracked), by the running statistics in eval
 * mode, then scaled by weight and shifted by bias. The state dict has PyTorch's keys.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm1d(2);
 * const y = bn.forward(tensor([[1, 10], [3, 30]])); // [[-1, -1], [1, 1]] (to eps)
 * bn.running_mean!.toArray(); // [0.2, 2]: 0.9 * 0 + 0.1 * [2, 20]
 * Object.keys(bn.stateDict()); // ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly dims = [2, 3];
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm1d", numFeatures, options);
  }
}

/**
 * Batch normalisation over (N, C, H, W) (PyTorch's nn.BatchNorm2d): per channel, over the batch
 * and both spatial axes; running statistics, train/eval and state-dict keys as BatchNorm1d.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm2d(3, { momentum: null }); // a cumulative average of the batches' statistics
 * bn.forward(tensor(nd.zeros([4, 3, 5, 5]))).shape; // [4, 3, 5, 5]
 * bn.num_batches_tracked!.item(); // 1
 * ```
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly dims = [4];
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm2d", numFeatures, options);
  }
}

/**
 * Batch normalisation over (N, C, D, H, W) (PyTorch's nn.BatchNorm3d): per channel, over the batch
 * and the three spatial axes; running statistics, train/eval and state-dict keys as BatchNorm1d.
 *
 * @example
 * ```ts
 * new BatchNorm3d(2).forward(tensor(nd.zeros([2, 2, 3, 3, 3]))).shape; // [2, 2, 3, 3, 3]
 * ```
 */
export class BatchNorm3d extends BatchNormBase {
  protected readonly dims = [5];
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm3d", numFeatures, options);
  }
}

abstract class InstanceNormBase extends NormBase {
  constructor(kind: string, numFeatures: number, options: InstanceNormOptions, protected readonly spatialDims: number) {
    const { eps = 1e-5, momentum = 0.1, affine = false, trackRunningStats = false, dtype = "float64" } = options;
    if (momentum === null) throw new ValueError(`${kind}: momentum must be a number (PyTorch's InstanceNorm has no cumulative average)`);
    super(kind, numFeatures, { eps, momentum, affine, trackRunningStats, dtype });
  }

  forward(input: TensorLike): Tensor {
    const given = ag.toTensor(input);
    const k = this.spatialDims;
    this.checkInput(given, [k + 1, k + 2]);
    const unbatched = given.ndim === k + 1;
    const x = unbatched ? ag.unsqueeze(given, 0) : given;
    this.checkChannels(x, given);
    nd.traceGuard(`${this.kind}.training`, () => this.training);
    let y: Tensor;
    if (this.training || !this.trackRunningStats) {
      const axes = Array.from({ length: k }, (_, i) => 2 + i);
      const n = x.size / (x.shape[0]! * this.numFeatures);
      if (this.training && n <= 1) {
        throw new ValueError(`${this.kind}: expected more than 1 spatial element when training, got input of shape ${fmtShape(given.shape)}`);
      }
      let mu: Tensor;
      let v: Tensor;
      [y, mu, v] = this.normalizeBatch(x, axes);
      if (this.training && this.trackRunningStats) {
        // PyTorch updates with each instance's statistics and keeps their mean over the batch
        // (num_batches_tracked stays as it is)
        const C = this.numFeatures;
        const unbiased = nd.mul(nd.mean(v.data.reshape([-1, C]), 0), n / (n - 1));
        blend(this.running_mean!, nd.mean(mu.data.reshape([-1, C]), 0), this.momentum!);
        blend(this.running_var!, unbiased, this.momentum!);
      }
    } else y = this.normalizeRunning(x);
    y = this.scaleShift(y);
    return unbatched ? ag.squeeze(y, 0) : y;
  }
}

/**
 * Instance normalisation over (N, C, L) or (C, L) (PyTorch's nn.InstanceNorm1d): each (sample,
 * channel) row normalised by its own mean and biased variance. PyTorch's defaults: no affine
 * parameters and no running statistics; with trackRunningStats the eval mode uses them.
 *
 * @example
 * ```ts
 * new InstanceNorm1d(1).forward(tensor([[[1, 3]]])).toArray(); // [[[-1, 1]]] (to eps)
 * ```
 */
export class InstanceNorm1d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super("InstanceNorm1d", numFeatures, options, 1);
  }
}

/**
 * Instance normalisation over (N, C, H, W) or (C, H, W) (PyTorch's nn.InstanceNorm2d): each
 * (sample, channel) image normalised by its own statistics; options as InstanceNorm1d.
 *
 * @example
 * ```ts
 * const norm = new InstanceNorm2d(3, { affine: true });
 * norm.forward(tensor(nd.ones([2, 3, 4, 4]))).shape; // [2, 3, 4, 4]
 * ```
 */
export class InstanceNorm2d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super("InstanceNorm2d", numFeatures, options, 2);
  }
}

/**
 * Instance normalisation over (N, C, D, H, W) or (C, D, H, W) (PyTorch's nn.InstanceNorm3d): each
 * (sample, channel) volume normalised by its own statistics; options as InstanceNorm1d.
 *
 * @example
 * ```ts
 * new InstanceNorm3d(2).forward(tensor(nd.ones([1, 2, 2, 2, 2]))).shape; // [1, 2, 2, 2, 2]
 * ```
 */
export class InstanceNorm3d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super("InstanceNorm3d", numFeatures, options, 3);
  }
}
