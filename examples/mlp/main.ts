// Trains a small MLP classifier with Adam on a 2-D toy data set made in code (two moons or three
// spirals), reports train and held-out test accuracy, and draws the decision boundary as an SVG.
//
//   pnpm example mlp                        # two moons: 99.5% test accuracy, a few seconds on 2 cores
//   pnpm example mlp --dataset spirals      # three interleaved spirals: 99.5% test accuracy

import { join } from "node:path";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Adam, Linear, Module, ReLU, Sequential, crossEntropy } from "@tapegrad/nn";
import { parseOptions } from "../lib/cli.js";
import { Progress, formatDuration, devNull } from "../lib/progress.js";
import { decisionBoundary } from "../lib/svg.js";
import { writeAtomic } from "../lib/files.js";

const spec = {
  dataset: { type: "string", choices: ["moons", "spirals"], default: "moons", help: "moons (2 classes) or spirals (3 classes)" },
  points: { type: "integer", min: 5, default: 1000, help: "points in all; a fifth are held out for testing" },
  noise: { type: "number", min: 0, help: "Gaussian jitter (moons: std in coordinates, default 0.15; spirals: std of the angle in radians, default 0.2)" },
  hidden: { type: "integer", min: 1, default: 32, help: "units per hidden layer" },
  layers: { type: "integer", min: 0, default: 2, help: "hidden layers (each Linear then ReLU)" },
  lr: { type: "number", above: 0, default: 0.01, help: "Adam learning rate" },
  steps: { type: "integer", min: 1, default: 600, help: "training steps (each on the whole training set)" },
  seed: { type: "integer", min: 0, max: 2 ** 32 - 2, default: 1, help: "random seed (data, split and weights)" },
  out: { type: "string", file: "outdir", default: "out/mlp", help: "output folder (decision-boundary SVG)" },
  json: { type: "boolean", help: "end with a one-line JSON summary" },
  quiet: { type: "boolean", help: "print nothing but the --json line" },
  "no-compile": { type: "boolean", help: "run the training step eagerly instead of compiled (the same numbers, slower)" },
} as const;

export interface Summary {
  dataset: string;
  steps: number;
  seconds: number;
  initialLoss: number;
  finalLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
}

interface Points {
  x: nd.NDArray; // (n, 2) float64
  y: Int32Array; // class of each point
  classes: number;
}

/**
 * Two interleaving half circles (as scikit-learn's make_moons), shifted to centre on the origin.
 * The angle is drawn at random rather than evenly spaced so that train and test points differ.
 */
function moons(n: number, noise: number, rng: RandomState): Points {
  const t = rng.rand(n).toFlat();
  const jitter = rng.randn(n, 2).toFlat();
  const x = new Float64Array(2 * n);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const a = Math.PI * t[k]!;
    const c = k % 2; // alternate classes so both have n/2 points
    x[2 * k] = (c === 0 ? Math.cos(a) : 1 - Math.cos(a)) - 0.5 + noise * jitter[2 * k]!;
    x[2 * k + 1] = (c === 0 ? Math.sin(a) : 0.5 - Math.sin(a)) - 0.25 + noise * jitter[2 * k + 1]!;
    y[k] = c;
  }
  return { x: new nd.NDArray(x, [n, 2]), y, classes: 2 };
}

/**
 * Three spiral arms (CS231n's toy set): the radius grows from 0 to 1 while the angle turns by 4
 * radians, and the noise is on the angle, so the arms blur into each other near the centre.
 */
function spirals(n: number, noise: number, rng: RandomState): Points {
  const K = 3;
  const r = rng.rand(n).toFlat();
  const jitter = rng.randn(n).toFlat();
  const x = new Float64Array(2 * n);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const c = k % K;
    const a = 4 * (c + r[k]!) + noise * jitter[k]!;
    x[2 * k] = r[k]! * Math.sin(a);
    x[2 * k + 1] = r[k]! * Math.cos(a);
    y[k] = c;
  }
  return { x: new nd.NDArray(x, [n, 2]), y, classes: K };
}

/** Linear, ReLU, ..., Linear: the last layer gives one logit per class (crossEntropy takes logits). */
function mlp(classes: number, hidden: number, layers: number, rng: RandomState): Sequential {
  const mods: Module[] = [];
  for (let l = 0; l < layers; l++) mods.push(new Linear(l === 0 ? 2 : hidden, hidden, { rng }), new ReLU());
  mods.push(new Linear(layers === 0 ? 2 : hidden, classes, { rng }));
  return new Sequential(...mods);
}

/** The class with the largest logit for each row of x. */
function predict(model: Sequential, x: nd.NDArray): number[] {
  return ag.noGrad(() => model.forward(x).data.argmax(1).toFlat());
}

function accuracy(model: Sequential, x: nd.NDArray, y: Int32Array): number {
  const p = predict(model, x);
  let right = 0;
  for (let k = 0; k < y.length; k++) if (p[k] === y[k]) right++;
  return right / y.length;
}

export async function main(argv: string[]): Promise<Summary> {
  const o = parseOptions("usage: pnpm example mlp [options]\n\nTrains a small MLP on a 2-D toy data set and draws its decision boundary.", spec, argv);
  const say = o.quiet ? () => {} : (s: string) => console.log(s);
  const make = o.dataset === "moons" ? moons : spirals;
  const noise = o.noise ?? (o.dataset === "moons" ? 0.15 : 0.2);

  // One seeded stream for everything, so a run is reproduced by its seed alone.
  const rng = new RandomState(o.seed);
  const data = make(o.points, noise, rng);
  const order = rng.permutation(o.points).toFlat();
  const nTest = Math.floor(o.points / 5);
  const pick = (idx: number[]) => ({
    x: data.x.take(idx, 0),
    y: Int32Array.from(idx, (i) => data.y[i]!),
  });
  const test = pick(order.slice(0, nTest));
  const train = pick(order.slice(nTest));
  const model = mlp(data.classes, o.hidden, o.layers, rng);
  const opt = new Adam(model.parameters(), { lr: o.lr });
  say(`data: ${o.dataset}, ${data.classes} classes, noise ${noise}; ${train.y.length} train and ${test.y.length} test points`);
  say(`model: 2 -> ${Array(o.layers).fill(o.hidden).join(" -> ")}${o.layers ? " -> " : ""}${data.classes} (ReLU), ${model.numParameters()} parameters; Adam lr ${o.lr}, full batch`);

  // Full-batch training: with a thousand points a step on all of them is cheap, and the loss
  // curve is smooth (no sampling noise).
  const labels = new nd.NDArray(train.y, [train.y.length]);
  const progress = new Progress(o.steps, 0, o.quiet ? devNull() : process.stdout);
  const t0 = performance.now();
  let initialLoss = NaN;
  let finalLoss = NaN;
  // The training step, compiled unless --no-compile (docs/compile.md).
  const trainStep = () => {
    const loss = crossEntropy(model.forward(train.x), labels);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  const runStep = o["no-compile"] ? trainStep : ag.compile(trainStep);
  for (let step = 1; step <= o.steps; step++) {
    const loss = runStep();
    finalLoss = loss.item();
    if (step === 1) initialLoss = finalLoss;
    if (step % 100 === 0) progress.log(`step ${step}: loss ${finalLoss.toFixed(4)}, test accuracy ${(100 * accuracy(model, test.x, test.y)).toFixed(1)}%`);
    progress.update(step, { loss: finalLoss.toFixed(4) });
  }
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const trainAccuracy = accuracy(model, train.x, train.y);
  const testAccuracy = accuracy(model, test.x, test.y);

  const svgPath = join(o.out, `${o.dataset}.svg`);
  writeAtomic(svgPath, boundarySvg(model, data, `${o.dataset}: test accuracy ${(100 * testAccuracy).toFixed(1)}%`));

  say(`\ndone: ${o.steps} steps in ${formatDuration(seconds)}; loss ${initialLoss.toFixed(4)} -> ${finalLoss.toFixed(4)}`);
  say(`accuracy: train ${(100 * trainAccuracy).toFixed(1)}%, test ${(100 * testAccuracy).toFixed(1)}% (chance ${(100 / data.classes).toFixed(1)}%)`);
  say(`wrote ${svgPath}`);
  const summary: Summary = {
    dataset: o.dataset, steps: o.steps, seconds: +seconds.toFixed(1), initialLoss: +initialLoss.toFixed(4),
    finalLoss: +finalLoss.toFixed(4), trainAccuracy: +trainAccuracy.toFixed(4), testAccuracy: +testAccuracy.toFixed(4),
  };
  if (o.json) console.log(JSON.stringify(summary));
  return summary;
}

/** All points over the model's predicted class on a grid, classified in one batch. */
function boundarySvg(model: Sequential, data: Points, title: string): string {
  const xs = data.x.toFlat();
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let k = 0; k < xs.length; k += 2) {
    [x0, x1] = [Math.min(x0, xs[k]!), Math.max(x1, xs[k]!)];
    [y0, y1] = [Math.min(y0, xs[k + 1]!), Math.max(y1, xs[k + 1]!)];
  }
  // A square view with a margin, so the picture is not stretched.
  const [cx, cy, half] = [(x0 + x1) / 2, (y0 + y1) / 2, Math.max(x1 - x0, y1 - y0) / 2 + 0.2];
  const grid = { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half, n: 80 };
  const centres = new Float64Array(2 * grid.n * grid.n);
  for (let i = 0; i < grid.n; i++) {
    for (let j = 0; j < grid.n; j++) {
      centres[2 * (i * grid.n + j)] = grid.x0 + ((i + 0.5) / grid.n) * (grid.x1 - grid.x0);
      centres[2 * (i * grid.n + j) + 1] = grid.y0 + ((j + 0.5) / grid.n) * (grid.y1 - grid.y0);
    }
  }
  const cls = predict(model, new nd.NDArray(centres, [grid.n * grid.n, 2]));
  // decisionBoundary asks for the class at each cell's centre; map the point back to its cell.
  const cell = (v: number, lo: number, hi: number) => Math.min(grid.n - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * grid.n)));
  const points = Array.from(data.y, (label, k) => ({ x: xs[2 * k]!, y: xs[2 * k + 1]!, label }));
  return decisionBoundary(points, { ...grid, cls: (x, y) => cls[cell(x, grid.x0, grid.x1) * grid.n + cell(y, grid.y0, grid.y1)]! }, { title });
}
