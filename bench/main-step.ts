// The main job's training step alone (the demo's model, batch and optimizer), compiled, on one
// thread: ms per step, and with --plan the compiled plan's kernels. For measuring a lever of
// issue 25 without the demo's checks and samples around it:
//
//   TAPEGRAD_NUM_THREADS=1 npx tsx --conditions=source bench/main-step.ts [--steps=60] [--plan] [--ab=pack|wasm|arena]
//
// --ab=pack: rounds of --steps steps alternating B packed once per replay on and off (in the
// same process, so that the machine's load falls on both), and the median of each.
// --ab=wasm, --ab=arena: two models, one planned with the lever and one without, their steps
// alternating round by round: fused loops as wasm; those loops run in place over the program's
// arena rather than staged.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RandomState, type NDArray } from "@tapegrad/tensor";
import { compile, type Tensor } from "@tapegrad/autograd";
import { Adam, CosineAnnealingLR, Vocab, clipGradNorm, crossEntropy } from "@tapegrad/nn";
import { CharModel, batchAt, type Config } from "../examples/char-lstm/model.js";
import { median } from "./lib/timing.js";
// the library's own module (the same instance as @tapegrad/tensor's): its benchmark switches
import { setPackReuse, takePackCounts } from "../packages/tensor/src/wasm/gemm.js";
import { setFusedWasm } from "../packages/tensor/src/wasm/fused-wasm.js";
import { setArenaMinBytes } from "../packages/tensor/src/wasm/arena.js";

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);

/** Levers of issue 25 that a model is planned with or without (--ab=NAME). */
const LEVERS: Record<string, { what: [string, string]; set: (on: boolean) => void }> = {
  wasm: { what: ["fused loops as wasm where they can be", "fused loops in JS"], set: (on) => void setFusedWasm(on) },
  arena: { what: ["fused loops in place (the program's arena)", "fused loops staged"], set: (on) => void setArenaMinBytes(on ? 1 << 20 : Infinity) },
};

/** The demo's step, compiled, on the demo's data; `run(n)` trains n more steps and returns their ms each. */
export function mainStep(): { run(n: number): number[]; plan(): string } {
  const text = readFileSync(fileURLToPath(new URL("../examples/char-lstm/data/corpus.txt", import.meta.url)), "utf8");
  const vocab = Vocab.fromText(text);
  const ids = vocab.encode(text);
  const train = ids.subarray(0, Math.floor(ids.length * 0.9));
  const c: Config = { hidden: 192, layers: 1, embed: 32, seqLen: 48, batch: 32, lr: 0.01, steps: 800, seed: 1, clip: 1, dtype: "float32", evalEvery: 100 };
  const rng = new RandomState(c.seed);
  const model = new CharModel(vocab.tokens.length, c, rng);
  const opt = new Adam(model.parameters(), { lr: c.lr });
  const sched = new CosineAnnealingLR(opt, { tMax: c.steps, etaMin: c.lr / 10 });
  const step = compile((x: NDArray, y: NDArray): Tensor => {
    const [logits] = model.forward(x);
    const loss = crossEntropy(logits, y);
    loss.backward();
    clipGradNorm(model.parameters(), c.clip);
    opt.step();
    opt.zeroGrad();
    return loss;
  });
  return {
    run(n) {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const { x, y } = batchAt(train, rng.randint(0, train.length - c.seqLen - 1, [c.batch]).data, c.seqLen);
        const t0 = performance.now();
        step(x, y).item();
        ms.push(performance.now() - t0);
        sched.step();
      }
      return ms;
    },
    plan: () => step.plan(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = mainStep();
  s.run(5);
  const n = arg("steps", 60);
  const line = (what: string, ms: number[]) => `${what}: median ${median(ms).toFixed(2)} ms (${(1000 / median(ms)).toFixed(1)} steps/s), min ${Math.min(...ms).toFixed(2)} ms, ${ms.length} steps`;
  const lever = LEVERS[process.argv.find((a) => a.startsWith("--ab="))?.slice(5) ?? ""];
  if (lever !== undefined) {
    // two models, one planned with the lever off: their steps alternate round by round
    lever.set(false);
    const without = mainStep();
    without.run(5);
    lever.set(true);
    const on: number[] = [];
    const off: number[] = [];
    const rounds = arg("rounds", 6);
    for (let r = 0; r < rounds; r++) {
      for (const with_ of r % 2 === 0 ? [true, false] : [false, true]) (with_ ? on : off).push(...(with_ ? s : without).run(n));
    }
    console.log(line(lever.what[0].padEnd(40), on));
    console.log(line(lever.what[1].padEnd(40), off));
    console.log(`ratio on/off (medians): ${(median(on) / median(off)).toFixed(3)}; per round: ${Array.from({ length: rounds }, (_, r) => (median(on.slice(r * n, (r + 1) * n)) / median(off.slice(r * n, (r + 1) * n))).toFixed(3)).join(" ")}`);
  } else if (process.argv.includes("--ab=pack")) {
    const on: number[] = [];
    const off: number[] = [];
    const rounds = arg("rounds", 6);
    for (let r = 0; r < rounds; r++) {
      for (const reuse of r % 2 === 0 ? [true, false] : [false, true]) {
        setPackReuse(reuse);
        takePackCounts();
        (reuse ? on : off).push(...s.run(n));
        if (r === 0) console.log(`B packed once per replay ${reuse ? "on" : "off"}: ${JSON.stringify(takePackCounts())} over ${n} steps`);
      }
    }
    setPackReuse(true);
    console.log(line("packed once per replay", on));
    console.log(line("packed per product    ", off));
    console.log(`ratio on/off (medians): ${(median(on) / median(off)).toFixed(3)}; per round: ${Array.from({ length: rounds }, (_, r) => (median(on.slice(r * n, (r + 1) * n)) / median(off.slice(r * n, (r + 1) * n))).toFixed(3)).join(" ")}`);
  } else {
    console.log(line("main step", s.run(n)));
  }
  if (process.argv.includes("--plan")) console.log(s.plan());
}
