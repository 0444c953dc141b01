// The course notebook's LSTM in closed form: forward and hand-derived backward through time on
// NDArrays, in the notebook's layout (x: (n_x, m, T_x), states (n_a, m)) and argument order.
//
// The model, one step (z_t = [a_{t-1}; x_t], the previous hidden state stacked on the input):
//   f = σ(Wf z + bf),  i = σ(Wi z + bi),  g = tanh(Wc z + bc),  o = σ(Wo z + bo)
//   c_t = f ⊙ c_{t-1} + i ⊙ g,    a_t = o ⊙ tanh(c_t),    ŷ_t = softmax(Wy a_t + by)  (over rows)
//
// The derivative, by the chain rule, for a loss L that reads the states. Let ā_t and c̄_t be
// everything that reaches a_t and c_t: the loss's own gradient at t plus what step t+1 sends back.
//   - a_t = o ⊙ tanh(c_t) splits ā_t between its factors: ∂L/∂o = ā_t ⊙ tanh(c_t), and c_t
//     receives ā_t ⊙ o ⊙ (1 − tanh²c_t). So the cell state's whole gradient is
//       ĉ_t = c̄_t + ā_t ⊙ o ⊙ (1 − tanh²c_t).
//   - c_t = f ⊙ c_{t-1} + i ⊙ g is linear in each gate: ∂L/∂f = ĉ_t ⊙ c_{t-1}, ∂L/∂i = ĉ_t ⊙ g,
//     ∂L/∂g = ĉ_t ⊙ i, and the memory path hands c̄_{t-1} = ĉ_t ⊙ f to the step before.
//   - Through the nonlinearities (σ' = σ(1−σ), tanh' = 1 − tanh²), the pre-activations get
//       dz_f = ĉ_t c_{t-1} f(1−f),  dz_i = ĉ_t g i(1−i),  dz_g = ĉ_t i (1−g²),  dz_o = ā_t tanh(c_t) o(1−o).
//   - Each pre-activation is W z_t + b, so with the four stacked as dZ (4n_a, m) against
//     W = [Wf; Wi; Wc; Wo]:  dW += dZ z_tᵀ,  db += dZ summed over the batch,  and
//     Wᵀ dZ = ∂L/∂z_t, whose top n_a rows are the hidden-state carry (added to ā_{t-1}) and whose
//     bottom n_x rows are dx_t.
// Running t from the last step that any gradient reaches down to 0, and carrying ā and c̄
// across, gives the gradient of the whole sequence; what is carried out of step 0 is da0 (dc0).
//
// Implementation: the four gate matrices are stacked once (W, (4n_a, n_a+n_x)); x's share of
// every pre-activation is one matmul over all steps before the loop; each step adds one
// (4n_a, n_a) matmul. Sequences are kept time-major ((rows, T, m), a step is a (rows, m)
// block) so that dW for all steps is a single matmul of dZ against the stacked inputs z_t.
//
// Precision, as numpy's: when every array argument is float32, every buffer is a Float32Array
// and the products run on the float32 gemm, so each stored intermediate (a gate, c_t, tanh c_t,
// a product, a row of dZ) is rounded to float32 as numpy rounds each of its float32 arrays;
// otherwise everything is float64. A fused loop's per-element arithmetic is JS's float64, rounded
// at the store; values are read back from the buffer, so later uses see the stored float32.

import { NDArray, ShapeError, ValueError, fmtShape, type DType } from "@tapegrad/tensor";
import { gemm, sigmoid32 as sigmoid32Binding, tanh32 as tanh32Binding } from "@tapegrad/tensor/internal";
import type { LSTMParameters } from "./notebook-params.js";

export type { LSTMParameters };

/** What one step keeps for its backward, named as in the notebook's cache tuple. */
export interface LSTMCellCache {
  aNext: NDArray;
  cNext: NDArray;
  aPrev: NDArray;
  cPrev: NDArray;
  /** forget gate σ(Wf z + bf) */
  ft: NDArray;
  /** update (input) gate σ(Wi z + bi) */
  it: NDArray;
  /** candidate memory tanh(Wc z + bc) */
  cct: NDArray;
  /** output gate σ(Wo z + bo) */
  ot: NDArray;
  xt: NDArray;
  parameters: LSTMParameters;
}

/** As the notebook's: `[caches, x]`, one cache per step and the input sequence. */
export type LSTMCaches = [steps: LSTMCellCache[], x: NDArray];

/** What lstmCellForward returns: the next hidden and cell states (n_a, m), the prediction, and the cache for lstmCellBackward. */
export interface LSTMCellForwardResult {
  aNext: NDArray;
  cNext: NDArray;
  /** softmax(Wy aNext + by) over axis 0; null when the parameters carry no Wy/by. */
  ytPred: NDArray | null;
  cache: LSTMCellCache;
}

/** What lstmForward returns: the hidden states, the predictions and the cell states of every step, and the caches for lstmBackward. */
export interface LSTMForwardResult {
  /** hidden states (n_a, m, T_x) */
  a: NDArray;
  /** predictions (n_y, m, T_x); null when the parameters carry no Wy/by */
  y: NDArray | null;
  /** cell states (n_a, m, T_x) */
  c: NDArray;
  caches: LSTMCaches;
}

/** Options of lstmForward: an initial cell state other than zeros. */
export interface LSTMForwardOptions {
  /** The initial cell state (n_a, m). The notebook always starts from zeros, the default. */
  c0?: NDArray;
}

/** Options of lstmBackward: an upstream gradient for the cell states as well as the hidden ones. */
export interface LSTMBackwardOptions {
  /** An upstream gradient for the cell states, (n_a, m, T_dc) with T_dc <= T_x: the loss gains sum(dc * c). */
  dc?: NDArray;
}

/** The parameter gradients, named as the notebook names them. */
export interface LSTMGateGradients {
  dWf: NDArray;
  dbf: NDArray;
  dWi: NDArray;
  dbi: NDArray;
  dWc: NDArray;
  dbc: NDArray;
  dWo: NDArray;
  dbo: NDArray;
}

export interface LSTMCellGradients extends LSTMGateGradients {
  dxt: NDArray;
  da_prev: NDArray;
  dc_prev: NDArray;
  /** alias of da_prev */
  daPrev: NDArray;
  /** alias of dc_prev */
  dcPrev: NDArray;
}

export interface LSTMGradients extends LSTMGateGradients {
  /** (n_x, m, T_x), x's full shape: zero at the steps no gradient reaches (a view over time-major storage) */
  dx: NDArray;
  /** (n_a, m) */
  da0: NDArray;
  /** (n_a, m): the gradient for the initial cell state (zeros in the notebook, or options.c0); c0's dtype, or the forward's without options.c0 */
  dc0: NDArray;
}

// ---------------------------------------------------------------- checks and small helpers

const GATES = ["f", "i", "c", "o"] as const;

function arrayArg(op: string, name: string, v: unknown): NDArray {
  if (v instanceof NDArray) return v;
  throw new ValueError(`${op}: ${name} must be an NDArray, got ${v === null ? "null" : v === undefined ? "undefined" : typeof v}`);
}

function expectShape(op: string, name: string, a: NDArray, expected: readonly number[], why: string): void {
  if (a.ndim !== expected.length || a.shape.some((d, k) => d !== expected[k])) {
    throw new ShapeError(`${op}: ${name} has shape ${fmtShape(a.shape)}, expected ${fmtShape(expected)} (${why})`);
  }
}

function expectRank(op: string, name: string, a: NDArray, rank: number, layout: string): void {
  if (a.ndim !== rank) throw new ShapeError(`${op}: ${name} must be ${rank}-D ${layout}, got shape ${fmtShape(a.shape)}`);
}

type Float = Float64Array | Float32Array;
type FloatDType = "float64" | "float32";

/** The dtype a computation runs in: float32 only when all its array arguments are float32. */
function computeDType(arrays: readonly NDArray[]): FloatDType {
  return arrays.every((a) => a.dtype === "float32") ? "float32" : "float64";
}

function alloc(dt: FloatDType, n: number): Float {
  return dt === "float32" ? new Float32Array(n) : new Float64Array(n);
}

/** `buf` in `dt`: itself, or (mixed dtypes only) a converted copy. */
function inDType(buf: Float, dt: FloatDType): Float {
  if (dt === "float32") return buf instanceof Float32Array ? buf : new Float32Array(buf);
  return buf instanceof Float64Array ? buf : new Float64Array(buf);
}

/**
 * A result's dtype: float32 when its source is float32, else float64. With mixed dtypes the
 * computation is float64 and a result whose source is float32 is cast to it; when all are
 * float32 the computation is too, and no result is cast.
 */
function resultDType(a: NDArray): DType {
  return a.dtype === "float32" ? "float32" : "float64";
}

function cast(a: NDArray, dtype: DType): NDArray {
  return a.dtype === dtype ? a : a.astype(dtype);
}

/** Copies a 2-D array, any layout and dtype, into `dst` (rounded to its dtype) at row stride `rs` from `off`. */
function load2(src: NDArray, dst: Float, off: number, rs: number): void {
  const [rows, cols] = [src.shape[0]!, src.shape[1]!];
  const [s0, s1] = [src.strides[0]!, src.strides[1]!];
  const d = src.data;
  for (let r = 0; r < rows; r++) {
    const p = src.offset + r * s0;
    const q = off + r * rs;
    for (let j = 0; j < cols; j++) dst[q + j] = d[p + j * s1]!;
  }
}

/**
 * σ(z) without overflow: 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0, that is
 * (z >= 0 ? 1 : e) / (1 + e) with e = e^-|z| <= 1. The choice is made by arithmetic (p is 1 or
 * 0, and p + (1 - p)e is exactly 1 or e) rather than by a branch, to the same bits: gate
 * pre-activations change sign at random, and a branch mispredicted half the time cost about a
 * fifth of each σ.
 */
function logistic(z: number): number {
  const e = Math.exp(-Math.abs(z));
  const p = Number(z >= 0);
  return (p + (1 - p) * e) / (1 + e);
}

// The activations of each dtype: float64 keeps Math's and logistic's bits; float32 takes the
// kernels that nd.sigmoid and nd.tanh run on float32 arrays (one rounding at the store). A
// branch on a flag that is constant for a whole call, rather than a function chosen per call,
// keeps each call site monomorphic, so V8 inlines both. Module-local copies of the kernels: a
// transpiler's CommonJS output reads an imported binding through a getter, once per element.
const sigmoid32 = sigmoid32Binding;
const tanh32 = tanh32Binding;

function sig(f32: boolean, z: number): number {
  return f32 ? sigmoid32(z) : logistic(z);
}

function th(f32: boolean, z: number): number {
  return f32 ? tanh32(z) : Math.tanh(z);
}

/**
 * Scratch that lives only within one call (the backward's dZ, the forward's recurrent share
 * R): kept between calls through a WeakRef, so that a training loop reuses it instead of
 * allocating and faulting in megabytes each step, while the garbage collector may still take
 * it back once the loop is over. Contents are whatever the last call left.
 */
const scratchRefs: Record<FloatDType, WeakRef<Float> | null> = { float64: null, float32: null };
function scratch(dt: FloatDType, n: number): Float {
  let buf = scratchRefs[dt]?.deref();
  if (buf === undefined || buf.length < n) {
    buf = alloc(dt, n);
    scratchRefs[dt] = new WeakRef(buf);
  }
  return buf.length === n ? buf : buf.subarray(0, n);
}

interface Dims {
  nX: number;
  nA: number;
  m: number;
  nY: number;
}

/** Checks the parameters against n_a, n_x and returns n_y (0 without Wy/by). */
function checkParameters(op: string, p: LSTMParameters, nA: number, nX: number, origin: string): number {
  if (p === null || typeof p !== "object") throw new ValueError(`${op}: parameters must be an object {Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy?, by?}`);
  const K = nA + nX;
  for (const g of GATES) {
    const W = arrayArg(op, `parameters.W${g}`, p[`W${g}`]);
    const b = arrayArg(op, `parameters.b${g}`, p[`b${g}`]);
    expectShape(op, `parameters.W${g}`, W, [nA, K], `(n_a, n_a + n_x) with ${origin}`);
    expectShape(op, `parameters.b${g}`, b, [nA, 1], `(n_a, 1) with ${origin}`);
  }
  if (p.Wy === undefined && p.by === undefined) return 0;
  const Wy = arrayArg(op, "parameters.Wy", p.Wy);
  const by = arrayArg(op, "parameters.by", p.by);
  expectRank(op, "parameters.Wy", Wy, 2, "(n_y, n_a)");
  const nY = Wy.shape[0]!;
  expectShape(op, "parameters.Wy", Wy, [nY, nA], `(n_y, n_a) with ${origin}`);
  expectShape(op, "parameters.by", by, [nY, 1], `(n_y, 1) with n_y = ${nY} from parameters.Wy ${fmtShape(Wy.shape)}`);
  return nY;
}

/** W = [Wf; Wi; Wc; Wo] (4n_a, K) and b likewise (4n_a), in `dt`. */
function stackGates(p: LSTMParameters, nA: number, K: number, dt: FloatDType): { W: Float; b: Float } {
  const W = alloc(dt, 4 * nA * K);
  const b = alloc(dt, 4 * nA);
  GATES.forEach((g, k) => {
    load2(p[`W${g}`], W, k * nA * K, K);
    load2(p[`b${g}`], b, k * nA, 1);
  });
  return { W, b };
}

// ---------------------------------------------------------------- the forward sequence

/**
 * The forward pass's storage. Time-major blocks: a (rows, T, m) buffer holds step t's (rows, m)
 * matrix at offset t*m with row stride T*m.
 */
interface Sequence {
  dims: Dims;
  T: number;
  K: number;
  /** every buffer's dtype: float32 when all the forward's array arguments are */
  dtype: FloatDType;
  W: Float;
  /** (K, T+1, m): rows [0, n_a) at slot s hold a_{s-1} (slot 0: a0); rows [n_a, K) at slot t hold x_t. So slot t is z_t. */
  Z: Float;
  /** (4n_a, T, m): the activated gates f, i, g, o */
  G: Float;
  /** (n_a, T, m): c_t and tanh(c_t) */
  C: Float;
  TC: Float;
  /** (n_a, m) */
  c0: Float;
  /**
   * Z, C, G and c0 as flat arrays: every view handed out (a, c, the step caches) is made from
   * these, so it shares their version counter, and lstmBackward can tell when one was written.
   */
  bases: NDArray[];
  versions: number[];
  x: NDArray;
  a0: NDArray;
  c0Array: NDArray | null;
  parameters: LSTMParameters;
}

/** Which sequence a step list came from, so that lstmBackward can use its storage. */
const sequenceOf = new WeakMap<LSTMCellCache[], Sequence>();
/** Which sequence and step a single cache belongs to (for lstmCellBackward's stacked weights). */
const stepOf = new WeakMap<LSTMCellCache, { seq: Sequence; t: number }>();

/** `shown` is the input as the caller passed it, for messages (lstmCellForward's xt is 2-D). */
function runForward(op: string, x: NDArray, a0: NDArray, p: LSTMParameters, c0Arg: NDArray | undefined, xName: string, aName: string, shown = x): Sequence {
  expectRank(op, xName, x, 3, "(n_x, m, T_x)");
  expectRank(op, aName, a0, 2, "(n_a, m)");
  const [nX, m, T] = [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  const nA = a0.shape[0]!;
  if (a0.shape[1] !== m) {
    throw new ShapeError(`${op}: ${aName} has shape ${fmtShape(a0.shape)}, expected [${nA},${m}] (n_a, m) with m = ${m} from ${xName} ${fmtShape(shown.shape)}`);
  }
  const origin = `n_a = ${nA} from ${aName} ${fmtShape(a0.shape)} and n_x = ${nX} from ${xName} ${fmtShape(shown.shape)}`;
  const nY = checkParameters(op, p, nA, nX, origin);
  const c0Array = c0Arg === undefined ? null : arrayArg(op, "c0", c0Arg);
  if (c0Array) expectShape(op, op === "lstmCellForward" ? "c_prev" : "c0", c0Array, [nA, m], `(n_a, m) like ${aName}`);

  const K = nA + nX;
  const dt = computeDType([x, a0, ...gateArrays(p), ...(c0Array ? [c0Array] : []), ...(nY > 0 ? [p.Wy!, p.by!] : [])]);
  const f32 = dt === "float32";
  const { W, b } = stackGates(p, nA, K, dt);
  const S = (T + 1) * m; // row stride of Z
  const Z = alloc(dt, K * S);
  load2(a0, Z, 0, S);
  // x_t into rows [n_a, K) of slot t, read through x's own strides
  {
    const [s0, s1, s2] = [x.strides[0]!, x.strides[1]!, x.strides[2]!];
    const xd = x.data;
    for (let k = 0; k < nX; k++) {
      for (let t = 0; t < T; t++) {
        const q = (nA + k) * S + t * m;
        const p0 = x.offset + k * s0 + t * s2;
        for (let j = 0; j < m; j++) Z[q + j] = xd[p0 + j * s1]!;
      }
    }
  }
  const c0 = alloc(dt, nA * m);
  if (c0Array) load2(c0Array, c0, 0, m);

  const TM = T * m;
  const G = alloc(dt, 4 * nA * TM);
  const C = alloc(dt, nA * TM);
  const TC = alloc(dt, nA * TM);
  // x's share of every step's pre-activations at once: G = W[:, n_a:] · [x_0 ... x_{T-1}]
  gemm(4 * nA, TM, nX, W, nA, K, 1, Z, nA * S, S, 1, G, 0, TM, 1);
  const R = scratch(dt, 4 * nA * m); // overwritten by each step's product
  for (let t = 0; t < T; t++) {
    // the recurrent share: R = W[:, :n_a] · a_{t-1}
    gemm(4 * nA, m, nA, W, 0, K, 1, Z, t * m, S, 1, R, 0, m, 1);
    cellStep(f32, t, T, nA, m, b, R, G, C, TC, Z, c0);
  }
  const bases = [Z, C, G, c0].map((d) => new NDArray(d, [d.length]));
  return { dims: { nX, nA, m, nY }, T, K, dtype: dt, W, Z, G, C, TC, c0, bases, versions: bases.map((b) => b.version), x, a0, c0Array, parameters: p };
}

/**
 * Step t's gates and states, from its pre-activations less the bias (x's share in G, the
 * recurrent share in R), into G, C, TC and a_t into Z's slot t+1. Kept apart from runForward so
 * that V8's inlining budget, spent per optimised function, goes to this loop's activations.
 */
function cellStep(f32: boolean, t: number, T: number, nA: number, m: number, b: Float, R: Float, G: Float, C: Float, TC: Float, Z: Float, c0: Float): void {
  const TM = T * m;
  const S = (T + 1) * m;
  for (let q = 0; q < nA; q++) {
    const rowF = q * TM + t * m;
    const rowI = rowF + nA * TM;
    const rowG = rowI + nA * TM;
    const rowO = rowG + nA * TM;
    const bf = b[q]!, bi = b[nA + q]!, bg = b[2 * nA + q]!, bo = b[3 * nA + q]!;
    const rf = q * m, ri = (nA + q) * m, rg = (2 * nA + q) * m, ro = (3 * nA + q) * m;
    const prev = t === 0 ? -1 : q * TM + (t - 1) * m;
    const out = q * S + (t + 1) * m;
    for (let j = 0; j < m; j++) {
      // each value is stored, then read back: in float32 what follows uses the rounded value
      G[rowF + j] = sig(f32, G[rowF + j]! + R[rf + j]! + bf);
      G[rowI + j] = sig(f32, G[rowI + j]! + R[ri + j]! + bi);
      G[rowG + j] = th(f32, G[rowG + j]! + R[rg + j]! + bg);
      G[rowO + j] = sig(f32, G[rowO + j]! + R[ro + j]! + bo);
      const f = G[rowF + j]!, i = G[rowI + j]!, g = G[rowG + j]!, o = G[rowO + j]!;
      const cp = prev < 0 ? c0[q * m + j]! : C[prev + j]!;
      C[rowF + j] = f * cp + i * g;
      TC[rowF + j] = th(f32, C[rowF + j]!);
      Z[out + j] = o * TC[rowF + j]!;
    }
  }
}

/** ŷ for every step: softmax over rows of Wy a_t + by, as a (n_y, T, m) buffer in the sequence's dtype. */
function predictions(seq: Sequence): Float {
  const { nA, nY, m } = seq.dims;
  const T = seq.T;
  const TM = T * m;
  const Wy = alloc(seq.dtype, nY * nA);
  const by = alloc(seq.dtype, nY);
  load2(seq.parameters.Wy!, Wy, 0, nA);
  load2(seq.parameters.by!, by, 0, 1);
  const Y = alloc(seq.dtype, nY * TM);
  // a_0 ... a_{T-1} are slots 1..T of Z's top rows: one product for all steps
  gemm(nY, TM, nA, Wy, 0, nA, 1, seq.Z, m, (T + 1) * m, 1, Y, 0, TM, 1);
  for (let p = 0; p < TM; p++) {
    // shift by the column's own max, so no column underflows because another is large
    // (an assignment's value is the unrounded one: read the stored element back instead)
    let mx = -Infinity;
    for (let r = 0; r < nY; r++) {
      Y[r * TM + p]! += by[r]!;
      mx = Math.max(mx, Y[r * TM + p]!);
    }
    let s = 0;
    for (let r = 0; r < nY; r++) {
      Y[r * TM + p] = Math.exp(Y[r * TM + p]! - mx);
      s += Y[r * TM + p]!;
    }
    for (let r = 0; r < nY; r++) Y[r * TM + p]! /= s;
  }
  return Y;
}

/** A (rows, m) step view of a time-major (·, T, m) buffer starting at row r0. */
function stepView(base: NDArray, r0: number, rows: number, T: number, m: number, t: number): NDArray {
  return base.view([rows, m], [T * m, 1], r0 * T * m + t * m);
}

/** A (rows, m, T) view of a time-major (rows, T, m) buffer: the notebook's layout, no copy. */
function sequenceView(data: Float | NDArray, rows: number, T: number, m: number, rowStride = T * m, offset = 0): NDArray {
  const base = data instanceof NDArray ? data : new NDArray(data, [data.length]);
  return base.view([rows, m, T], [rowStride, 1, m], offset);
}

function stepCaches(seq: Sequence, xtOf: (t: number) => NDArray): LSTMCellCache[] {
  const { nA, m } = seq.dims;
  const T = seq.T;
  const [Z, C, G, c0Base] = seq.bases as [NDArray, NDArray, NDArray, NDArray];
  const S = (T + 1) * m;
  const c0 = seq.c0Array ?? c0Base.reshape([nA, m]);
  const steps: LSTMCellCache[] = [];
  for (let t = 0; t < T; t++) {
    const cache: LSTMCellCache = {
      aNext: Z.view([nA, m], [S, 1], (t + 1) * m),
      cNext: stepView(C, 0, nA, T, m, t),
      aPrev: t === 0 ? seq.a0 : Z.view([nA, m], [S, 1], t * m),
      cPrev: t === 0 ? c0 : stepView(C, 0, nA, T, m, t - 1),
      ft: stepView(G, 0, nA, T, m, t),
      it: stepView(G, nA, nA, T, m, t),
      cct: stepView(G, 2 * nA, nA, T, m, t),
      ot: stepView(G, 3 * nA, nA, T, m, t),
      xt: xtOf(t),
      parameters: seq.parameters,
    };
    stepOf.set(cache, { seq, t });
    steps.push(cache);
  }
  sequenceOf.set(steps, seq);
  return steps;
}

function paramDTypes(p: LSTMParameters): Record<string, DType> {
  const out: Record<string, DType> = {};
  for (const g of GATES) {
    out[`W${g}`] = resultDType(p[`W${g}`]);
    out[`b${g}`] = resultDType(p[`b${g}`]);
  }
  return out;
}

function gateArrays(p: LSTMParameters): NDArray[] {
  return GATES.flatMap((g) => [p[`W${g}`], p[`b${g}`]]);
}

/** The forward's results are float32 when x, a0 and the gates are (even if c0, Wy or by are not, then cast). */
function forwardDType(x: NDArray, a0: NDArray, p: LSTMParameters): DType {
  return computeDType([x, a0, ...gateArrays(p)]);
}

// ---------------------------------------------------------------- the public functions

/**
 * One LSTM step: `lstmCellForward(xt, aPrev, cPrev, parameters)` with xt (n_x, m) and the states
 * (n_a, m). Returns the next states, the prediction and the cache lstmCellBackward needs.
 * Computes in float32 when every array argument is float32, else in float64 (dtypes as lstmForward's).
 */
export function lstmCellForward(xt: NDArray, aPrev: NDArray, cPrev: NDArray, parameters: LSTMParameters): LSTMCellForwardResult {
  const op = "lstmCellForward";
  arrayArg(op, "xt", xt);
  arrayArg(op, "a_prev", aPrev);
  arrayArg(op, "c_prev", cPrev);
  expectRank(op, "xt", xt, 2, "(n_x, m)");
  const seq = runForward(op, xt.unsqueeze(2), aPrev, parameters, cPrev, "xt", "a_prev", xt);
  const [cache] = stepCaches(seq, () => xt) as [LSTMCellCache];
  const { nA, nY, m } = seq.dims;
  const dt = forwardDType(xt, aPrev, parameters);
  const ytPred = nY > 0 ? cast(new NDArray(predictions(seq), [nY, m]), dt) : null;
  return { aNext: cast(cache.aNext, dt), cNext: cast(seq.bases[1]!.reshape([nA, m]), dt), ytPred, cache };
}

/**
 * The whole sequence: `lstmForward(x, a0, parameters)` with x (n_x, m, T_x) and a0 (n_a, m); the
 * cell state starts at zeros (or options.c0). a, c and y come back in the notebook's
 * (rows, m, T_x) shape as views over time-major storage (strides (T_x*m, 1, m)) that the caches
 * share: read them freely, but copy before writing into them (lstmBackward refuses caches whose
 * storage was written after the forward).
 *
 * Dtypes, as numpy's for float32: when x, a0, c0 and every parameter are float32, all of it is
 * computed in float32 (float32 buffers, the float32 gemm) and a, c, y and the caches are float32.
 * With any float64 (or other) argument it is computed in float64; a, c and y are then still
 * float32 when x, a0 and the gate parameters are (cast at the end), and the caches are float64.
 */
export function lstmForward(x: NDArray, a0: NDArray, parameters: LSTMParameters, options: LSTMForwardOptions = {}): LSTMForwardResult {
  const op = "lstmForward";
  arrayArg(op, "x", x);
  arrayArg(op, "a0", a0);
  const seq = runForward(op, x, a0, parameters, options.c0, "x", "a0");
  const steps = stepCaches(seq, (t) => x.slice(null, null, t));
  const { nA, nY, m } = seq.dims;
  const T = seq.T;
  const dt = forwardDType(x, a0, parameters);
  const a = sequenceView(seq.bases[0]!, nA, T, m, (T + 1) * m, m);
  const c = sequenceView(seq.bases[1]!, nA, T, m);
  const y = nY > 0 ? cast(sequenceView(predictions(seq), nY, T, m), dt) : null;
  return { a: cast(a, dt), y, c: cast(c, dt), caches: [steps, x] };
}

/**
 * One step back: the gradients of a loss L with ∂L/∂a_next = daNext and ∂L/∂c_next = dcNext
 * (both (n_a, m)). Works from the cache of lstmCellForward or of any step of lstmForward.
 * Computes in float32 when daNext, dcNext, the cache's arrays and the weights are all float32,
 * else in float64; each gradient has the dtype of what it is the gradient of (float32 or float64).
 */
export function lstmCellBackward(daNext: NDArray, dcNext: NDArray, cache: LSTMCellCache): LSTMCellGradients {
  const op = "lstmCellBackward";
  arrayArg(op, "da_next", daNext);
  arrayArg(op, "dc_next", dcNext);
  if (cache === null || typeof cache !== "object") throw new ValueError(`${op}: cache must be the cache of lstmCellForward or of a step of lstmForward`);
  const names = ["aNext", "cNext", "aPrev", "cPrev", "ft", "it", "cct", "ot", "xt"] as const;
  for (const n of names) arrayArg(op, `cache.${n}`, cache[n]);
  expectRank(op, "cache.a_next", cache.aNext, 2, "(n_a, m)");
  expectRank(op, "cache.xt", cache.xt, 2, "(n_x, m)");
  const [nA, m] = [cache.aNext.shape[0]!, cache.aNext.shape[1]!];
  const nX = cache.xt.shape[0]!;
  const K = nA + nX;
  const why = `(n_a, m) like cache.a_next ${fmtShape(cache.aNext.shape)}`;
  expectShape(op, "da_next", daNext, [nA, m], why);
  expectShape(op, "dc_next", dcNext, [nA, m], why);
  for (const n of ["cNext", "aPrev", "cPrev", "ft", "it", "cct", "ot"] as const) expectShape(op, `cache.${n}`, cache[n], [nA, m], why);
  expectShape(op, "cache.xt", cache.xt, [nX, m], `(n_x, m) with m = ${m} from cache.a_next`);

  const home = stepOf.get(cache);
  if (!home) checkParameters(op, cache.parameters, nA, nX, `n_a = ${nA}, n_x = ${nX} from the cache`);
  // float32 when every array is: the cache's, the gradients', and the weights' (the forward's, or the cache's parameters)
  const cached = [cache.cNext, cache.aPrev, cache.cPrev, cache.ft, cache.it, cache.cct, cache.ot, cache.xt];
  const dt = home && home.seq.dtype === "float64" ? "float64" : computeDType([daNext, dcNext, ...cached, ...(home ? [] : gateArrays(cache.parameters))]);
  const f32 = dt === "float32";
  const W = home ? inDType(home.seq.W, dt) : stackGates(cache.parameters, nA, K, dt).W;

  // the cache's arrays as blocks in dt: gates f, i, g, o stacked like W's rows
  const Gt = alloc(dt, 4 * nA * m);
  [cache.ft, cache.it, cache.cct, cache.ot].forEach((v, k) => load2(v, Gt, k * nA * m, m));
  const cN = alloc(dt, nA * m);
  const cP = alloc(dt, nA * m);
  const dA = alloc(dt, nA * m);
  const dC = alloc(dt, nA * m);
  load2(cache.cNext, cN, 0, m);
  load2(cache.cPrev, cP, 0, m);
  load2(daNext, dA, 0, m);
  load2(dcNext, dC, 0, m);
  const z = alloc(dt, K * m); // z_t = [a_prev; xt]
  load2(cache.aPrev, z, 0, m);
  load2(cache.xt, z, nA * m, m);

  const dZ = alloc(dt, 4 * nA * m);
  const dcPrev = alloc(dt, nA * m);
  const nm = nA * m;
  const tcN = alloc(dt, nm); // tanh(c_next), rounded to dt as the forward stored it
  for (let p = 0; p < nm; p++) tcN[p] = th(f32, cN[p]!);
  for (let p = 0; p < nm; p++) {
    const f = Gt[p]!, i = Gt[nm + p]!, g = Gt[2 * nm + p]!, o = Gt[3 * nm + p]!;
    const tc = tcN[p]!;
    const da = dA[p]!;
    const dc = da * o * (1 - tc * tc) + dC[p]!;
    dZ[p] = dc * cP[p]! * f * (1 - f);
    dZ[nm + p] = dc * g * i * (1 - i);
    dZ[2 * nm + p] = dc * i * (1 - g * g);
    dZ[3 * nm + p] = da * tc * o * (1 - o);
    dcPrev[p] = dc * f;
  }
  const dW = alloc(dt, 4 * nA * K);
  gemm(4 * nA, K, m, dZ, 0, m, 1, z, 0, 1, m, dW, 0, K, 1); // dZ · zᵀ
  const db = rowSums(dZ, 4 * nA, m, m);
  const dz = alloc(dt, K * m);
  gemm(K, m, 4 * nA, W, 0, 1, K, dZ, 0, m, 1, dz, 0, m, 1); // Wᵀ · dZ

  const p = cache.parameters;
  const daPrev = cast(new NDArray(dz, [nA, m]), resultDType(cache.aPrev));
  const dcPrevA = cast(new NDArray(dcPrev, [nA, m]), resultDType(cache.cPrev));
  return {
    dxt: cast(new NDArray(dz, [nX, m], [m, 1], nA * m), resultDType(cache.xt)),
    da_prev: daPrev,
    dc_prev: dcPrevA,
    daPrev,
    dcPrev: dcPrevA,
    ...gateGradients(dW, db, nA, K, paramDTypes(p)),
  };
}

/**
 * Backward through time for the loss L = Σ_t sum(da[:, :, t] * a[:, :, t]) (+ Σ_t sum(dc * c) with
 * options.dc), carrying the hidden- and cell-state gradients from each step to the one before.
 * da is (n_a, m, T_da) with T_da <= T_x: it covers the first T_da steps (as in the notebook's
 * example, where T_da = 4 < T_x = 7) and later steps receive no gradient. dx keeps x's full shape
 * (n_x, m, T_x) and is zero at every step t >= max(T_da, T_dc), since no later input reaches the loss.
 * Computes in float32 when the forward did and da (and dc) are float32, else in float64; each
 * gradient has the dtype of what it is the gradient of (float32 or float64).
 *
 * @example
 * ```ts
 * const rs = new nd.RandomState(0);
 * const p = new LSTMCell(3, 5).toNotebookParams(); // n_x 3, n_a 5
 * const { a, caches } = lstmForward(rs.randn(3, 10, 7), rs.randn(5, 10), p); // m 10, T_x 7
 * a.shape; // [5, 10, 7]
 * const g = lstmBackward(rs.randn(5, 10, 4), caches); // da for the first 4 steps
 * g.dx.shape; // [3, 10, 7], zero from step 4 on
 * g.dWf.shape; // [5, 8]; g.dbf.shape: [5, 1]
 * ```
 */
export function lstmBackward(da: NDArray, caches: LSTMCaches, options: LSTMBackwardOptions = {}): LSTMGradients {
  const op = "lstmBackward";
  arrayArg(op, "da", da);
  const steps = Array.isArray(caches) ? caches[0] : undefined;
  const seq = steps === undefined ? undefined : sequenceOf.get(steps);
  if (seq === undefined || caches[1] !== seq.x) {
    throw new ValueError(`${op}: caches must be the caches returned by lstmForward (the pair [steps, x], unchanged)`);
  }
  if (seq.bases.some((b, k) => b.version !== seq.versions[k])) {
    throw new ValueError(`${op}: the forward's a, c or caches were written in place after lstmForward; the gradient would not match the forward (copy them before writing)`);
  }
  const { nX, nA, m } = seq.dims;
  const T = seq.T, K = seq.K;
  const bound = (name: string, g: NDArray): number => {
    expectRank(op, name, g, 3, "(n_a, m, T)");
    const Tg = g.shape[2]!;
    if (g.shape[0] !== nA || g.shape[1] !== m || Tg > T) {
      throw new ShapeError(`${op}: ${name} has shape ${fmtShape(g.shape)}, expected [${nA},${m},T] with T <= T_x = ${T} (n_a, m from the forward's a0 ${fmtShape(seq.a0.shape)}, T_x from x ${fmtShape(seq.x.shape)})`);
    }
    return Tg;
  };
  const Tda = bound("da", da);
  const dc = options.dc === undefined ? null : arrayArg(op, "options.dc", options.dc);
  const Tdc = dc ? bound("options.dc", dc) : 0;
  const Te = Math.max(Tda, Tdc); // no gradient reaches a step at or after Te
  const TM = T * m;
  const EM = Te * m;
  const S = (T + 1) * m;
  // float32 when the forward was and da (and dc) are; a float64 da after a float32 forward
  // reads the forward's buffers as float64 (exactly)
  const dt: FloatDType = seq.dtype === "float32" && da.dtype === "float32" && (!dc || dc.dtype === "float32") ? "float32" : "float64";
  const [W, Z, G, C, TC, c0] = [seq.W, seq.Z, seq.G, seq.C, seq.TC, seq.c0].map((b) => inDType(b, dt)) as [Float, Float, Float, Float, Float, Float];

  const dZ = scratch(dt, 4 * nA * EM); // (4n_a, Te, m), every element written below
  const aBar = alloc(dt, nA * m); // what step t+1 sends back to a_t
  const cBar = alloc(dt, nA * m); // ... and to c_t
  const [a0s, a1s, a2s] = [da.strides[0]!, da.strides[1]!, da.strides[2]!];
  const [c0s, c1s, c2s] = dc ? [dc.strides[0]!, dc.strides[1]!, dc.strides[2]!] : [0, 0, 0];
  for (let t = Te - 1; t >= 0; t--) {
    const hasA = t < Tda;
    const hasC = t < Tdc;
    for (let q = 0; q < nA; q++) {
      const gF = q * TM + t * m;
      const gI = gF + nA * TM;
      const gG = gI + nA * TM;
      const gO = gG + nA * TM;
      const dF = q * EM + t * m;
      const dI = dF + nA * EM;
      const dG = dI + nA * EM;
      const dO = dG + nA * EM;
      const prev = t === 0 ? -1 : q * TM + (t - 1) * m;
      const pa = da.offset + q * a0s + t * a2s;
      const pc = dc ? dc.offset + q * c0s + t * c2s : 0;
      for (let j = 0; j < m; j++) {
        const k = q * m + j;
        const ab = aBar[k]! + (hasA ? da.data[pa + j * a1s]! : 0);
        const cb = cBar[k]! + (hasC ? dc!.data[pc + j * c1s]! : 0);
        const f = G[gF + j]!, i = G[gI + j]!, g = G[gG + j]!, o = G[gO + j]!;
        const tc = TC[gF + j]!;
        const cp = prev < 0 ? c0[k]! : C[prev + j]!;
        const ch = cb + ab * o * (1 - tc * tc); // ĉ_t
        dZ[dF + j] = ch * cp * f * (1 - f);
        dZ[dI + j] = ch * g * i * (1 - i);
        dZ[dG + j] = ch * i * (1 - g * g);
        dZ[dO + j] = ab * tc * o * (1 - o);
        cBar[k] = ch * f;
      }
    }
    // ā_{t-1} = W[:, :n_a]ᵀ · dZ_t
    gemm(nA, m, 4 * nA, W, 0, 1, K, dZ, t * m, EM, 1, aBar, 0, m, 1);
  }

  // every step at once: dW = dZ · [z_0 ... z_{Te-1}]ᵀ, db = dZ summed over steps and batch
  const dW = alloc(dt, 4 * nA * K);
  gemm(4 * nA, K, EM, dZ, 0, EM, 1, Z, 0, 1, S, dW, 0, K, 1);
  const db = rowSums(dZ, 4 * nA, EM, EM);
  // dx_t = W[:, n_a:]ᵀ · dZ_t, into a time-major (n_x, T, m) buffer whose later steps stay zero
  const dxBuf = alloc(dt, nX * TM);
  gemm(nX, EM, 4 * nA, W, nA, 1, K, dZ, 0, EM, 1, dxBuf, 0, TM, 1);

  return {
    dx: cast(sequenceView(dxBuf, nX, T, m), resultDType(seq.x)),
    da0: cast(new NDArray(aBar, [nA, m]), resultDType(seq.a0)),
    // without options.c0, the forward started from zeros of its own dtype
    dc0: cast(new NDArray(cBar, [nA, m]), seq.c0Array ? resultDType(seq.c0Array) : seq.dtype),
    ...gateGradients(dW, db, nA, K, paramDTypes(seq.parameters)),
  };
}

/** Row sums, each accumulated in a float64 scalar and rounded once at the store into out (a's dtype). */
function rowSums(a: Float, rows: number, cols: number, rs: number): Float {
  const out = a instanceof Float32Array ? new Float32Array(rows) : new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const p = r * rs;
    for (let j = 0; j < cols; j++) s += a[p + j]!;
    out[r] = s;
  }
  return out;
}

/** Splits the stacked (4n_a, K) dW and (4n_a) db into the notebook's eight fields (views of one buffer each). */
function gateGradients(dW: Float, db: Float, nA: number, K: number, dtypes: Record<string, DType>) {
  const part = (k: number, name: string) => ({
    W: cast(new NDArray(dW, [nA, K], [K, 1], k * nA * K), dtypes[`W${name}`] ?? "float64"),
    b: cast(new NDArray(db, [nA, 1], [1, 1], k * nA), dtypes[`b${name}`] ?? "float64"),
  });
  const [f, i, c, o] = [part(0, "f"), part(1, "i"), part(2, "c"), part(3, "o")];
  return { dWf: f.W, dbf: f.b, dWi: i.W, dbi: i.b, dWc: c.W, dbc: c.b, dWo: o.W, dbo: o.b };
}
