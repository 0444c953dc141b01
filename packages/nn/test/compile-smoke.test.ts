import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { compile, tensor, type Tensor } from "@tapegrad/autograd";
import { Adam, Linear, Sequential, ReLU, mseLoss } from "@tapegrad/nn";

describe("smoke", () => {
  it("mlp adam", () => {
    const make = () => {
      const rng = new nd.RandomState(0);
      const model = new Sequential(new Linear(3, 8, { rng }), new ReLU(), new Linear(8, 1, { rng }));
      const opt = new Adam(model.parameters(), { lr: 0.01 });
      const step = (x: Tensor, y: Tensor) => {
        opt.zeroGrad();
        const loss = mseLoss(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss;
      };
      return { model, opt, step };
    };
    const a = make();
    const b = make();
    const cs = compile(b.step);
    const rng = new nd.RandomState(1);
    for (let i = 0; i < 10; i++) {
      const x = tensor(rng.randn(4, 3));
      const y = tensor(rng.randn(4, 1));
      const la = a.step(x, y).item();
      const lb = cs(x, y).item();
      console.log(i, la, lb);
    }
    console.log(cs.plan());
    const pa = a.model.parameters();
    const pb = b.model.parameters();
    for (let i = 0; i < pa.length; i++) expect(nd.maxAbsDiff(pa[i]!.data, pb[i]!.data)).toBe(0);
  });
});
