// LSTMCell, LSTM, GRUCell, GRU: composed from matmul, add, chunk, sigmoid, tanh and mul, with
// no backward of their own; the tape differentiates them. Names, shapes, gate order and
// initialisation are PyTorch's, so weights move to and from PyTorch unchanged.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError, fmtShape, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { getDefaultRng, uniform } from "./init.js";
import { checkSize, Dropout, type LayerOptions } from "./layers.js";
import { notebookLayout, pytorchLayout, type NotebookParams } from "./notebook-params.js";

export { notebookLayout, type NotebookParams };

/** Options of every recurrent cell: LayerOptions (dtype, rng) and whether it has the biases bias_ih and bias_hh (default true). */
export interface RecurrentOptions extends LayerOptions {
  bias?: boolean;
}

/** Options of LSTMCell: RecurrentOptions and an initial forget-gate bias. */
export interface LSTMCellOptions extends RecurrentOptions {
  /** Sets the forget gate's bias (bias_ih's f block; bias_hh's stays 0) at initialisation, e.g. 1.0. */
  forgetBias?: number;
}

/** What LSTM/GRU run over time: a cell that projects all inputs at once, then steps. */
export interface StepCell {
  readonly hiddenSize: number;
  readonly weight_hh: Parameter;
  readonly inputSize: number;
  /** x (T, B, I) -> the input half of the gates for every step, (T, B, G*H). */
  project(x: Tensor): Tensor;
  /**
   * One step from the projected input; returns the new state, whose first entry is h.
   * `weightHhT` is weight_hh.T, which a sequence makes once (one permute on the tape, not T).
   */
  step(xp: Tensor, state: readonly Tensor[], weightHhT?: Tensor): Tensor[];
}

function validateStep(op: string, x: Tensor, inputSize: number): void {
  if (x.ndim !== 2 || x.shape[1] !== inputSize) {
    throw new ShapeError(`${op}: input must be (batch, ${inputSize}), got ${fmtShape(x.shape)}`);
  }
}

function validateState(op: string, s: Tensor, shape: readonly number[], what: string): void {
  if (!nd.shapesEqual(s.shape, shape)) throw new ShapeError(`${op}: ${what} has shape ${fmtShape(s.shape)}, expected ${fmtShape(shape)}`);
}

function zerosState(x: Tensor, hidden: number): Tensor {
  return new Tensor(nd.zeros([x.shape[0]!, hidden], x.dtype));
}

/**
 * The weights every gated cell has, with PyTorch's names and shapes (the gates stacked along
 * the rows) and its initialisation U(±1/sqrt(hiddenSize)).
 */
export abstract class GatedCell extends Module implements StepCell {
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(
    kind: string,
    gates: number,
    readonly inputSize: number,
    readonly hiddenSize: number,
    { bias = true, dtype = "float64", rng = getDefaultRng() }: RecurrentOptions,
  ) {
    super();
    checkSize(kind, { inputSize, hiddenSize });
    const k = 1 / Math.sqrt(hiddenSize);
    this.weight_ih = new Parameter(uniform([gates * hiddenSize, inputSize], k, rng, dtype));
    this.weight_hh = new Parameter(uniform([gates * hiddenSize, hiddenSize], k, rng, dtype));
    this.bias_ih = bias ? new Parameter(uniform([gates * hiddenSize], k, rng, dtype)) : null;
    this.bias_hh = bias ? new Parameter(uniform([gates * hiddenSize], k, rng, dtype)) : null;
  }

  abstract project(x: Tensor): Tensor;
  abstract step(xp: Tensor, state: readonly Tensor[], weightHhT?: Tensor): Tensor[];
}

/** Accepts unbatched input (a vector) the way PyTorch does: as a batch of one, squeezed after. */
function batched(x: Tensor): [Tensor, boolean] {
  return x.ndim === 1 ? [x.unsqueeze(0), true] : [x, false];
}

/**
 * One LSTM step (PyTorch's nn.LSTMCell): forward(x, [h, c]?) -> [h', c'], with x (batch,
 * inputSize) or unbatched (inputSize), and h, c (batch, hiddenSize), zeros when omitted. Weights
 * weight_ih (4H, I) and weight_hh (4H, H), gates stacked i, f, g, o, initialised
 * U(±1/sqrt(hiddenSize)), as PyTorch's. fromNotebookParams and toNotebookParams convert to and
 * from the course notebook's per-gate layout. Wrong shapes are a ShapeError.
 *
 * @example
 * ```ts
 * const x = tensor(nd.zeros([5, 3, 4])); // (seq, batch, inputSize)
 * const cell = new LSTMCell(4, 8);
 * let state: [Tensor, Tensor] | undefined;
 * for (const xt of unbind(x, 0)) state = cell.forward(xt, state);
 * state![0].shape; // [3, 8]: h, and c likewise
 * ```
 */
export class LSTMCell extends GatedCell {
  constructor(inputSize: number, hiddenSize: number, options: LSTMCellOptions = {}) {
    super("LSTMCell", 4, inputSize, hiddenSize, options);
    if (options.forgetBias !== undefined) setForgetBias(this, options.forgetBias);
  }

  project(x: Tensor): Tensor {
    let xp = ag.matmul(x, this.weight_ih.T);
    if (this.bias_ih && this.bias_hh) xp = xp.add(this.bias_ih.add(this.bias_hh));
    return xp;
  }

  /** gates = xp + h W_hh^T, split i, f, g, o; c' = f c + i g; h' = o tanh(c'). */
  step(xp: Tensor, [h, c]: readonly Tensor[], weightHhT = this.weight_hh.T): Tensor[] {
    const gates = xp.add(ag.matmul(h!, weightHhT));
    const [i, f, g, o] = gates.chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c2 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
    const h2 = o.sigmoid().mul(c2.tanh());
    return [h2, c2];
  }

  /** One step: x (batch, inputSize) or (inputSize); state [h, c] each (batch, hiddenSize), zeros if omitted. */
  forward(x: TensorLike, state?: readonly [TensorLike, TensorLike]): [Tensor, Tensor] {
    const [xb, unbatched] = batched(ag.toTensor(x));
    validateStep("LSTMCell", xb, this.inputSize);
    checkInputDType("LSTMCell", xb, this.weight_ih);
    const B = xb.shape[0]!;
    let h = state ? ag.toTensor(state[0]) : zerosState(xb, this.hiddenSize);
    let c = state ? ag.toTensor(state[1]) : zerosState(xb, this.hiddenSize);
    if (unbatched && state) [h, c] = [h.unsqueeze(0), c.unsqueeze(0)];
    validateState("LSTMCell", h, [B, this.hiddenSize], "h");
    validateState("LSTMCell", c, [B, this.hiddenSize], "c");
    checkInputDType("LSTMCell", h, this.weight_hh, "h");
    checkInputDType("LSTMCell", c, this.weight_hh, "c");
    const [h2, c2] = this.step(this.project(xb), [h, c]) as [Tensor, Tensor];
    return unbatched ? [h2.squeeze(0), c2.squeeze(0)] : [h2, c2];
  }

  /**
   * From the notebook's per-gate weights (notebook-params.ts's pytorchLayout): the notebook's
   * bias goes to bias_ih and bias_hh is zero.
   */
  static fromNotebookParams(p: NotebookParams, options: Omit<LSTMCellOptions, "forgetBias"> = {}): LSTMCell {
    const { weightIh, weightHh, bias, inputSize, hiddenSize } = pytorchLayout(p);
    const dtype = options.dtype ?? p.Wf.dtype;
    const cell = new LSTMCell(inputSize, hiddenSize, { ...options, dtype, bias: true });
    cell.weight_hh.data.assign(weightHh);
    cell.weight_ih.data.assign(weightIh);
    cell.bias_ih!.data.assign(bias);
    cell.bias_hh!.data.fill(0);
    return cell;
  }

  /** The inverse of fromNotebookParams (the notebook's b is bias_ih + bias_hh). */
  toNotebookParams(): NotebookParams {
    const b = this.bias_ih && this.bias_hh ? nd.add(this.bias_ih.data, this.bias_hh.data) : nd.zeros([4 * this.hiddenSize], this.weight_ih.dtype);
    return notebookLayout(this.weight_ih.data, this.weight_hh.data, b);
  }

  /**
   * The accumulated gradients in the notebook's layout ({ Wf, bf, ... } named as the weights
   * they are gradients of): what lstmBackward's dWf, dbf, ... are compared against. The
   * notebook's single bias b = bias_ih + bias_hh, so d/db is bias_ih's gradient.
   */
  notebookGrads(): NotebookParams {
    const g = (p: Parameter | null, what: string): NDArray => {
      if (!p || !p.grad) throw new ValueError(`LSTMCell.notebookGrads: ${what} has no gradient; run backward first`);
      return p.grad;
    };
    return notebookLayout(g(this.weight_ih, "weight_ih"), g(this.weight_hh, "weight_hh"), g(this.bias_ih, "bias_ih"));
  }
}

function setForgetBias(cell: { bias_ih: Parameter | null; bias_hh: Parameter | null; hiddenSize: number }, value: number): void {
  if (!cell.bias_ih || !cell.bias_hh) throw new ValueError("forgetBias: the cell has no bias");
  const H = cell.hiddenSize;
  cell.bias_ih.data.slice([H, 2 * H]).fill(value);
  cell.bias_hh.data.slice([H, 2 * H]).fill(0);
}

/** One GRU step (PyTorch's nn.GRUCell): forward(x, h?) -> h', with x (batch, inputSize) or unbatched (inputSize) and h (batch, hiddenSize), zeros when omitted. Weights weight_ih (3H, I) and weight_hh (3H, H), gates stacked r, z, n, initialised U(±1/sqrt(hiddenSize)). */
export class GRUCell extends GatedCell {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super("GRUCell", 3, inputSize, hiddenSize, options);
  }

  project(x: Tensor): Tensor {
    const xp = ag.matmul(x, this.weight_ih.T);
    return this.bias_ih ? xp.add(this.bias_ih) : xp;
  }

  /** r, z from x and h; n = tanh(x_n + r (h W_hn^T + b_hn)); h' = (1 - z) n + z h. */
  step(xp: Tensor, [h]: readonly Tensor[], weightHhT = this.weight_hh.T): Tensor[] {
    let hp = ag.matmul(h!, weightHhT);
    if (this.bias_hh) hp = hp.add(this.bias_hh);
    const [xr, xz, xn] = xp.chunk(3, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = hp.chunk(3, 1) as [Tensor, Tensor, Tensor];
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    return [n.add(z.mul(h!.sub(n)))];
  }

  forward(x: TensorLike, h?: TensorLike): Tensor {
    const [xb, unbatched] = batched(ag.toTensor(x));
    validateStep("GRUCell", xb, this.inputSize);
    checkInputDType("GRUCell", xb, this.weight_ih);
    let h0 = h !== undefined ? ag.toTensor(h) : zerosState(xb, this.hiddenSize);
    if (unbatched && h !== undefined) h0 = h0.unsqueeze(0);
    validateState("GRUCell", h0, [xb.shape[0]!, this.hiddenSize], "h");
    checkInputDType("GRUCell", h0, this.weight_hh, "h");
    const [h2] = this.step(this.project(xb), [h0]) as [Tensor];
    return unbatched ? h2.squeeze(0) : h2;
  }
}

/** Per-call options of LSTM, GRU and RNN forward for padded batches: each sequence's length, or a mask of its real steps. Padded steps keep the state and output zeros. */
export interface SequenceOptions {
  /** Valid length of each sequence in the batch; later steps are padding. */
  lengths?: readonly number[] | Int32Array;
  /** Or a mask: (T, B), or (B, T) with batchFirst; nonzero marks a real step. */
  mask?: NDArray;
}

/** Options of LSTM, GRU and RNN, with PyTorch's defaults: numLayers 1, batchFirst false, dropout 0, bidirectional false, plus RecurrentOptions. */
export interface StackOptions extends RecurrentOptions {
  numLayers?: number;
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
}

/**
 * The multi-layer, optionally bidirectional loop shared by LSTM and GRU. Masked (padded)
 * steps keep the previous state through `where`, so they change neither the state nor any
 * gradient, and their outputs are zero.
 */
export abstract class RecurrentStack<C extends Module & StepCell> extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  readonly dropoutP: number;
  readonly #cells: C[];
  readonly #dropout: Dropout;

  constructor(
    readonly kind: string,
    readonly inputSize: number,
    readonly hiddenSize: number,
    private readonly numStates: number,
    options: StackOptions,
    makeCell: (inputSize: number) => C,
  ) {
    super();
    const { numLayers = 1, batchFirst = false, dropout = 0, bidirectional = false, rng } = options;
    checkSize(kind, { inputSize, hiddenSize, numLayers });
    if (!(dropout >= 0 && dropout <= 1)) throw new ValueError(`${kind}: dropout must be in [0, 1], got ${dropout}`);
    this.numLayers = numLayers;
    this.batchFirst = batchFirst;
    this.bidirectional = bidirectional;
    this.dropoutP = dropout;
    this.#dropout = new Dropout(dropout, rng ? { rng } : {});
    this.#cells = [];
    const dirs = bidirectional ? 2 : 1;
    for (let l = 0; l < numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const cell = makeCell(l === 0 ? inputSize : hiddenSize * dirs);
        this.#cells.push(cell);
        // PyTorch's names: the cells' parameters become this module's own fields.
        const suffix = `_l${l}${d === 1 ? "_reverse" : ""}`;
        const self = this as unknown as Record<string, unknown>;
        const c = cell as unknown as Record<string, Parameter | null>;
        for (const name of ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]) if (c[name]) self[name + suffix] = c[name];
      }
    }
  }

  /** The cell of one layer and direction (d = 1 is the reverse direction). */
  cell(layer: number, direction = 0): C {
    const c = this.#cells[layer * (this.bidirectional ? 2 : 1) + direction];
    if (!c) throw new ValueError(`${this.kind}.cell: no layer ${layer} direction ${direction}`);
    return c;
  }

  protected run(x: TensorLike, state: readonly Tensor[] | undefined, options: SequenceOptions): [Tensor, Tensor[]] {
    const kind = this.kind;
    let input = ag.toTensor(x);
    const unbatched = input.ndim === 2;
    if (unbatched) input = input.unsqueeze(1);
    else if (this.batchFirst) {
      if (input.ndim === 3) input = input.permute(1, 0, 2);
    }
    if (input.ndim !== 3 || input.shape[2] !== this.inputSize) {
      const layout = this.batchFirst ? "(batch, seq, " : "(seq, batch, ";
      throw new ShapeError(`${kind}: input must be ${layout}${this.inputSize}) or (seq, ${this.inputSize}), got ${fmtShape(ag.toTensor(x).shape)}`);
    }
    const [T, B] = [input.shape[0]!, input.shape[1]!];
    checkInputDType(kind, input, this.cell(0).weight_hh); // once per forward, not per step
    if (T === 0) throw new ValueError(`${kind}: the sequence has no steps (input shape ${fmtShape(ag.toTensor(x).shape)})`);
    const dirs = this.bidirectional ? 2 : 1;
    const stateShape = [this.numLayers * dirs, B, this.hiddenSize];
    const init = (state ?? []).map((s, k) => {
      let t = ag.toTensor(s);
      if (unbatched && t.ndim === 2) t = t.unsqueeze(1);
      validateState(kind, t, stateShape, k === 0 ? "h0" : "c0");
      checkInputDType(kind, t, this.cell(0).weight_hh, k === 0 ? "h0" : "c0");
      return t;
    });
    const mask = this.stepMask(T, B, input.dtype, options);
    const finals: Tensor[][] = Array.from({ length: this.numStates }, () => []);
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const cell = this.cell(l, d);
        const k = l * dirs + d;
        let s: Tensor[] = Array.from({ length: this.numStates }, (_, j) =>
          init[j] ? init[j]!.slice(k) : new Tensor(nd.zeros([B, this.hiddenSize], input.dtype)),
        );
        // One unbind node for all steps: its backward stacks the step gradients once.
        const xp = ag.unbind(cell.project(input), 0);
        const weightHhT = cell.weight_hh.T;
        const seq: Tensor[] = new Array(T);
        for (let n = 0; n < T; n++) {
          const t = d === 0 ? n : T - 1 - n;
          let next = cell.step(xp[t]!, s, weightHhT);
          if (mask) {
            const m = mask[t]!;
            next = next.map((v, j) => ag.where(m, v, s[j]!));
            seq[t] = ag.where(m, next[0]!, 0);
          } else seq[t] = next[0]!;
          s = next;
        }
        outs.push(ag.stack(seq, 0));
        s.forEach((v, j) => finals[j]!.push(v));
      }
      input = dirs === 2 ? ag.concat(outs, 2) : outs[0]!;
      // The private Dropout is no child that train()/eval() reach: it follows this module's mode.
      this.#dropout.training = this.training;
      if (l < this.numLayers - 1 && this.dropoutP > 0) input = this.#dropout.forward(input);
    }
    let output = input;
    let last = finals.map((f) => ag.stack(f, 0));
    if (unbatched) {
      output = output.squeeze(1);
      last = last.map((t) => t.squeeze(1));
    } else if (this.batchFirst) output = output.permute(1, 0, 2);
    return [output, last];
  }

  /** Per step, a (B, 1) mask of real (not padded) entries, or null when every step is real. */
  private stepMask(T: number, B: number, dtype: DType, { lengths, mask }: SequenceOptions): Tensor[] | null {
    if (lengths === undefined && mask === undefined) return null;
    if (lengths !== undefined && mask !== undefined) throw new ValueError(`${this.kind}: pass lengths or mask, not both`);
    let m: NDArray;
    if (lengths !== undefined) {
      if (lengths.length !== B) throw new ShapeError(`${this.kind}: ${lengths.length} lengths for a batch of ${B}`);
      for (const len of lengths) {
        if (!Number.isInteger(len) || len < 0 || len > T) throw new ValueError(`${this.kind}: length ${len} is not an integer in [0, ${T}]`);
      }
      m = nd.zeros([T, B], dtype);
      Array.from(lengths).forEach((len, b) => m.slice([0, len], b).fill(1));
    } else {
      const want = this.batchFirst ? [B, T] : [T, B];
      if (!nd.shapesEqual(mask!.shape, want)) throw new ShapeError(`${this.kind}: mask has shape ${fmtShape(mask!.shape)}, expected ${fmtShape(want)}`);
      m = nd.ne(this.batchFirst ? mask!.T : mask!, 0);
    }
    return Array.from({ length: T }, (_, t) => new Tensor(m.slice(t).reshape([B, 1])));
  }
}

/**
 * Multi-layer LSTM. forward(x, [h0, c0]?) -> [output, [hN, cN]] with PyTorch's shapes (nn.LSTM):
 * x (seq, batch, inputSize), or (batch, seq, inputSize) with batchFirst, or unbatched
 * (seq, inputSize); output (seq, batch, D * hiddenSize) with D = 2 when bidirectional; hN and cN
 * (D * numLayers, batch, hiddenSize). State-dict keys are PyTorch's (weight_ih_l0, ...,
 * weight_hh_l1_reverse). A third argument gives lengths or a mask for padded batches.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(4, 8, { numLayers: 2 });
 * const [out, [h, c]] = lstm.forward(tensor(nd.zeros([5, 3, 4]))); // 5 steps, batch of 3
 * out.shape; // [5, 3, 8]
 * h.shape; // [2, 3, 8], as is c
 * const [padded] = lstm.forward(tensor(nd.zeros([5, 3, 4])), undefined, { lengths: [5, 3, 1] });
 * ```
 */
export class LSTM extends RecurrentStack<LSTMCell> {
  constructor(inputSize: number, hiddenSize: number, options: StackOptions & { forgetBias?: number } = {}) {
    const { dtype = "float64", rng = getDefaultRng(), bias = true, forgetBias } = options;
    super("LSTM", inputSize, hiddenSize, 2, options, (n) => new LSTMCell(n, hiddenSize, { dtype, rng, bias, ...(forgetBias !== undefined ? { forgetBias } : {}) }));
  }

  forward(x: TensorLike, state?: readonly [TensorLike, TensorLike], options: SequenceOptions = {}): [Tensor, [Tensor, Tensor]] {
    const [out, [h, c]] = this.run(x, state?.map((s) => ag.toTensor(s)), options) as [Tensor, [Tensor, Tensor]];
    return [out, [h, c]];
  }
}

/** Multi-layer GRU. forward(x, h0?) -> [output, hN] with PyTorch's shapes. */
export class GRU extends RecurrentStack<GRUCell> {
  constructor(inputSize: number, hiddenSize: number, options: StackOptions = {}) {
    const { dtype = "float64", rng = getDefaultRng(), bias = true } = options;
    super("GRU", inputSize, hiddenSize, 1, options, (n) => new GRUCell(n, hiddenSize, { dtype, rng, bias }));
  }

  forward(x: TensorLike, h0?: TensorLike, options: SequenceOptions = {}): [Tensor, Tensor] {
    const [out, [h]] = this.run(x, h0 === undefined ? undefined : [ag.toTensor(h0)], options) as [Tensor, [Tensor]];
    return [out, h];
  }
}
