// The Elman RNN (PyTorch's RNNCell and RNN): h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh),
// act tanh or relu. RNN runs on the recurrent stack LSTM and GRU share (recurrent.ts).

import * as nd from "@tapegrad/tensor";
import { ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { getDefaultRng } from "./init.js";
import { checkInputDType } from "./module.js";
import { GatedCell, RecurrentStack, type RecurrentOptions, type SequenceOptions, type StackOptions } from "./recurrent.js";

/** The activation of an Elman RNN: "tanh" (PyTorch's default) or "relu"; anything else is a ValueError. */
export type Nonlinearity = "tanh" | "relu";

function checkNonlinearity(kind: string, v: string): Nonlinearity {
  if (v !== "tanh" && v !== "relu") throw new ValueError(`${kind}: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(v)}`);
  return v;
}

/** Options of RNNCell: RecurrentOptions and the nonlinearity (default "tanh"). */
export interface RNNCellOptions extends RecurrentOptions {
  nonlinearity?: Nonlinearity;
}

/** One Elman RNN step (PyTorch's nn.RNNCell): h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), with x (batch, inputSize) or unbatched (inputSize) and h (batch, hiddenSize), zeros when omitted. Weights weight_ih (H, I), weight_hh (H, H), initialised U(±1/sqrt(hiddenSize)). */
export class RNNCell extends GatedCell {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super("RNNCell", 1, inputSize, hiddenSize, options);
    this.nonlinearity = checkNonlinearity("RNNCell", options.nonlinearity ?? "tanh");
  }

  project(x: Tensor): Tensor {
    let xp = ag.matmul(x, this.weight_ih.T);
    if (this.bias_ih && this.bias_hh) xp = xp.add(this.bias_ih.add(this.bias_hh));
    return xp;
  }

  step(xp: Tensor, [h]: readonly Tensor[], weightHhT = this.weight_hh.T): Tensor[] {
    const pre = xp.add(ag.matmul(h!, weightHhT));
    return [this.nonlinearity === "tanh" ? pre.tanh() : pre.relu()];
  }

  /** One step: x (batch, inputSize) or (inputSize); h (batch, hiddenSize), zeros if omitted. */
  forward(x: TensorLike, h?: TensorLike): Tensor {
    let xb = ag.toTensor(x);
    const unbatched = xb.ndim === 1;
    if (unbatched) xb = xb.unsqueeze(0);
    if (xb.ndim !== 2 || xb.shape[1] !== this.inputSize) {
      throw new ShapeError(`RNNCell: input must be (batch, ${this.inputSize}), got ${fmtShape(ag.toTensor(x).shape)}`);
    }
    checkInputDType("RNNCell", xb, this.weight_ih);
    if (h !== undefined) checkInputDType("RNNCell", h, this.weight_hh, "h");
    let h0 = h !== undefined ? ag.toTensor(h) : new Tensor(nd.zeros([xb.shape[0]!, this.hiddenSize], xb.dtype));
    if (unbatched && h !== undefined) h0 = h0.unsqueeze(0);
    if (!nd.shapesEqual(h0.shape, [xb.shape[0]!, this.hiddenSize])) {
      throw new ShapeError(`RNNCell: h has shape ${fmtShape(h0.shape)}, expected [${xb.shape[0]},${this.hiddenSize}]`);
    }
    const [h2] = this.step(this.project(xb), [h0]) as [Tensor];
    return unbatched ? h2.squeeze(0) : h2;
  }
}

/** Options of RNN: StackOptions (numLayers, batchFirst, dropout, bidirectional, ...) and the nonlinearity (default "tanh"). */
export interface RNNOptions extends StackOptions {
  nonlinearity?: Nonlinearity;
}

/** Multi-layer Elman RNN. forward(x, h0?) -> [output, hN] with PyTorch's shapes and keys (weight_ih_l0, ...). */
export class RNN extends RecurrentStack<RNNCell> {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const { dtype = "float64", rng = getDefaultRng(), bias = true } = options;
    const nonlinearity = checkNonlinearity("RNN", options.nonlinearity ?? "tanh");
    super("RNN", inputSize, hiddenSize, 1, options, (n) => new RNNCell(n, hiddenSize, { dtype, rng, bias, nonlinearity }));
    this.nonlinearity = nonlinearity;
  }

  forward(x: TensorLike, h0?: TensorLike, options: SequenceOptions = {}): [Tensor, Tensor] {
    const [out, [h]] = this.run(x, h0 === undefined ? undefined : [ag.toTensor(h0)], options) as [Tensor, [Tensor]];
    return [out, h];
  }
}
