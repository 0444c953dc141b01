// A training loop of several modules together: Adam, crossEntropy and clipGradNorm fit a Linear
// layer to separable data.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { Adam } from "../src/optim.js";
import { clipGradNorm } from "../src/clip.js";
import { crossEntropy } from "../src/losses.js";
import { Linear } from "../src/layers.js";

describe("with a real module", () => {
  it("Adam, crossEntropy and clipGradNorm fit a Linear layer to separable data", () => {
    const rng = new nd.RandomState(0);
    const model = new Linear(2, 2, { rng });
    const x = rng.randn(32, 2);
    const y = Array.from({ length: 32 }, (_, i) => (x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0));
    const opt = new Adam(model.parameters(), { lr: 0.1 });
    const losses: number[] = [];
    for (let k = 0; k < 60; k++) {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[0]!).toBeGreaterThan(0.3);
    expect(losses.at(-1)!).toBeLessThan(0.15);
  });
});
