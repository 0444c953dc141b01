// compile(fn, { device }) on WebGPU (Dawn, the npm package `webgpu`; on SwiftShader where there
// is no GPU). The witness is the CPU: every lowered kernel's GPU replay against the eager CPU
// call of the same function on the same values, within float32 tolerance, at odd shapes (1, 7,
// 65, 129: the tiles' edges) and transposed layouts; an LSTM step's gradients against eager
// autograd's; 50 Adam steps of a char-LSTM step against the CPU's loss. Then the contract:
// stale reads throw, sync() brings the state back, float64 and unlowered kernels are refused.
// Shapes stay small: SwiftShader is slow. Without an adapter the tests skip, saying why; under
// CI=true a missing adapter fails the file instead.

import { afterAll, describe, expect, test } from "vitest";
import { existsSync } from "node:fs";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState, StaleError, kernel } from "@tapegrad/tensor";
import { CompileError, Tensor, compile, noGrad } from "@tapegrad/autograd";
import { Adam, Embedding, LSTM, LayerNorm, Linear, Module, ReLU, Sequential, TransformerEncoderLayer, clipGradNorm, crossEntropy, mseLoss, saveSafetensors } from "@tapegrad/nn";
import * as ag from "@tapegrad/autograd";

// SwiftShader's Vulkan driver, shipped in Debian's chromium. Dawn's Vulkan loader reads the
// variables from the process's own environment, which a test worker thread cannot set: the
// command that runs the tests sets them (.ci/run does).
const ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const HOW = `run with VK_ICD_FILENAMES=${ICD} XDG_RUNTIME_DIR=/tmp (and Debian's libvulkan1 installed)`;

async function open(): Promise<{ instance: unknown; device: GPUDevice } | string> {
  let webgpu: typeof import("webgpu");
  try {
    webgpu = await import("webgpu");
  } catch (e) {
    return `the npm package webgpu does not load here (${(e as Error).message.split("\n")[0]})`;
  }
  // the instance must outlive the device: collected, it takes the device down with it
  const instance = webgpu.create([]);
  const adapter = await instance.requestAdapter();
  if (adapter === null) return `no WebGPU adapter (VK_ICD_FILENAMES is ${process.env.VK_ICD_FILENAMES || "unset"}${existsSync(ICD) ? `; ${HOW}` : ""})`;
  return { instance, device: await adapter.requestDevice() };
}

const opened = await open();
const why = typeof opened === "string" ? opened : null;
if (why !== null && process.env.CI) throw new Error(`WebGPU tests: ${why}; CI must run them (see .ci/run)`);
if (why !== null) console.warn(`\nWebGPU tests skipped: ${why}\n`);
const gpu = typeof opened === "string" ? null : opened;
const device = gpu?.device as GPUDevice;

afterAll(() => {
  // a process that exits with a live device crashes (seen with Dawn): destroy it first
  gpu?.device.destroy();
});

/** |got - want| <= rtol |want| + atol max|want|, elementwise, with the first failure named. */
function expectClose(got: NDArray, want: NDArray, what: string, rtol = 2e-4, atol = 2e-5): void {
  expect(got.shape, what).toEqual(want.shape);
  const g = got.toTypedArray();
  const w = want.toTypedArray();
  let scale = 0;
  for (const v of w) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < w.length; i++) {
    const ok = Math.abs(g[i]! - w[i]!) <= rtol * Math.abs(w[i]!) + atol * scale + 1e-30 || (Number.isNaN(g[i]) && Number.isNaN(w[i]));
    if (!ok) expect.fail(`${what}: element ${i} is ${g[i]} on the GPU, ${w[i]} on the CPU`);
  }
}

const f32 = (rng: RandomState, ...shape: number[]) => rng.randn(...shape).astype("float32");

describe.skipIf(why !== null)("compile on WebGPU", () => {
  test("every lowered kernel: the GPU replay equals the eager CPU call at odd shapes and transposed layouts", async () => {
    // one function that calls each lowered kernel; its replay runs all of them in one command buffer
    const fn = (a: NDArray, b: NDArray, c: NDArray, x3: NDArray, w: NDArray, ids: NDArray, table: NDArray, src: NDArray) => {
      const bt = b.T; // (7, 65), a transposed view
      const e1 = nd.add(nd.mul(nd.sigmoid(a), nd.tanh(bt)), nd.div(nd.exp(nd.neg(nd.abs(a))), nd.add(nd.square(c), 1)));
      const e2 = nd.where(nd.gt(a, 0), nd.sqrt(nd.abs(bt)), nd.minimum(nd.maximum(a, -0.5), 0.5));
      const e3 = nd.sub(nd.relu(a), nd.pow(nd.abs(bt), 1.5));
      return [
        e1, e2, e3,
        nd.matmul(a, b), // (7, 65) @ (65, 7)
        nd.matmul(bt.T, a), // (65, 7) @ (7, 65): a transposed left operand
        nd.matmul(a, a.T), // a transposed right operand
        nd.matmul(x3, w), // (2, 7, 65) @ (65, 129): folded rows
        nd.matmul(x3, nd.transpose(x3, [0, 2, 1])), // batched (2, 7, 65) @ (2, 65, 7)
        nd.matmulTN(x3, nd.matmul(x3, w)), // (65, 129) summed over 14 rows
        nd.matmulTN(nd.transpose(x3, [1, 0, 2]), nd.transpose(nd.matmul(x3, w), [1, 0, 2])), // rows that fold into no one stride
        nd.sum(a), nd.sum(a, 0), nd.sum(x3, [0, 2], true), nd.mean(a, 1), nd.max(bt, 1), nd.logsumexp(a, 1),
        nd.sumTo(x3, [7, 1]),
        nd.softmax(a, 0), nd.logSoftmax(a, -1), nd.softmax(bt, 1),
        nd.take(table, ids, 0), nd.indexAdd(nd.zeros([65, 7], "float32"), ids, src, 0),
        nd.concat([a, bt], 0), nd.stack([a, bt], 1), x3.slice(null, [1, 6], [0, 65, 2]).contiguous(),
      ];
    };
    const rng = new RandomState(24);
    const args = () => [f32(rng, 7, 65), f32(rng, 65, 7), f32(rng, 65), f32(rng, 2, 7, 65), f32(rng, 65, 129), rng.randint(-65, 65, [3, 5]), f32(rng, 65, 7), f32(rng, 3, 5, 7)] as const;
    const step = compile(fn, { device, check: false });
    for (let k = 0; k < 2; k++) await step(...args()); // two traces agree
    const given = args();
    const got = await step(...given); // replayed on the GPU, on values no trace saw
    expect(step.stats).toEqual({ traces: 2, replays: 1, plans: 1 });
    const want = fn(...given);
    want.forEach((x, k) => expectClose(got[k]!, x, `result ${k}`));
    expect(step.plan()).toMatch(/webgpu: \d+ dispatches per call, in one command buffer/);
  }, 300_000);

  test("matmul's tiles at the edges: every product of sizes 1, 7, 65, 129", async () => {
    const sizes = [[1, 129, 7], [65, 7, 129], [129, 65, 1], [7, 1, 65], [129, 129, 65]];
    const fn = (...xs: NDArray[]) => sizes.map((_, k) => nd.matmul(xs[2 * k]!, xs[2 * k + 1]!.T)); // right operands transposed
    const rng = new RandomState(7);
    const args = () => sizes.flatMap(([M, K, N]) => [f32(rng, M!, K!), f32(rng, N!, K!)]);
    const step = compile(fn, { device, check: false });
    for (let k = 0; k < 2; k++) await step(...args());
    const given = args();
    const got = await step(...given);
    fn(...given).forEach((x, k) => expectClose(got[k]!, x, `product ${sizes[k]!.join("x")}`));
  }, 300_000);

  class CharLSTM extends Module {
    embed: Embedding;
    lstm: LSTM;
    head: Linear;
    constructor(seed: number) {
      super();
      const rng = new RandomState(seed);
      this.embed = new Embedding(11, 6, { rng, dtype: "float32" });
      this.lstm = new LSTM(6, 12, { rng, dtype: "float32" });
      this.head = new Linear(12, 11, { rng, dtype: "float32" });
    }
    forward(ids: NDArray): Tensor {
      const [out] = this.lstm.forward(this.embed.forward(ids));
      return this.head.forward(out.reshape(-1, 12));
    }
  }
  const batch = (rng: RandomState) => ({ x: rng.randint(0, 11, [5, 3]), y: rng.randint(0, 11, [15]) });
  /** A batch with something to learn: each target is the next id after its input. */
  const learnable = (rng: RandomState) => {
    const x = rng.randint(0, 11, [5, 3]);
    return { x, y: nd.array(Array.from(x.toTypedArray(), (v) => (v + 1) % 11), [15], "int32") };
  };

  test("a char-LSTM step's gradients on the GPU equal eager autograd's on the CPU", async () => {
    const model = new CharLSTM(1);
    const reference = new CharLSTM(1);
    const lossOf = (m: CharLSTM, x: NDArray, y: NDArray) => {
      m.zeroGrad();
      const loss = crossEntropy(m.forward(x), y);
      loss.backward();
      return loss;
    };
    const step = compile((x: NDArray, y: NDArray) => lossOf(model, x, y), { device });
    const rng = new RandomState(3);
    for (let k = 0; k < 3; k++) {
      const { x, y } = batch(rng);
      const got = await step(x, y); // the third call replays, checked against eager within float32 tolerance
      expectClose(got.data, lossOf(reference, x, y).data, `loss of call ${k}`);
    }
    const { x, y } = batch(rng);
    const got = await step(x, y);
    const want = lossOf(reference, x, y);
    expectClose(got.data, want.data, "loss");
    await step.sync();
    const ref = new Map(reference.namedParameters());
    for (const [name, p] of model.namedParameters()) expectClose(p.grad!, ref.get(name)!.grad!, `the gradient of ${name}`, 1e-3, 1e-4);
  }, 300_000);

  test("50 Adam steps with clipGradNorm end within 1% of the CPU's loss", async () => {
    const run = async (onGpu: boolean) => {
      const model = new CharLSTM(2);
      const opt = new Adam(model.parameters(), { lr: 0.02 });
      const fn = (x: NDArray, y: NDArray) => {
        const loss = crossEntropy(model.forward(x), y);
        loss.backward();
        clipGradNorm(model.parameters(), 1);
        opt.step();
        opt.zeroGrad();
        return loss;
      };
      const rng = new RandomState(5);
      const step = onGpu ? compile(fn, { device }) : compile(fn);
      const losses: number[] = [];
      for (let k = 0; k < 50; k++) {
        const { x, y } = learnable(rng);
        losses.push((await step(x, y)).item());
      }
      return losses;
    };
    const [cpu, gpuLosses] = [await run(false), await run(true)];
    expect(cpu[49]!).toBeLessThan(cpu[0]! / 2); // it learned
    expect(Math.abs(gpuLosses[49]! - cpu[49]!)).toBeLessThan(0.01 * cpu[49]!);
  }, 300_000);

  test("state on the GPU: reads throw StaleError until sync(), which brings it back; a retrace starts from synced state", async () => {
    const model = new CharLSTM(3);
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const fn = (x: NDArray, y: NDArray) => {
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      opt.zeroGrad();
      return loss;
    };
    const step = compile(fn, { device });
    const rng = new RandomState(9);
    for (let k = 0; k < 5; k++) {
      const { x, y } = batch(rng);
      await step(x, y);
    }
    expect(step.stats.replays).toBeGreaterThanOrEqual(2); // the first replay is checked, and synced by the check
    const w = model.head.weight;
    const stale = /await step\.sync\(\)/;
    expect(() => w.data.toArray()).toThrow(StaleError);
    expect(() => w.data.toArray()).toThrow(stale);
    expect(() => w.data.get(0, 0)).toThrow(stale);
    expect(() => w.data.slice([0, 1], [0, 1]).item()).toThrow(stale);
    expect(() => nd.add(w.data, 1)).toThrow(stale); // any kernel given the array
    expect(() => saveSafetensors(model)).toThrow(stale);
    expect(() => noGrad(() => model.forward(new NDArray(new Int32Array([1, 2]), [2, 1])))).toThrow(stale);
    await step.sync();
    const synced = w.data.copy();
    // the CPU model, run eagerly from the same start with the same batches, agrees
    const reference = new CharLSTM(3);
    const refOpt = new Adam(reference.parameters(), { lr: 0.01 });
    const rng2 = new RandomState(9);
    for (let k = 0; k < 5; k++) {
      const { x, y } = batch(rng2);
      const loss = crossEntropy(reference.forward(x), y);
      loss.backward();
      refOpt.step();
      refOpt.zeroGrad();
    }
    expectClose(synced, reference.head.weight.data, "the head's weight after sync", 1e-3, 1e-4);
    // another shape traces again, from the synced state: its result is the eager CPU's
    const x = rng.randint(0, 11, [4, 2]);
    const y = rng.randint(0, 11, [8]);
    const got = await step(x, y);
    const want = crossEntropy(reference.forward(x), y);
    expectClose(got.data, want.data, "the retraced call's loss");
  }, 300_000);

  test("the other examples' training steps (mlp, sequence's LSTM and tanh RNN, char-transformer) replay on the GPU as on the CPU", async () => {
    const rng = new RandomState(11);
    type Model = { params: () => ag.Tensor[]; loss: (x: NDArray, y: NDArray) => Tensor };
    const models: Record<string, [(seed: number) => Model, () => { x: NDArray; y: NDArray }]> = {
      mlp: [
        (seed) => {
          const r = new RandomState(seed);
          const m = new Sequential(new Linear(2, 9, { rng: r, dtype: "float32" }), new ReLU(), new Linear(9, 3, { rng: r, dtype: "float32" }));
          return { params: () => m.parameters(), loss: (x, y) => crossEntropy(m.forward(new Tensor(x)), y) };
        },
        () => ({ x: f32(rng, 13, 2), y: rng.randint(0, 3, [13]) }),
      ],
      sequence: [
        (seed) => {
          const r = new RandomState(seed);
          const lstm = new LSTM(2, 7, { rng: r, dtype: "float32" });
          const input = new Linear(2, 7, { rng: r, dtype: "float32" });
          const recurrent = new Linear(7, 7, { rng: r, dtype: "float32", bias: false });
          const head = new Linear(7, 1, { rng: r, dtype: "float32" });
          return {
            params: () => [...lstm.parameters(), ...input.parameters(), ...recurrent.parameters(), ...head.parameters()],
            loss: (x, y) => {
              const [, [h]] = lstm.forward(x);
              let g = new Tensor(nd.zeros([x.shape[1]!, 7], "float32"));
              for (const xt of ag.unbind(input.forward(new Tensor(x)), 0)) g = xt.add(recurrent.forward(g)).tanh();
              return mseLoss(head.forward(h.squeeze(0)), y).add(mseLoss(head.forward(g), y));
            },
          };
        },
        () => ({ x: f32(rng, 6, 4, 2), y: f32(rng, 4, 1) }),
      ],
      transformer: [
        (seed) => {
          const r = new RandomState(seed);
          const tok = new Embedding(7, 8, { rng: r, dtype: "float32" });
          const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true, rng: r, dtype: "float32" });
          const norm = new LayerNorm(8, { dtype: "float32" });
          const head = new Linear(8, 7, { rng: r, dtype: "float32" });
          return {
            params: () => [...tok.parameters(), ...layer.parameters(), ...norm.parameters(), ...head.parameters()],
            loss: (x, y) => crossEntropy(ag.reshape(head.forward(norm.forward(layer.forward(tok.forward(x), { isCausal: true }))), [-1, 7]), y),
          };
        },
        () => ({ x: rng.randint(0, 7, [2, 5]), y: rng.randint(0, 7, [10]) }),
      ],
    };
    for (const [name, [make, data]] of Object.entries(models)) {
      const trainer = (m: Model) => {
        const opt = new Adam(m.params(), { lr: 0.01 });
        return (x: NDArray, y: NDArray) => {
          const loss = m.loss(x, y);
          loss.backward();
          clipGradNorm(m.params(), 1);
          opt.step();
          opt.zeroGrad();
          return loss;
        };
      };
      const onGpu = make(1);
      const onCpu = make(1);
      // The transformer's key bias has a gradient of zero up to rounding (softmax ignores a shift
      // of every key's score), which Adam turns into steps of +-lr whose signs differ between any
      // two float32 implementations: its state is compared through the loss only, unchecked.
      const rounding = name === "transformer";
      const step = compile(trainer(onGpu), { device, check: !rounding }); // else its first replay is checked against eager
      const eager = trainer(onCpu);
      for (let k = 0; k < 5; k++) {
        const { x, y } = data();
        expectClose((await step(x, y)).data, eager(x, y).data, `${name}: the loss of call ${k}`, 1e-3, 1e-4);
      }
      expect(step.stats.replays, name).toBeGreaterThanOrEqual(2);
      await step.sync();
      if (!rounding) onGpu.params().forEach((p, i) => expectClose(p.data, onCpu.params()[i]!.data, `${name}: parameter ${i} after 5 steps`, 1e-3, 1e-4));
    }
  }, 600_000);

  test("float64 is refused at the first call, saying to use float32", async () => {
    const w = new Tensor(nd.ones([3, 2]), true); // float64
    const step = compile((x: Tensor) => {
      w.zeroGrad();
      const loss = x.matmul(w).sum();
      loss.backward();
      return loss;
    }, { device });
    await expect(step(new Tensor(nd.ones([2, 3], "float32")))).rejects.toThrow(/float64.*float32/s);
    const byArg = compile((x: Tensor) => x.sum(), { device });
    await expect(byArg(new Tensor(nd.ones([2, 3])))).rejects.toThrow(CompileError);
    await expect(byArg(new Tensor(nd.ones([2, 3])))).rejects.toThrow(/argument 1 is float64/);
  });

  test("a kernel with no lowering runs on the CPU at the frontier, or is a CompileError naming it", async () => {
    // reads only the argument: at the frontier, its result uploaded
    const double = kernel("doubleOnCpu", (a: NDArray): NDArray => {
      const out = nd.zeros(a.shape, "float32");
      for (let i = 0; i < a.size; i++) out.data[i] = 2 * a.data[a.offset + i]!;
      return out;
    });
    const frontier = compile((x: NDArray) => nd.exp(double(x)), { device, check: false });
    const xs = [nd.array([1, 2, 3], undefined, "float32"), nd.array([0.5, -1, 2], undefined, "float32"), nd.array([3, 0, -2], undefined, "float32")];
    for (const x of xs.slice(0, 2)) await frontier(x);
    expectClose(await frontier(xs[2]!), nd.exp(nd.mul(xs[2]!, 2)), "exp(2x) with 2x on the CPU");
    expect(frontier.plan()).toMatch(/at the frontier: doubleOnCpu x1/);
    // reads what the GPU computed: refused, by name
    const inside = compile((x: NDArray) => double(nd.exp(x)), { device });
    await expect(inside(xs[0]!)).rejects.toThrow(/doubleOnCpu.*no WebGPU lowering/s);
  });
});
