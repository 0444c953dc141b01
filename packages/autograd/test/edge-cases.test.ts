// clip (torch.clamp) and unfold at their edge cases, against PyTorch 1.13 (float64), values typed in from:
//   x = torch.tensor([-2., 0.5, 3., nan], dtype=torch.float64, requires_grad=True)
//   torch.clamp(x, 1., 0.)  -> [0, 0, 0, nan]; backward of sum -> [0, 0, 0, 0]
//   x = torch.tensor([-2., 0.5, 1., 3.]); torch.clamp(x, 1., 1.) backward of sum -> [0, 0, 1, 0]
// and numpy: np.clip([-2, 0.5, 3, nan], 1, 0) -> [0, 0, 0, nan].

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";

describe("clip with lo > hi and lo = hi", () => {
  it("gives hi everywhere (NaN stays NaN) with zero gradient, as torch.clamp and np.clip", () => {
    expect(nd.clip(nd.array([-2, 0.5, 3, NaN]), 1, 0).toArray()).toEqual([0, 0, 0, NaN]);
    const x = ag.tensor([-2, 0.5, 3, NaN], { requiresGrad: true });
    const y = ag.clip(x, 1, 0);
    expect(y.data.toArray()).toEqual([0, 0, 0, NaN]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 0, 0]);
  });

  it("with lo = hi passes the gradient only where x equals the bound", () => {
    const x = ag.tensor([-2, 0.5, 1, 3], { requiresGrad: true });
    ag.clip(x, 1, 1).sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 1, 0]);
  });
});

// torch 1.13: torch.arange(5.).unfold(0, 0, 1).shape == (6, 0); .unfold(0, 0, 2).shape == (3, 0);
// torch.arange(6.).reshape(2, 3).unfold(1, 0, 1).shape == (2, 4, 0)
describe("unfold with size 0", () => {
  it("gives empty windows, floor(n / step) + 1 of them, as torch's unfold, and a zero gradient", () => {
    expect(nd.unfold(nd.arange(5), { axis: 0, size: 0, step: 1, dilation: 1 }).shape).toEqual([6, 0]);
    expect(nd.unfold(nd.arange(5), { axis: 0, size: 0, step: 2, dilation: 1 }).shape).toEqual([3, 0]);
    const x = ag.tensor(nd.arange(6).reshape([2, 3]), { requiresGrad: true });
    const w = ag.unfold(x, 1, 0);
    expect(w.shape).toEqual([2, 4, 0]);
    ag.sum(w).backward();
    expect(x.grad!.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(() => nd.unfold(nd.arange(5), { axis: 0, size: -1, step: 1, dilation: 1 })).toThrow(/unfold: size must be a non-negative integer, got -1/);
  });
});
