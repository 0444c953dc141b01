// tapegrad's two ways to take the LSTM step: the tape through nn.LSTM (composed from primitive
// ops, PyTorch layout), and the closed form (lstmForward + lstmBackward, the notebook's layout).

import * as nd from "@tapegrad/tensor";
import type { NDArray, FloatDType } from "@tapegrad/tensor";
import { Tensor, compile, graphOf } from "@tapegrad/autograd";
import * as nn from "@tapegrad/nn";
import { LSTM, LSTMCell } from "@tapegrad/nn";
import { gradsFromPytorchLayout, GRAD_NAMES, type LstmData, type LstmSize, type NotebookGrads } from "./lstm-data.js";

export interface Prepared {
  step(): void;
  grads(): NotebookGrads;
  /** Ops the step records on the tape (the tape row only). */
  opsPerStep?: number;
  dispose?(): void;
}

export type Missing = { missing: string };

/**
 * `countOps: false` skips the extra forward that counts the recorded ops (the memory runs);
 * `compiled: true` runs the same step through compile (traced on its first calls, replayed after).
 */
export function prepareTape(size: LstmSize, dtype: FloatDType, d: LstmData, { countOps = true, compiled = false } = {}): Prepared {
  const { n_x, n_a, m } = size;
  const from = LSTMCell.fromNotebookParams(d.p, { dtype });
  const lstm = new LSTM(n_x, n_a, { dtype });
  const cell = lstm.cell(0);
  cell.weight_ih.data.assign(from.weight_ih.data);
  cell.weight_hh.data.assign(from.weight_hh.data);
  cell.bias_ih!.data.assign(from.bias_ih!.data);
  cell.bias_hh!.data.assign(from.bias_hh!.data);
  // (T, m, n_x), (1, m, n_a): PyTorch's layout, converted once, outside the timed step
  const x = new Tensor(d.x.transpose(2, 1, 0).contiguous(), true);
  const h0 = new Tensor(d.a0.transpose().contiguous().reshape([1, m, n_a]), true);
  const c0 = new Tensor(nd.zeros([1, m, n_a], dtype));
  const da = new Tensor(d.da.transpose(2, 1, 0).contiguous());
  const forward = () => {
    const [out] = lstm.forward(x, [h0, c0]);
    return out.mul(da).sum();
  };
  const eager = () => {
    lstm.zeroGrad();
    x.zeroGrad();
    h0.zeroGrad();
    forward().backward();
  };
  const step = compiled ? compile(eager) : eager;
  let opsPerStep: number | undefined;
  if (countOps && !compiled) {
    opsPerStep = graphOf(forward()).ops.length; // the graph is dropped unreleased: only its ops are counted
  }
  return {
    step,
    ...(opsPerStep !== undefined ? { opsPerStep } : {}),
    grads() {
      step();
      return gradsFromPytorchLayout({
        dWih: cell.weight_ih.grad!,
        dWhh: cell.weight_hh.grad!,
        db: cell.bias_ih!.grad!,
        dx: x.grad!,
        dh0: h0.grad!.reshape([m, n_a]),
      });
    },
  };
}

/** What the bench needs of the closed form; looked up at run time, so the row appears once it is exported. */
interface ClosedForm {
  lstmForward(x: NDArray, a0: NDArray, parameters: nn.NotebookParams): { caches: unknown };
  lstmBackward(da: NDArray, caches: unknown): Record<string, NDArray>;
}

export function closedForm(): ClosedForm | Missing {
  const m = nn as unknown as Partial<ClosedForm>;
  if (typeof m.lstmForward !== "function" || typeof m.lstmBackward !== "function") {
    return { missing: "@tapegrad/nn does not export lstmForward/lstmBackward yet" };
  }
  return m as ClosedForm;
}

export function prepareClosed(_size: LstmSize, _dtype: FloatDType, d: LstmData): Prepared | Missing {
  const cf = closedForm();
  if ("missing" in cf) return cf;
  let last: Record<string, NDArray> | null = null;
  const step = () => {
    const { caches } = cf.lstmForward(d.x, d.a0, d.p);
    last = cf.lstmBackward(d.da, caches);
  };
  return {
    step,
    grads() {
      step();
      const g = last!;
      return Object.fromEntries(GRAD_NAMES.map((k) => [k, g[k]!])) as NotebookGrads;
    },
  };
}
