// Activation and shape modules with PyTorch's names and defaults: GELU (exact, or its tanh
// approximation), SiLU, Softmax, LogSoftmax, Flatten, Identity. Each is composed of ops.

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
