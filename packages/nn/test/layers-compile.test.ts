// compile against eager for issue 26's layers: a small encoder-decoder whose step goes through
// every new kernel of nn (MaxUnpool's sources, the adaptive pool's matrix, interpolate's plan,
// the pools' index grids, BatchNorm's running statistics) and through sampling's filters and
// multinomial, trained 12 steps both ways from the same seeds: losses, parameters, gradients and
// buffers bitwise equal, and the compiled side replaying.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { compile, tensor, type Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";

class Net extends nn.Module {
  conv: nn.Conv2d;
  bn: nn.BatchNorm2d;
  pool = new nn.MaxPool2d(2, { returnIndices: true, ceilMode: true });
  unpool = new nn.MaxUnpool2d(2);
  up: nn.ConvTranspose2d;
  gn: nn.GroupNorm;
  head: nn.Linear;
  constructor(rng: RandomState) {
    super();
    this.conv = new nn.Conv2d(2, 4, 3, { padding: [[1, 0], [0, 1]], rng });
    this.bn = new nn.BatchNorm2d(4, { momentum: null });
    this.up = new nn.ConvTranspose2d(4, 4, 2, { stride: 2, groups: 2, rng });
    this.gn = new nn.GroupNorm(2, 4);
    this.head = new nn.Linear(4 * 3 * 3, 3, { rng });
  }
  forward(x: Tensor): Tensor {
    const h = ag.relu(this.bn.forward(this.conv.forward(x)));
    const [p, idx] = this.pool.forward(h);
    const u = this.unpool.forward(p, idx);
    const d = this.gn.forward(this.up.forward(nn.avgPool2d(u, 2, { ceilMode: true, countIncludePad: false, padding: 1 })));
    const small = nn.adaptiveAvgPool2d(nn.interpolate(d, { scaleFactor: 1.5, mode: "bilinear" }), [3, 3]);
    return this.head.forward(ag.reshape(small, [x.shape[0]!, -1]));
  }
}

function run(compiled: boolean) {
  const model = new Net(new RandomState(1));
  const opt = new nn.Adam(model.parameters(), { lr: 0.01 });
  const sampler = new RandomState(5);
  const data = new RandomState(2);
  const batches = Array.from({ length: 3 }, () => [tensor(data.randn(3, 2, 6, 6)), tensor(data.randint(0, 3, [3]))] as [Tensor, Tensor]);
  const body = (x: Tensor, y: Tensor): [Tensor, NDArray] => {
    opt.zeroGrad();
    const logits = model.forward(x);
    const loss = ag.add(nn.crossEntropy(logits, y, { labelSmoothing: 0.1 }), ag.mul(nn.huberLoss(ag.softmax(logits, 1), nd.full([3, 3], 1 / 3)), 0.5));
    loss.backward();
    opt.step();
    return [loss, nn.sampleLogits(logits.data, { temperature: 0.9, topK: 2, topP: 0.95, rng: sampler })];
  };
  const step = compiled ? compile(body) : body;
  const out: { loss: number; drawn: unknown }[] = [];
  for (let i = 0; i < 12; i++) {
    const [x, y] = batches[i % batches.length]!;
    const [loss, drawn] = step(x, y);
    out.push({ loss: loss.item(), drawn: drawn.toArray() });
  }
  return { model, out, stats: compiled ? (step as unknown as { stats: { replays: number } }).stats : null };
}

describe("compile: issue 26's layers replay as eager runs them", () => {
  it("an encoder-decoder with BatchNorm, MaxPool indices and MaxUnpool, ConvTranspose, GroupNorm, interpolate, adaptive pooling, and a sampler: 12 Adam steps bitwise", () => {
    const eager = run(false);
    const comp = run(true);
    expect(comp.out).toEqual(eager.out);
    expect(comp.stats!.replays).toBeGreaterThanOrEqual(9);
    const se = eager.model.stateDict();
    const sc = comp.model.stateDict();
    for (const k of Object.keys(se)) expect(nd.maxAbsDiff(sc[k]!, se[k]!), k).toBe(0);
    for (const [name, p] of eager.model.namedParameters()) {
      const q = new Map(comp.model.namedParameters()).get(name)!;
      expect(nd.maxAbsDiff(p.grad!, q.grad!), `${name}.grad`).toBe(0);
    }
    expect(sc["bn.num_batches_tracked"]!.item()).toBe(12);
  });
});

describe("compile: interpolate's nearest modes replay (a kernel with one index array)", () => {
  for (const mode of ["nearest", "nearest-exact"] as const) {
    it(`${mode}: the gradient of sum(interpolate(x) * w) over 6 calls, bitwise as eager`, () => {
      const run = (compiled: boolean) => {
        const rs = new RandomState(3);
        const body = (x: Tensor) => {
          const y = nn.interpolate(x, { scaleFactor: [1.5, 0.7], mode });
          ag.sum(ag.mul(y, y)).backward();
          return [y, x.grad!] as const;
        };
        const step = compiled ? compile(body) : body;
        return Array.from({ length: 6 }, () => {
          const [y, g] = step(tensor(rs.randn(1, 2, 4, 5), { requiresGrad: true }));
          return [y.data.toArray(), g.toArray()];
        });
      };
      expect(run(true)).toEqual(run(false));
    });
  }
});
