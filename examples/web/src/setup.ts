// What both workers share: the char-lstm example's corpus as character ids and its training
// split, the page's model settings, and the training step itself, so that the training worker
// and the compiled-against-eager measurement run the same code.

import type { NDArray } from "@tapegrad/tensor";
import type { Tensor } from "@tapegrad/autograd";
import { clipGradNorm, crossEntropy, type Adam } from "@tapegrad/nn";
import corpus from "../../char-lstm/data/corpus.txt?raw";
import type { CharModel, Config } from "../../char-lstm/model.js";
import type { TrainSettings } from "./protocol.js";

export { corpus };
export const EVAL_EVERY = 100;

export const chars = [...new Set(corpus)].sort();
const index = new Map(chars.map((ch, i) => [ch, i]));
export const ids = Int32Array.from(corpus, (ch) => index.get(ch) ?? 0);
const split = Math.floor(ids.length * 0.9);
export const train = ids.subarray(0, split);
export const val = ids.subarray(split, split + 8_000);

/** The CLI's defaults but for the hidden size and a shorter window, so that a step is quick in a page. */
export function configFor(s: TrainSettings): Config {
  return { hidden: s.hidden, layers: 1, embed: 32, seqLen: 32, batch: 32, lr: s.lr, steps: 800, seed: 1, clip: 1, dtype: "float32", evalEvery: EVAL_EVERY };
}

/** One training step of the char-LSTM, as examples/char-lstm runs it: forward, backward, clip, Adam, clear. */
export function trainingStep(model: CharModel, opt: Adam, clip: number): (x: NDArray, y: NDArray) => Tensor {
  return (x, y) => {
    const [logits] = model.forward(x);
    const loss = crossEntropy(logits, y);
    loss.backward();
    clipGradNorm(model.parameters(), clip);
    opt.step();
    opt.zeroGrad();
    return loss;
  };
}
