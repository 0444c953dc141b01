// Regressions of compile on training steps: each test is one step that a compiled replay once got
// wrong (the eager step is the reference), run through the differential harness, which compares
// results, parameters, gradients and optimizer state bitwise after every call. The first two are
// the repro; the rest are fuzz cases (fuzz/training.ts), shrunk, pasted as printed.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import * as nn from "@tapegrad/nn";
import { differential, type Subject } from "../../autograd/test/compile-harness.js";

describe("compile regressions: the issue's repro", () => {
  // an LSTM over batch-first input, loss = mean of squared outputs, gradients compared per call:
  // every replay differed by 0.01-0.05 in the gradients (non-contiguous gradients added by a fused loop)
  it("LSTM(1, 4) over batch-first input (3, 5, 1): gradients of mean(output^2) per call", () => {
    const make = (): Subject => {
      const lstm = new nn.LSTM(1, 4, { batchFirst: true, rng: new nd.RandomState(3) });
      const body = (x: ag.Tensor) => {
        lstm.zeroGrad();
        const [o] = lstm.forward(x);
        const l = o.square().mean();
        l.backward();
        return l;
      };
      return { step: body, state: () => Object.fromEntries(lstm.namedParameters()) };
    };
    const inputs = (i: number) => [ag.tensor(new nd.RandomState(i).randn(3, 5, 1))];
    expect(differential(make, inputs, { calls: 10 }).kind).toBe("equal");
  });

  // the same with an Elman RNN: its replays differed by about 0.2
  it("RNN(1, 4) over batch-first input (3, 5, 1): gradients of mean(output^2) per call", () => {
    const make = (): Subject => {
      const rnn = new nn.RNN(1, 4, { batchFirst: true, rng: new nd.RandomState(3) });
      const body = (x: ag.Tensor) => {
        rnn.zeroGrad();
        const [o] = rnn.forward(x);
        const l = o.square().mean();
        l.backward();
        return l;
      };
      return { step: body, state: () => Object.fromEntries(rnn.namedParameters()) };
    };
    const inputs = (i: number) => [ag.tensor(new nd.RandomState(i).randn(3, 5, 1))];
    expect(differential(make, inputs, { calls: 10 }).kind).toBe("equal");
  });
});

describe("compile regressions: training steps found by the fuzzer", () => {
  // found at 6058895: weight_ih_l0_reverse differed by 3e-3 at call 2; equal with fuse: false
  it("bidirectional LSTM: the reverse direction's weight_ih gradient (fused gradient accumulation)", () => {
    // fuzz case {"dtype":"float64","seed":0,"dropSeed":0,"dataSeed":0,"B":2,"T":2,"vocab":null,"body":{"kind":"stack","cell":"LSTM","I":1,"H":2,"numLayers":1,"batchFirst":false,"bidirectional":true,"bias":true,"dropout":0,"nonlinearity":"tanh","forgetBias":null,"state":"none","pad":"none","lengths":[1],"readout":"last"},"post":{"layerNorm":false,"dropout":0},"head":{"out":2,"bias":false},"loss":{"kind":"nll","reduction":"mean","weight":null,"ignoreIndex":1},"optim":{"kind":"SGD","lr":0.1,"momentum":0,"dampening":0,"nesterov":false,"weightDecay":0,"maximize":false},"groups":1,"clip":null,"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss+logits"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(0);
      const model = new nn.LSTM(1, 2, { bidirectional: true, rng });
      const head = new nn.Linear(4, 2, { bias: false, rng });
      const net = new nn.ModuleList([model, head]);
      const params = net.parameters();
      const opt = new nn.SGD(params, { lr: 0.1 });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        const [out, [hN, cN]] = model.forward(h);
        h = out.slice(1);
        const logits = head.forward(h);
        const loss = nn.nllLoss(ag.logSoftmax(logits, 1), y, { ignoreIndex: 1 });
        loss.backward();
        opt.step();
        return [loss, logits];
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(2, 2, 1)), ag.tensor(r.randint(0, 2, [2]))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });

  // found at 6058895: weight_ih differed by 1e-6 at call 2; equal with fuse: false
  it("LSTMCell stepped in a loop over time (unbind), hidden 2, no bias: weight_ih's gradient", () => {
    // fuzz case {"dtype":"float64","seed":0,"dropSeed":0,"dataSeed":0,"B":2,"T":2,"vocab":null,"body":{"kind":"cell","cell":"LSTMCell","I":1,"H":2,"bias":false,"nonlinearity":"tanh","forgetBias":null,"state":"none","loop":"unbind","readout":"all"},"post":{"layerNorm":false,"dropout":0},"head":{"out":2,"bias":false},"loss":{"kind":"nll","reduction":"mean","weight":null,"ignoreIndex":null},"optim":{"kind":"SGD","lr":0.1,"momentum":0,"dampening":0,"nesterov":false,"weightDecay":0,"maximize":false},"groups":1,"clip":null,"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(0);
      const cell = new nn.LSTMCell(1, 2, { bias: false, rng });
      const head = new nn.Linear(2, 2, { bias: false, rng });
      const net = new nn.ModuleList([cell, head]);
      const params = net.parameters();
      const opt = new nn.SGD(params, { lr: 0.1 });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        let s: [ag.Tensor, ag.Tensor] | undefined;
        const hs: ag.Tensor[] = [];
        for (const xt of ag.unbind(h, 0)) { s = cell.forward(xt, s); hs.push(s[0]); }
        h = ag.stack(hs, 1);
        const logits = head.forward(h);
        const loss = nn.nllLoss(ag.logSoftmax(logits.permute(0, 2, 1), 1), y);
        loss.backward();
        opt.step();
        return loss;
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(2, 2, 1)), ag.tensor(r.randint(0, 2, [2, 2]))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });

  // found at 6058895: the returned logits differed by 7.5e-9 (1 ulp of float32) at call 5; equal with fuse: false
  it("float32 two-layer LSTM: a fused float32 loop rounds as the eager kernels do (last step's output, 1 ulp)", () => {
    // fuzz case {"dtype":"float32","seed":0,"dropSeed":0,"dataSeed":0,"B":2,"T":2,"vocab":null,"body":{"kind":"stack","cell":"LSTM","I":1,"H":3,"numLayers":2,"batchFirst":false,"bidirectional":false,"bias":true,"dropout":0,"nonlinearity":"tanh","forgetBias":null,"state":"none","pad":"none","lengths":[1],"readout":"last"},"post":{"layerNorm":false,"dropout":0},"head":{"out":1,"bias":false},"loss":{"kind":"nll","reduction":"mean","weight":null,"ignoreIndex":null},"optim":{"kind":"Adam","lr":0.01,"betas":[0.9,0.999],"eps":1e-8,"weightDecay":0.1,"amsgrad":true,"maximize":false},"groups":1,"clip":null,"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss+logits"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(0);
      const model = new nn.LSTM(1, 3, { numLayers: 2, rng, dtype: "float32" });
      const head = new nn.Linear(3, 1, { bias: false, rng, dtype: "float32" });
      const net = new nn.ModuleList([model, head]);
      const params = net.parameters();
      const opt = new nn.Adam(params, { lr: 0.01, betas: [0.9, 0.999], weightDecay: 0.1, amsgrad: true });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        const [out, [hN, cN]] = model.forward(h);
        h = out.slice(1);
        const logits = head.forward(h);
        const loss = nn.nllLoss(ag.logSoftmax(logits, 1), y);
        loss.backward();
        opt.step();
        return [loss, logits];
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(2, 2, 1).astype("float32")), ag.tensor(r.randint(0, 1, [2]))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });

  // found at 49a8f88 (fixed by 27f4ad9): kernel #7 sigmoid in a fused loop read a float64[2,1] view, strides [4,1] offset 1, as a flat run; gate 0.41 replayed vs 0.64 eagerly
  it("LSTM of hidden size 1: a gate chunk (B, 1) with row stride 4 read by the fused sigmoid loop", () => {
    // fuzz case {"dtype":"float64","seed":0,"dropSeed":0,"dataSeed":0,"B":2,"T":1,"vocab":null,"body":{"kind":"stack","cell":"LSTM","I":1,"H":1,"numLayers":1,"batchFirst":false,"bidirectional":false,"bias":true,"dropout":0,"nonlinearity":"tanh","forgetBias":null,"state":"none","pad":"none","lengths":[1],"readout":"last"},"post":{"layerNorm":false,"dropout":0},"head":{"out":1,"bias":false},"loss":{"kind":"ce","reduction":"mean","labelSmoothing":0,"weight":null,"ignoreIndex":null,"probs":false},"optim":{"kind":"SGD","lr":0.1,"momentum":0,"dampening":0,"nesterov":false,"weightDecay":0,"maximize":false},"groups":1,"clip":null,"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss+logits"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(0);
      const model = new nn.LSTM(1, 1, { rng });
      const head = new nn.Linear(1, 1, { bias: false, rng });
      const net = new nn.ModuleList([model, head]);
      const params = net.parameters();
      const opt = new nn.SGD(params, { lr: 0.1 });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        const [out, [hN, cN]] = model.forward(h);
        h = out.slice(0);
        const logits = head.forward(h);
        const loss = nn.crossEntropy(logits, y);
        loss.backward();
        opt.step();
        return [loss, logits];
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(1, 2, 1)), ag.tensor(r.randint(0, 1, [2]))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });

  // found at 49a8f88 (fixed by 27f4ad9): kernel #6 sigmoid in the fused GRU step loop; equal with fuse: false
  it("GRU of hidden size 1: a gate chunk (B, 1) with row stride 3 read by the fused sigmoid loop", () => {
    // fuzz case {"dtype":"float64","seed":0,"dropSeed":0,"dataSeed":0,"B":2,"T":1,"vocab":null,"body":{"kind":"stack","cell":"GRU","I":1,"H":1,"numLayers":1,"batchFirst":false,"bidirectional":false,"bias":true,"dropout":0,"nonlinearity":"tanh","forgetBias":null,"state":"none","pad":"none","lengths":[1],"readout":"last"},"post":{"layerNorm":false,"dropout":0},"head":{"out":1,"bias":false},"loss":{"kind":"ce","reduction":"mean","labelSmoothing":0,"weight":null,"ignoreIndex":null,"probs":false},"optim":{"kind":"SGD","lr":0.1,"momentum":0,"dampening":0,"nesterov":false,"weightDecay":0,"maximize":false},"groups":1,"clip":null,"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss+logits"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(0);
      const model = new nn.GRU(1, 1, { rng });
      const head = new nn.Linear(1, 1, { bias: false, rng });
      const net = new nn.ModuleList([model, head]);
      const params = net.parameters();
      const opt = new nn.SGD(params, { lr: 0.1 });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        const [out, hN] = model.forward(h);
        h = out.slice(0);
        const logits = head.forward(h);
        const loss = nn.crossEntropy(logits, y);
        loss.backward();
        opt.step();
        return [loss, logits];
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(1, 2, 1)), ag.tensor(r.randint(0, 1, [2]))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });

  // found at 49a8f88 (fixed by 27f4ad9): kernel #5 sigmoid, float64[2,1] strides [4,1] offset 1; gate 0.479 replayed vs 0.494 eagerly
  it("LSTMCell of hidden size 1 in a loop: a gate chunk (B, 1) with row stride 4 read by the fused sigmoid loop", () => {
    // fuzz case {"dtype":"float64","seed":0,"dropSeed":0,"dataSeed":0,"B":2,"T":1,"vocab":null,"body":{"kind":"cell","cell":"LSTMCell","I":1,"H":1,"bias":false,"nonlinearity":"tanh","forgetBias":null,"state":"none","loop":"unbind","readout":"last"},"post":{"layerNorm":false,"dropout":0},"head":{"out":1,"bias":false},"loss":{"kind":"ce","reduction":"mean","labelSmoothing":0,"weight":null,"ignoreIndex":null,"probs":false},"optim":{"kind":"SGD","lr":0.1,"momentum":0,"dampening":0,"nesterov":false,"weightDecay":0,"maximize":false},"groups":1,"clip":null,"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss+logits"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(0);
      const cell = new nn.LSTMCell(1, 1, { bias: false, rng });
      const head = new nn.Linear(1, 1, { bias: false, rng });
      const net = new nn.ModuleList([cell, head]);
      const params = net.parameters();
      const opt = new nn.SGD(params, { lr: 0.1 });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        let s: [ag.Tensor, ag.Tensor] | undefined;
        const hs: ag.Tensor[] = [];
        for (const xt of ag.unbind(h, 0)) { s = cell.forward(xt, s); hs.push(s[0]); }
        h = s![0];
        const logits = head.forward(h);
        const loss = nn.crossEntropy(logits, y);
        loss.backward();
        opt.step();
        return [loss, logits];
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(1, 2, 1)), ag.tensor(r.randint(0, 1, [2]))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });

  // found by pnpm fuzz:compile --runs 3000 --seed 202 (fixed in the same commit): the norm was 0 in both traced calls, so
  // the plan kept it as a constant 0 while later calls clip a nonzero gradient
  it("a returned clipGradNorm norm that was the same in both traces (dropout zeroed the gradient twice) is still read again at every replay", () => {
    // fuzz case {"dtype":"float64","seed":0,"dropSeed":9943,"dataSeed":0,"B":1,"T":1,"vocab":null,"body":{"kind":"cell","cell":"LSTMCell","I":1,"H":1,"bias":false,"nonlinearity":"tanh","forgetBias":null,"state":"none","loop":"unbind","readout":"last"},"post":{"layerNorm":false,"dropout":0.3},"head":{"out":1,"bias":false},"loss":{"kind":"bce","reduction":"mean","weight":false,"posWeight":null,"hard":false},"optim":{"kind":"SGD","lr":0.1,"momentum":0,"dampening":0,"nesterov":false,"weightDecay":0,"maximize":false},"groups":1,"clip":{"maxNorm":0.1,"normType":2},"sched":null,"mode":"train","zeroGrad":"optimizer","returns":"loss+norm"}
    const make = (): Subject => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(9943);
      const cell = new nn.LSTMCell(1, 1, { bias: false, rng });
      const dropout = new nn.Dropout(0.3, { rng: drop });
      const head = new nn.Linear(1, 1, { bias: false, rng });
      const net = new nn.ModuleList([cell, head]);
      const params = net.parameters();
      const opt = new nn.SGD(params, { lr: 0.1 });
      const step = (x: ag.Tensor, y: ag.Tensor) => {
        opt.zeroGrad();
        let h = x;
        let s: [ag.Tensor, ag.Tensor] | undefined;
        const hs: ag.Tensor[] = [];
        for (const xt of ag.unbind(h, 0)) { s = cell.forward(xt, s); hs.push(s[0]); }
        h = s![0];
        h = dropout.forward(h);
        const logits = head.forward(h);
        const loss = nn.binaryCrossEntropyWithLogits(logits, y);
        loss.backward();
        const gradNorm = nn.clipGradNorm(params, 0.1);
        opt.step();
        return [loss, gradNorm];
      };
      return {
        step,
        state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), rng: rng.getState(), drop: drop.getState() }),
      };
    };
    const inputs = (i: number, prev?: unknown) => {
      const r = new nd.RandomState(0 + i);
      return [ag.tensor(r.randn(1, 1, 1)), ag.tensor(r.rand(1, 1))];
    };
    const outcome = differential(make, inputs, { calls: 10 });
    expect(outcome.kind).toBe("equal");
  });
});
