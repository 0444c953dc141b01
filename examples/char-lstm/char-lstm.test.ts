// The main job with tiny settings: it must learn, and an interrupted-then-resumed run must be
// the same run as an uninterrupted one.

import { describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSafetensors } from "@tapegrad/nn";
import { RandomState } from "@tapegrad/tensor";
import { main } from "./main.js";
import { CharModel, compiledEvaluate, evaluate } from "./model.js";

const tiny = ["--hidden", "32", "--embed", "16", "--batch", "8", "--seq-len", "16", "--lr", "0.02", "--eval-every", "1000", "--quiet"];

describe("char-lstm", () => {
  it("learns: validation bits/char fall well below a uniform guess over the 75 characters", async () => {
    const out = mkdtempSync(join(tmpdir(), "char-lstm-"));
    const s = (await main([...tiny, "--steps", "80", "--out", out]))!;
    // Before training the model predicts nearly uniformly: log2(75) = 6.23 bits/char.
    expect(s.valBpc).toBeLessThan(0.75 * Math.log2(75));
    // and it has learned something beyond character frequencies' order of magnitude
    expect(s.valBpc).toBeLessThan(1.1 * s.unigramBpc);
    expect(s.steps).toBe(80);
    const svg = readFileSync(join(out, "loss.svg"), "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("validation");
  }, 120_000);

  it("trains to the same weights compiled (the default) and eagerly (--no-compile)", async () => {
    const a = mkdtempSync(join(tmpdir(), "char-lstm-c-"));
    const b = mkdtempSync(join(tmpdir(), "char-lstm-e-"));
    const compiled = (await main([...tiny, "--steps", "12", "--out", a]))!;
    const eager = (await main([...tiny, "--steps", "12", "--out", b, "--no-compile"]))!;
    expect(compiled.valBpc).toBe(eager.valBpc);
    const ta = parseSafetensors(readFileSync(join(a, "checkpoint.safetensors"))).tensors;
    const tb = parseSafetensors(readFileSync(join(b, "checkpoint.safetensors"))).tensors;
    for (const k of Object.keys(ta)) expect(tb[k]!.toFlat(), k).toEqual(ta[k]!.toFlat());
  }, 120_000);

  it("validation compiled gives evaluate's figure bit for bit, and reads the weights at every call", () => {
    const data = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 75);
    const config = { hidden: 16, layers: 1, embed: 8, seqLen: 12, batch: 4, lr: 0.01, steps: 1, seed: 3, clip: 1, dtype: "float32", evalEvery: 1 } as const;
    const model = new CharModel(75, { ...config }, new RandomState(3));
    const fast = compiledEvaluate(model);
    for (let round = 0; round < 4; round++) {
      // 83 windows of 12: batches of 10 and a last one of 3, both traced then replayed
      expect(fast(data, 12, 10)).toBe(evaluate(model, data, 12, 10));
      for (const p of model.parameters()) p.data.assign(p.data.mul(0.9).add(0.01 * round)); // as an optimizer would
    }
  });

  it("resumes from a checkpoint to exactly the weights of an uninterrupted run", async () => {
    const a = mkdtempSync(join(tmpdir(), "char-lstm-a-"));
    const b = mkdtempSync(join(tmpdir(), "char-lstm-b-"));
    const straight = (await main([...tiny, "--steps", "8", "--out", a]))!;
    await main([...tiny, "--steps", "8", "--stop-at", "4", "--out", b]);
    const resumed = (await main(["--resume", join(b, "checkpoint.safetensors"), "--out", b, "--quiet"]))!;
    expect(resumed.steps).toBe(8);
    expect(resumed.valBpc).toBe(straight.valBpc);
    const ta = parseSafetensors(readFileSync(join(a, "checkpoint.safetensors"))).tensors;
    const tb = parseSafetensors(readFileSync(join(b, "checkpoint.safetensors"))).tensors;
    expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
    for (const k of Object.keys(ta)) expect(tb[k]!.toFlat(), k).toEqual(ta[k]!.toFlat());
  }, 120_000);

  it("labels its figures: loss in nats/char of this batch, bpc a moving average, and what each validation read", async () => {
    const out = mkdtempSync(join(tmpdir(), "char-lstm-o-"));
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    const write = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
    try {
      await main(["--hidden", "16", "--embed", "8", "--batch", "4", "--seq-len", "16", "--steps", "2", "--eval-every", "1", "--out", out]);
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
    const text = lines.join("\n");
    // The bundled novel's validation tenth is longer than 20,000 characters.
    expect(text).toMatch(/checks every 1 steps read the first 20,000 validation chars; the final figure reads all/);
    expect(text).toMatch(/step 1: train \d+\.\d+ bits\/char \(moving average\), validation \d+\.\d+ bits\/char on the first 20,000 validation chars/);
    expect(text).toMatch(/step 2\/2 \[#+\] loss \d+\.\d+ nats\/char \(batch\)  bpc \d+\.\d+ \(moving avg\)/);
    expect(text).toMatch(/validation on all [\d,]+ validation chars: \d+\.\d+ bits\/char/);
  }, 120_000);
});

describe("char-lstm checkpoints", () => {
  // the weights and Adam's state a file holds must come back unchanged, whichever format wrote it
  const build = async () => {
    const { CharModel } = await import("./model.js");
    const { Adam } = await import("@tapegrad/nn");
    const { RandomState } = await import("@tapegrad/tensor");
    const config = { hidden: 8, layers: 1, embed: 4, seqLen: 5, batch: 2, lr: 0.01, steps: 3, seed: 3, clip: 1, dtype: "float64" as const, evalEvery: 10 };
    const model = new CharModel(6, config, new RandomState(3));
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    return { model, opt, config };
  };
  const run = (config: object) => ({ config, chars: ["a", "b", "c", "d", "e", "f"], step: 7, seconds: 1, rng: null, sampleRng: null, history: [] }) as never;
  const same = (a: { stateDict(): Record<string, { toArray(): unknown }> }, b: typeof a) => {
    const [x, y] = [a.stateDict(), b.stateDict()];
    expect(Object.keys(y)).toEqual(Object.keys(x));
    for (const k of Object.keys(x)) expect(y[k]!.toArray(), k).toEqual(x[k]!.toArray());
  };

  it("writes nn's saveCheckpoint format and reads it back into fresh objects", async () => {
    const { encodeCheckpoint, readCharCheckpoint } = await import("./model.js");
    const a = await build();
    const bytes = encodeCheckpoint(a.model, a.opt, run(a.config));
    const ck = readCharCheckpoint(bytes, "new.safetensors");
    expect(ck.meta.step).toBe(7);
    const { CharModel } = await import("./model.js");
    const { RandomState } = await import("@tapegrad/tensor");
    const b = new CharModel(6, a.config, new RandomState(99)); // other initial weights
    ck.restore(b);
    same(a.model as never, b as never);
  });

  it("still reads a checkpoint in the format this example wrote before (model.* and optim.* with a tapegrad metadata entry)", async () => {
    const { readCharCheckpoint, CharModel } = await import("./model.js");
    const { saveSafetensors, Adam } = await import("@tapegrad/nn");
    const { RandomState, NDArray } = await import("@tapegrad/tensor");
    const a = await build();
    const sd: Record<string, never> = {};
    for (const [k, v] of Object.entries(a.model.stateDict())) sd[`model.${k}`] = v as never;
    const os = a.opt.stateDict();
    for (const [k, v] of Object.entries(os.tensors)) sd[`optim.${k}`] = v as never;
    const bytes = saveSafetensors(sd, { metadata: { tapegrad: JSON.stringify({ ...(run(a.config) as object), optim: os.meta }) } });
    const ck = readCharCheckpoint(bytes, "old.safetensors");
    const b = new CharModel(6, a.config, new RandomState(99));
    ck.restore(b, new Adam(b.parameters(), { lr: 0.01 }));
    same(a.model as never, b as never);
    expect(() => readCharCheckpoint(saveSafetensors({ w: new NDArray(new Float64Array(2), [2]) }), "other.safetensors")).toThrow(
      /other\.safetensors: not a char-lstm checkpoint/,
    );
  });
});
