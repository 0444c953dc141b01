// A small convolutional classifier (two Conv2d + ReLU + MaxPool2d blocks, then a Linear) on
// digit images generated from a bitmap font (digits.ts); prints the test accuracy and draws
// the test images it gets wrong.
//
//   pnpm example cnn

import { join } from "node:path";
import * as nd from "@tapegrad/tensor";
import { RandomState, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Adam, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, crossEntropy } from "@tapegrad/nn";
import { parseOptions } from "../lib/cli.js";
import { writeAtomic } from "../lib/files.js";
import { SIZE, makeDigits } from "./digits.js";

const spec = {
  train: { type: "integer", min: 1, default: 4000, help: "training images" },
  test: { type: "integer", min: 1, default: 1000, help: "test images (a different seed)" },
  steps: { type: "integer", min: 1, default: 800, help: "training steps" },
  batch: { type: "integer", min: 1, default: 32, help: "images per batch" },
  channels: { type: "integer", min: 1, default: 8, help: "channels of the first conv (the second has twice as many)" },
  lr: { type: "number", above: 0, default: 0.01, help: "Adam learning rate" },
  noise: { type: "number", min: 0, default: 0.15, help: "std of the Gaussian noise on each pixel" },
  seed: { type: "integer", min: 0, max: 4_294_966, default: 1, help: "random seed (weights, data, batches)" },
  dtype: { type: "string", choices: ["float32", "float64"], default: "float32", help: "floating-point type of the weights and images" },
  out: { type: "string", file: "outdir", default: "out/cnn", help: "output folder (mistakes.svg)" },
  json: { type: "boolean", help: "end with a one-line JSON summary" },
  quiet: { type: "boolean", help: "print only the summary" },
} as const;

export interface Summary {
  steps: number;
  seconds: number;
  initialLoss: number;
  finalLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  mistakes: number;
}

class SmallCNN extends Module {
  conv1: Conv2d;
  relu1 = new ReLU();
  pool1 = new MaxPool2d(2);
  conv2: Conv2d;
  relu2 = new ReLU();
  pool2 = new MaxPool2d(2);
  flatten = new Flatten();
  fc: Linear;
  constructor(ch: number, rng: RandomState, dtype: DType) {
    super();
    this.conv1 = new Conv2d(1, ch, 3, { padding: 1, rng, dtype });
    this.conv2 = new Conv2d(ch, 2 * ch, 3, { padding: 1, rng, dtype });
    // 12 -> pool 6 -> pool 3
    this.fc = new Linear(2 * ch * 3 * 3, 10, { rng, dtype });
  }
  forward(x: nd.NDArray | ag.Tensor): ag.Tensor {
    let h = this.pool1.forward(this.relu1.forward(this.conv1.forward(x)));
    h = this.pool2.forward(this.relu2.forward(this.conv2.forward(h)));
    return this.fc.forward(this.flatten.forward(h));
  }
}

function predict(model: SmallCNN, images: nd.NDArray): Int32Array {
  return ag.noGrad(() => {
    const out = new Int32Array(images.shape[0]!);
    for (let s = 0; s < out.length; s += 256) {
      const logits = model.forward(images.slice([s, Math.min(s + 256, out.length)])).data;
      out.set(nd.argmax(logits, 1).data as Int32Array, s);
    }
    return out;
  });
}

const accuracy = (pred: Int32Array, labels: Int32Array) => pred.reduce((n, p, i) => n + (p === labels[i] ? 1 : 0), 0) / labels.length;

export async function main(argv: string[]): Promise<Summary> {
  const o = parseOptions("usage: pnpm example cnn [options]\n\nTrains a small CNN on generated digit images.", spec, argv);
  const say = o.quiet ? () => {} : (s: string) => console.log(s);
  const dtype = o.dtype as DType;
  const train = makeDigits(o.train, o.seed * 1000 + 1, o.noise, dtype);
  const test = makeDigits(o.test, o.seed * 1000 + 2, o.noise, dtype);
  const rng = new RandomState(o.seed);
  const model = new SmallCNN(o.channels, rng, dtype);
  const opt = new Adam(model.parameters(), { lr: o.lr });
  say(`data: ${o.train} train / ${o.test} test digit images of ${SIZE}x${SIZE}, noise ${o.noise}`);
  say(`model: ${model.numParameters()} parameters, ${dtype}; batch ${o.batch}, Adam lr ${o.lr}`);
  const t0 = performance.now();
  let initialLoss = NaN;
  let ema = NaN;
  for (let step = 0; step < o.steps; step++) {
    const idx = rng.randint(0, o.train, [o.batch]);
    const x = nd.take(train.images, idx, 0);
    const y = new nd.NDArray(Int32Array.from(idx.data as Int32Array, (i) => train.labels[i]!), [o.batch]);
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    const l = loss.item();
    if (step === 0) initialLoss = l;
    ema = Number.isNaN(ema) ? l : 0.95 * ema + 0.05 * l;
    if (!o.quiet && ((step + 1) % 50 === 0 || step + 1 === o.steps)) say(`step ${step + 1}: loss ${ema.toFixed(3)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const testPred = predict(model, test.images);
  const trainPred = predict(model, train.images.slice([0, Math.min(o.train, 1000)]));
  const testAccuracy = accuracy(testPred, test.labels);
  const trainAccuracy = accuracy(trainPred, train.labels.subarray(0, trainPred.length));
  const wrong = [...testPred.keys()].filter((i) => testPred[i] !== test.labels[i]);
  const svgPath = join(o.out, "mistakes.svg");
  writeAtomic(svgPath, mistakesSvg(test.images, test.labels, testPred, wrong.slice(0, 60), wrong.length, o.test));
  say(`done: ${o.steps} steps in ${seconds.toFixed(1)} s; train accuracy ${(100 * trainAccuracy).toFixed(1)}%, test accuracy ${(100 * testAccuracy).toFixed(1)}% (${wrong.length} of ${o.test} wrong)`);
  say(`wrote ${svgPath}`);
  const summary: Summary = { steps: o.steps, seconds: +seconds.toFixed(1), initialLoss, finalLoss: ema, trainAccuracy, testAccuracy, mistakes: wrong.length };
  if (o.json) console.log(JSON.stringify(summary));
  return summary;
}

/** A grid of the misclassified test images, each captioned "true -> predicted". */
function mistakesSvg(images: nd.NDArray, labels: Int32Array, pred: Int32Array, which: number[], total: number, n: number): string {
  const cell = 4;
  const w = SIZE * cell;
  const perRow = 10;
  const rows = Math.max(1, Math.ceil(which.length / perRow));
  const width = perRow * (w + 10) + 10;
  const height = rows * (w + 24) + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="13">cnn: ${total} of ${n} test digits misclassified${which.length < total ? ` (first ${which.length} shown)` : ""}; caption: true -> predicted</text>`,
  ];
  which.forEach((i, k) => {
    const x0 = 10 + (k % perRow) * (w + 10);
    const y0 = 32 + Math.floor(k / perRow) * (w + 24);
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const v = Math.max(0, Math.min(1, images.get(i, 0, r, c)));
        const g = Math.round(255 * (1 - v));
        parts.push(`<rect x="${x0 + c * cell}" y="${y0 + r * cell}" width="${cell}" height="${cell}" fill="rgb(${g},${g},${g})"/>`);
      }
    }
    parts.push(`<text x="${x0}" y="${y0 + w + 13}">${labels[i]} -&gt; ${pred[i]}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
