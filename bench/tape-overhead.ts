// The tape's cost per recorded op on tiny tensors, where the kernels cost next to nothing:
// a chain of alternating mul/add, forward (recording) then backward, in µs per recorded op.
// Run alone: npx tsx --conditions=source bench/tape-overhead.ts [nOps]; `pnpm bench tape` uses
// tapeOverhead() below.

import { fileURLToPath } from "node:url";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as nd from "@tapegrad/tensor";
import { Tensor, noGrad } from "@tapegrad/autograd";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

interface Timing { forward: number; backward: number; plain: number; bytes: number }

function chain(shape: number[], N: number): Timing {
  const x = new Tensor(nd.full(shape, 0.5), true);
  const a = new Tensor(nd.full(shape, 0.999999));
  const b = new Tensor(nd.full(shape, 1e-6));
  const body = () => {
    let y = x;
    for (let i = 0; i < N / 2; i++) y = y.mul(a).add(b);
    return y;
  };
  // the same ops with recording off: what the kernels and Tensor wrappers cost alone
  let t0 = performance.now();
  noGrad(body);
  const plain = performance.now() - t0;
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  t0 = performance.now();
  const y = body();
  const forward = performance.now() - t0;
  gc();
  // what the recorded graph holds on to until backward: its nodes, saved values and outputs
  const bytes = process.memoryUsage().heapUsed - heap0;
  t0 = performance.now();
  y.sum().backward();
  const backward = performance.now() - t0;
  // d y / d x = a^(N/2) elementwise
  const expect = Math.pow(0.999999, N / 2);
  const got = x.grad!.data[0]!;
  if (Math.abs(got - expect) > 1e-9 * expect) throw new Error(`wrong gradient ${got}, expected ${expect}`);
  return { forward, backward, plain, bytes };
}

/** µs per recorded op: with recording off, recording (forward), backward, and the tape's share. */
export interface TapeOverhead {
  shape: number[];
  nOps: number;
  noGradUs: number;
  forwardUs: number;
  backwardUs: number;
  /** forward - no-grad + backward: what recording and replaying costs beyond the kernels. */
  overheadUs: number;
  /** Heap bytes per recorded op that the graph holds until backward (nodes, saved values, outputs). */
  graphBytes: number;
}

/** Best of `runs` chains of `nOps` ops (after one warm-up chain), per shape. */
export function tapeOverhead(nOps: number, shapes: number[][] = [[1], [8, 8]], runs = 5): TapeOverhead[] {
  return shapes.map((shape) => {
    chain(shape, nOps); // warm up the JIT
    const all = Array.from({ length: runs }, () => chain(shape, nOps));
    const best = (k: keyof Timing) => Math.min(...all.map((r) => r[k]));
    const us = (ms: number) => (ms * 1000) / nOps;
    return {
      shape,
      nOps,
      noGradUs: us(best("plain")),
      forwardUs: us(best("forward")),
      backwardUs: us(best("backward")),
      overheadUs: us(best("forward") - best("plain") + best("backward")),
      graphBytes: Math.round(best("bytes") / nOps),
    };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const N = Number(process.argv[2] ?? 100_000);
  const us = (v: number) => v.toFixed(2).padStart(6);
  for (const r of tapeOverhead(N)) {
    console.log(
      `shape ${JSON.stringify(r.shape).padEnd(6)} ${N} ops: no-grad ${us(r.noGradUs)} µs/op, ` +
        `forward (recording) ${us(r.forwardUs)} µs/op, backward ${us(r.backwardUs)} µs/op, ` +
        `tape overhead (fwd - no-grad + bwd) ${us(r.overheadUs)} µs/op, graph ${r.graphBytes} bytes/op`,
    );
  }
}
