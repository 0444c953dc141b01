// summary(model, input?): parameter counts held to the layers' formulas (Linear: in*out + out;
// LSTM: 4H(I + H + 2), PyTorch's nn.LSTM docs' shapes), output shapes to the layers' documented
// shapes, and the model left as it was found (forwards, modes, random streams).

import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import { tensor, type Tensor, type TensorLike } from "@tapegrad/autograd";
import { Dropout, Linear, LSTM, Module, ReLU, Sequential, summary } from "../src/index.js";

describe("summary", () => {
  it("counts each module's own parameters and the totals", () => {
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const s = summary(model);
    expect(s.rows.map((r) => [r.name, r.type, r.depth, r.params])).toEqual([
      ["", "Sequential", 0, 0],
      ["0", "Linear", 1, 4 * 8 + 8],
      ["1", "ReLU", 1, 0],
      ["2", "Linear", 1, 8 * 2 + 2],
    ]);
    expect([s.totalParams, s.trainableParams, s.nonTrainableParams]).toEqual([58, 58, 0]);
    expect(s.rows.every((r) => r.outputShape === null)).toBe(true);
    expect(String(s)).toBe(
      [
        "Layer (type)  Param #",
        "=====================",
        "Sequential          0",
        "  0 (Linear)       40",
        "  1 (ReLU)          0",
        "  2 (Linear)       18",
        "=====================",
        "Total params: 58",
        "Trainable params: 58",
        "Non-trainable params: 0",
      ].join("\n"),
    );
    expect(inspect(s)).toBe(String(s));
  });

  it("with an input: each module's output shape, in the layers' documented shapes", () => {
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const s = summary(model, tensor(nd.zeros([3, 4])));
    expect(s.rows.map((r) => r.outputShape)).toEqual(["[3, 2]", "[3, 8]", "[3, 8]", "[3, 2]"]);
    expect(String(s).split("\n").slice(0, 6)).toEqual([
      "Layer (type)  Output shape  Param #",
      "===================================",
      "Sequential    [3, 2]              0",
      "  0 (Linear)  [3, 8]             40",
      "  1 (ReLU)    [3, 8]              0",
      "  2 (Linear)  [3, 2]             18",
    ]);
  });

  it("nested modules, tuple outputs, frozen parameters and thousands separators", () => {
    class Tagger extends Module {
      lstm = new LSTM(30, 50, { batchFirst: true });
      head = new Linear(50, 7);
      forward(x: TensorLike): Tensor {
        const [out] = this.lstm.forward(x);
        return this.head.forward(out);
      }
    }
    const m = new Tagger();
    m.head.weight.requiresGrad = false;
    const s = summary(m, [tensor(nd.zeros([2, 6, 30]))]);
    const lstm = 4 * 50 * (30 + 50 + 2); // nn.LSTM: weight_ih (4H, I), weight_hh (4H, H), two biases (4H)
    expect(s.rows.map((r) => [r.key, r.outputShape, r.params])).toEqual([
      ["", "[2, 6, 7]", 0],
      // (batch, seq, H) with batch_first, and h_n, c_n (numLayers, batch, H)
      ["lstm", "[2, 6, 50], ([1, 2, 50], [1, 2, 50])", lstm],
      ["head", "[2, 6, 7]", 50 * 7 + 7],
    ]);
    expect(s.totalParams).toBe(lstm + 357);
    expect(s.nonTrainableParams).toBe(350);
    expect(String(s)).toContain(`Total params: ${(lstm + 357).toLocaleString("en-US")}`);
  });

  it("puts back forwards and modes, draws nothing, and shows a module called twice", () => {
    const rng = new RandomState(7);
    const drop = new Dropout(0.5, { rng });
    const fc = new Linear(3, 3);
    class Twice extends Module {
      fc = fc;
      drop = drop;
      forward(x: TensorLike): Tensor {
        return this.drop.forward(this.fc.forward(this.fc.forward(x)));
      }
    }
    const m = new Twice();
    const s = summary(m, tensor(nd.ones([2, 3])));
    expect(s.rows.find((r) => r.key === "fc")).toMatchObject({ calls: 2, outputShape: "[2, 3]" });
    expect(String(s)).toContain("[2, 3] (x2)");
    expect(Object.getOwnPropertyNames(fc)).not.toContain("forward");
    expect(m.training && drop.training).toBe(true);
    // eval mode while it ran: the dropout's stream is where a fresh one starts
    expect(rng.rand(3).toArray()).toEqual(new RandomState(7).rand(3).toArray());
  });

  it("a forward that throws leaves the model as it was, and the error as it was", () => {
    const model = new Sequential(new Linear(4, 2));
    model.eval();
    const fc = model.get(0);
    expect(() => summary(model, tensor(nd.zeros([3, 5])))).toThrow(/Linear: input has shape \[3,5\], expected last dim 4/);
    expect(Object.getOwnPropertyNames(fc)).not.toContain("forward");
    expect(model.training).toBe(false);
    model.train();
    expect(() => summary(model, tensor(nd.zeros([3, 5])))).toThrow();
    expect(model.training).toBe(true);
  });
});
