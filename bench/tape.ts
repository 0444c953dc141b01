// The tape section: what recording and replaying costs per op on tiny tensors (where the
// kernels cost next to nothing), and one training step of a small MLP (2-64-64-2, batch 64).

import * as nd from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, graphOf } from "@tapegrad/autograd";
import { Linear, Sequential, Tanh } from "@tapegrad/nn";
import { measure, type Timing } from "./lib/timing.js";
import { printTable } from "./lib/table.js";
import { tapeOverhead, type TapeOverhead } from "./tape-overhead.js";
import type { BenchOptions, Dtype } from "./options.js";

export interface MlpRow {
  layers: string;
  batch: number;
  dtype: Dtype;
  /** Recorded ops in one step's forward (the loss included). */
  ops: number | null;
  step: Timing;
}

export interface TapeResults {
  overhead: TapeOverhead[];
  mlp: MlpRow[];
}

/**
 * One SGD step: forward, cross-entropy (composed from logSoftmax), backward, and the update
 * written in place into each parameter's storage.
 */
function mlpStep(dtype: Dtype, batch: number, sizes: readonly number[]) {
  const rs = new nd.RandomState(0);
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { dtype, rng: rs }));
    if (i + 2 < sizes.length) layers.push(new Tanh());
  }
  const model = new Sequential(...layers);
  const x = new Tensor(rs.randn(batch, sizes[0]!).astype(dtype));
  const classes = sizes[sizes.length - 1]!;
  const onehot = nd.zeros([batch, classes], dtype);
  for (let b = 0; b < batch; b++) onehot.set([b, b % classes], 1);
  const target = new Tensor(onehot);
  const params = model.parameters();
  const lr = 0.01;
  const forward = () => ag.logSoftmax(model.forward(x), 1).mul(target).sum().mul(-1 / batch);
  const step = () => {
    const loss = forward();
    loss.backward();
    for (const p of params) {
      nd.sub(p.data, nd.mul(p.grad!, lr), p.data);
      p.zeroGrad();
    }
    return loss;
  };
  return { forward, step };
}

export function runTapeBench(o: BenchOptions): TapeResults {
  const overhead = tapeOverhead(o.quick ? 10_000 : 100_000, [[1], [8, 8]], o.quick ? 2 : 5);
  const sizes = [2, 64, 64, 2];
  const mlp = o.dtypes.map((dtype): MlpRow => {
    const { step } = mlpStep(dtype, 64, sizes);
    const t = measure(step, o.quick ? { warmup: 5, minRuns: 5, minTimeMs: 100 } : { warmup: 20, minRuns: 10, minTimeMs: 1000, maxTimeMs: 4000 });
    return { layers: sizes.join("-"), batch: 64, dtype, ops: graphOf(mlpStep(dtype, 64, sizes).forward()).ops.length, step: t };
  });
  return { overhead, mlp };
}

export function printTape(r: TapeResults): void {
  printTable(
    "tape: overhead per recorded op (µs/op, best of the chains), a chain of mul/add on tiny tensors",
    ["shape", "ops", "no-grad", "forward (recording)", "backward", "tape overhead", "graph bytes/op"],
    r.overhead.map((t) => [JSON.stringify(t.shape), t.nOps, t.noGradUs, t.forwardUs, t.backwardUs, t.overheadUs, t.graphBytes ?? null]),
    [
      "tape overhead = forward - no-grad + backward: what recording and replaying cost beyond the kernels.",
      "graph bytes/op: heap the recorded graph holds until backward (nodes, saved values, outputs), per op.",
    ],
  );
  printTable(
    "tape: MLP training step (forward, cross-entropy, backward, SGD update), median ms/step",
    ["layers", "batch", "dtype", "ops recorded (fwd)", "ms/step", "µs/op"],
    r.mlp.map((m) => [m.layers, m.batch, m.dtype, m.ops, m.step.medianMs, m.ops ? (m.step.medianMs * 1000) / m.ops : null]),
    ["µs/op = ms/step over the ops recorded in the forward (the backward and update are included in the time)."],
  );
}
