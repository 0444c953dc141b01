// Weights that move between tapegrad and PyTorch unchanged. The torch side ran once, by the
// committed scripts beside the data (data/make-roundtrip.py, data/make-torch-model.py, torch
// 1.13): a Sequential, a 2-layer bidirectional LSTM and an Embedding-LSTM-Linear model went
// tapegrad -> torch (strict load_state_dict) -> tapegrad (strict loadStateDict) here; and a
// model PyTorch trained runs here with torch's outputs.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import { LSTM, Linear, Sequential, Tanh, loadSafetensors, loadSafetensorsInto, type Module } from "@tapegrad/nn";
import { main } from "./main.js";
import { CharModel, roundTripModels, roundTripOutputs } from "./models.js";

const here = dirname(fileURLToPath(import.meta.url));
const data = (...p: string[]) => join(here, "data", ...p);
const file = (...p: string[]) => new Uint8Array(readFileSync(data(...p)));
const NAMES = ["sequential", "lstm", "char"] as const;

/** The same architectures with other weights, to load into. */
function blanks(): Record<(typeof NAMES)[number], Module> {
  const rng = new RandomState(99);
  return {
    sequential: new Sequential(new Linear(3, 8, { rng }), new Tanh(), new Linear(8, 2, { rng })),
    lstm: new LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true, rng }),
    char: new CharModel({ vocab: 7, embed: 3, hidden: 4, layers: 2 }, { rng, dtype: "float64" }),
  };
}

describe("round trip tapegrad -> torch -> tapegrad, strict on both sides", () => {
  it("the files torch read are the bytes tapegrad writes today", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pytorch-roundtrip-"));
    await main(["--export-roundtrip", dir, "--quiet"]);
    for (const f of [...NAMES, "inputs", "outputs"]) {
      expect([...new Uint8Array(readFileSync(join(dir, `${f}.safetensors`)))], f).toEqual([...file("roundtrip", "from-tapegrad", `${f}.safetensors`)]);
    }
  });

  it.each(NAMES)("%s: torch's state dict loads strictly, every weight bit for bit the one tapegrad saved", (name) => {
    const original = roundTripModels()[name];
    const back = blanks()[name];
    const torchKeys = Object.keys(loadSafetensors(file("roundtrip", "from-torch", `${name}.safetensors`)));
    expect(torchKeys.sort()).toEqual(Object.keys(original.stateDict()).sort());
    expect(loadSafetensorsInto(back, file("roundtrip", "from-torch", `${name}.safetensors`))).toEqual({ missing: [], unexpected: [] });
    for (const [k, v] of Object.entries(original.stateDict())) expect(back.stateDict()[k]!.toFlat(), k).toEqual(v.toFlat());
  });

  it("the models loaded back compute torch's outputs (float64, within 1e-12)", () => {
    const m = roundTripModels();
    const loaded = blanks();
    for (const name of NAMES) loadSafetensorsInto(loaded[name], file("roundtrip", "from-torch", `${name}.safetensors`));
    const ours = roundTripOutputs({ ...m, sequential: loaded.sequential as Sequential, lstm: loaded.lstm as LSTM, char: loaded.char as CharModel });
    const torch = loadSafetensors(file("roundtrip", "from-torch", "outputs.safetensors"));
    expect(Object.keys(torch).sort()).toEqual(Object.keys(ours).sort());
    for (const [k, want] of Object.entries(torch)) {
      expect(ours[k]!.shape, k).toEqual(want.shape);
      expect(nd.max(nd.abs(nd.sub(ours[k]!, want))).item(), k).toBeLessThan(1e-12);
    }
  });
});

describe("the pytorch example", () => {
  it("trains, saves, and runs the model PyTorch trained with torch's outputs and guesses", async () => {
    const out = mkdtempSync(join(tmpdir(), "pytorch-"));
    const s = (await main(["--steps", "150", "--out", out, "--quiet"]))!;
    expect(s.loss).toBeLessThan(0.1);
    // each next character of "the quick brown fox ": the text itself, shifted by one
    expect(s.guess).toBe("he quick brown fox j");
    const probe = JSON.parse(readFileSync(join(out, "probe.json"), "utf8")) as { logits: number[][] };
    expect(probe.logits).toHaveLength(20);
    expect(Object.keys(loadSafetensors(readFileSync(join(out, "model.safetensors")))).sort()).toEqual(
      ["emb.weight", "head.bias", "head.weight", "lstm.bias_hh_l0", "lstm.bias_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l0"],
    );
    // float32 logits of size ~10: a few ulp
    expect(s.fromTorchMaxDiff).toBeLessThan(1e-5);
    const ref = JSON.parse(readFileSync(data("torch-model.json"), "utf8")) as { chars: string[]; logits: number[][] };
    expect(s.fromTorchGuess).toBe(ref.logits.map((row) => ref.chars[row.indexOf(Math.max(...row))]).join(""));
  }, 60_000);
});
