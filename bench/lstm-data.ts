// The LSTM step every row of the lstm section times, and its data. One recipe, drawn with
// tapegrad's numpy-compatible RandomState so that bench/peers/numpy_peer.py (np.random.RandomState
// with the same seed and order) gets the very same numbers; each implementation then receives
// them in its own natural layout, converted outside the timed region.
//
// The step: a single-layer LSTM over T steps from h0 = a0 and c0 = 0, loss = sum(da * h) over
// all steps for a fixed random da; forward plus the full backward (every weight and bias, x, h0).

import * as nd from "@tapegrad/tensor";
import type { NDArray, FloatDType } from "@tapegrad/tensor";
import { notebookLayout, type NotebookParams } from "@tapegrad/nn";
import type { SizeName } from "./options.js";

export interface LstmSize {
  n_x: number;
  n_a: number;
  m: number;
  T: number;
}

/** (n_x, n_a, m, T): S is the course notebook's, L has the gate shapes of issue 2's matmul row. */
export const SIZES: Record<SizeName, LstmSize> = {
  S: { n_x: 3, n_a: 5, m: 10, T: 7 },
  M: { n_x: 64, n_a: 128, m: 32, T: 32 },
  L: { n_x: 256, n_a: 512, m: 64, T: 64 },
};

/** In the notebook's layout: x (n_x, m, T), a0 (n_a, m), W* (n_a, n_a + n_x), b* (n_a, 1), da (n_a, m, T). */
export interface LstmData {
  x: NDArray;
  a0: NDArray;
  p: NotebookParams;
  da: NDArray;
}

/** The gradients every implementation is reduced to for the cross-check, in the notebook's layout. */
export const GRAD_NAMES = ["dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"] as const;
export type GradName = (typeof GRAD_NAMES)[number];
export type NotebookGrads = Record<GradName, NDArray>;

export function lstmData({ n_x, n_a, m, T }: LstmSize, dtype: FloatDType, seed = 1): LstmData {
  const rs = new nd.RandomState(seed);
  const x = rs.randn(n_x, m, T);
  const a0 = rs.randn(n_a, m);
  const s = 1 / Math.sqrt(n_a + n_x);
  const w: Record<string, NDArray> = {};
  for (const g of ["f", "i", "c", "o"]) {
    w[`W${g}`] = nd.mul(rs.randn(n_a, n_a + n_x), s);
    w[`b${g}`] = nd.mul(rs.randn(n_a, 1), s);
  }
  const da = rs.randn(n_a, m, T);
  const cast = (a: NDArray) => a.astype(dtype);
  const p = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, cast(v)])) as unknown as NotebookParams;
  return { x: cast(x), a0: cast(a0), p, da: cast(da) };
}

/**
 * Gradients in PyTorch's layout (gates i, f, g, o stacked; rows are batch entries; x time-major)
 * to the notebook's. dWih (4H, I), dWhh (4H, H), db (4H), dx (T, m, I), dh0 (m, H).
 */
export function gradsFromPytorchLayout(g: { dWih: NDArray; dWhh: NDArray; db: NDArray; dx: NDArray; dh0: NDArray }): NotebookGrads {
  const w = notebookLayout(g.dWih, g.dWhh, g.db);
  return {
    dx: g.dx.transpose(2, 1, 0),
    da0: g.dh0.transpose(),
    dWf: w.Wf, dbf: w.bf, dWi: w.Wi, dbi: w.bi, dWc: w.Wc, dbc: w.bc, dWo: w.Wo, dbo: w.bo,
  };
}

/** max |a - ref| / max |ref| over all gradients, and the worst gradient's name. */
export function compareGrads(got: NotebookGrads, ref: NotebookGrads): { relErr: number; worst: GradName } {
  let worst: GradName = "dx";
  let relErr = 0;
  for (const k of GRAD_NAMES) {
    const r = ref[k].astype("float64");
    const a = got[k].astype("float64");
    if (!nd.shapesEqual(a.shape, r.shape)) return { relErr: Infinity, worst: k };
    const scale = Math.max(nd.max(nd.abs(r)).item(), 1e-300);
    const e = nd.maxAbsDiff(a, r) / scale;
    if (!(e <= relErr)) {
      relErr = e;
      worst = k;
    }
  }
  return { relErr, worst };
}

/** Bytes the notebook's caches hold per step (a_next, c_next, a_prev, c_prev, f, i, cc, o; and x_t). */
export function notebookCacheBytes({ n_x, n_a, m, T }: LstmSize, dtype: FloatDType): number {
  return T * (8 * n_a * m + n_x * m) * (dtype === "float64" ? 8 : 4);
}
