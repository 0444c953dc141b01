// The part of the wasm gemm that a thread runs: rows of C (or some of their columns) for one
// column chunk of packed B, over all of K. The main thread runs it for its own rows (and, on one thread, for every
// block), and each worker runs it from its source text (wasm/threads.ts builds the worker
// from `runRows.toString()`), so it is self-contained: no import, no closure, no constant
// from outside. Its arguments come as integers in an Int32Array, because a worker reads them
// from shared memory.
//
// Each element of C is the same sequence of multiply-adds over K (in KC blocks, in order)
// whichever rows or columns a thread is given, so any split gives the bits of one thread.

/** The exports of gemm.wat that runRows calls. */
export interface RowsKernel {
  pack(dst: number, src: number, os: number, ks: number, n: number, kc: number, f32: number, w: number): void;
  gemm_f64(mc: number, nc: number, kc: number, pa: number, pb: number, pc: number, ldc: number, acc: number): void;
  gemm_f32(mc: number, nc: number, kc: number, pa: number, pb: number, pc: number, ldc: number, acc: number): void;
}

/** How many integers runRows reads. */
export const ROWS_ARG_COUNT = 20;

/**
 * C rows [0, rows) by ncPad columns of one column chunk, written row-major at element pC with
 * row stride ncPad (rows padded to a multiple of MR). A's row 0 lies at element a0 of wasm
 * memory with strides ars, acs; the chunk's packed B is at pB, in KC-row blocks ldB columns
 * wide (block pc at pB + pc * ldB, in NR-column slivers), of which these columns start at
 * column j0 (a multiple of NR; 0 and ldB = ncPad for all of them). pA is this thread's room
 * for one packed MC x KC block of A. bCols > 0: first pack these columns of B (bCols of them,
 * zero-padded to ncPad, in NR-column slivers) from its staged copy at b0 with strides brs, bcs
 * (each thread packs its own columns); 0: the caller packed B. All positions are in elements
 * of the dtype (f32 = 1: float32, else float64).
 */
export function runRows(k: RowsKernel, p: Int32Array, at: number): void {
  const f = p[at]!, rows = p[at + 1]!, K = p[at + 2]!, ncPad = p[at + 3]!;
  const a0 = p[at + 4]!, ars = p[at + 5]!, acs = p[at + 6]!;
  const pB = p[at + 7]!, pA = p[at + 8]!, pC = p[at + 9]!;
  const MR = p[at + 10]!, MC = p[at + 11]!, KC = p[at + 12]!, ldB = p[at + 13]!, j0 = p[at + 14]!;
  const bCols = p[at + 15]!, b0 = p[at + 16]!, brs = p[at + 17]!, bcs = p[at + 18]!, NR = p[at + 19]!;
  const E = f === 1 ? 4 : 8;
  if (bCols > 0) {
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      k.pack((pB + pc * ldB + j0 * kc) * E, (b0 + pc * brs) * E, bcs * E, brs * E, bCols, kc, f, NR);
    }
  }
  for (let ic = 0; ic < rows; ic += MC) {
    const mc = Math.min(MC, rows - ic);
    const mcPad = Math.ceil(mc / MR) * MR;
    const o = a0 + ic * ars;
    const q = (pC + ic * ncPad) * E;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const b = (pB + pc * ldB + j0 * kc) * E;
      k.pack(pA * E, (o + pc * acs) * E, ars * E, acs * E, mc, kc, f, MR);
      if (f === 1) k.gemm_f32(mcPad, ncPad, kc, pA * E, b, q, ncPad * E, pc === 0 ? 0 : 1);
      else k.gemm_f64(mcPad, ncPad, kc, pA * E, b, q, ncPad * E, pc === 0 ? 0 : 1);
    }
  }
}
