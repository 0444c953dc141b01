// Moving to and from PyTorch: trains a small character model in tapegrad and saves it as
// safetensors with PyTorch's key names, for load_in_torch.py to load into torch.nn modules with a
// strict load_state_dict; then loads a model that PyTorch trained and saved (data/torch-model.*,
// written by data/make-torch-model.py) and evaluates it here against torch's own outputs.
//
//   pnpm example pytorch                        # then: python3 examples/pytorch/load_in_torch.py
//   pnpm example pytorch --export-roundtrip DIR # the round-trip test's tapegrad side

import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import { Adam, crossEntropy, loadSafetensorsInto, saveSafetensors } from "@tapegrad/nn";
import { parseOptions } from "../lib/cli.js";
import { writeAtomic } from "../lib/files.js";
import { CharModel, roundTripModels, roundTripOutputs } from "./models.js";

const here = dirname(fileURLToPath(import.meta.url));

const spec = {
  steps: { type: "integer", min: 1, default: 150, help: "training steps in tapegrad" },
  out: { type: "string", file: "outdir", default: "out/pytorch", help: "output folder (model.safetensors, probe.json)" },
  "export-roundtrip": { type: "string", file: "outdir", help: "write the round-trip models and inputs to this folder, and stop" },
  quiet: { type: "boolean", help: "print nothing" },
} as const;

const TEXT = "the quick brown fox jumps over the lazy dog. ";

export interface Summary {
  loss: number;
  guess: string;
  /** The largest |tapegrad - torch| over the logits of the model PyTorch trained. */
  fromTorchMaxDiff: number;
  fromTorchGuess: string;
}

const idsOf = (chars: string[], s: string) => new nd.NDArray(Int32Array.from(s, (ch) => chars.indexOf(ch)), [1, s.length]);
const guessOf = (chars: string[], logits: nd.NDArray) => nd.argmax(logits, -1).toFlat().map((i) => chars[i]).join("");

export async function main(argv: string[]): Promise<Summary | undefined> {
  const o = parseOptions("usage: pnpm example pytorch [options]\n\nTrains in tapegrad for PyTorch, and runs a model PyTorch trained.", spec, argv);
  const say = o.quiet ? () => {} : (s: string) => console.log(s);

  if (o["export-roundtrip"]) {
    const m = roundTripModels();
    const dir = o["export-roundtrip"];
    writeAtomic(join(dir, "sequential.safetensors"), saveSafetensors(m.sequential));
    writeAtomic(join(dir, "lstm.safetensors"), saveSafetensors(m.lstm));
    writeAtomic(join(dir, "char.safetensors"), saveSafetensors(m.char));
    writeAtomic(join(dir, "inputs.safetensors"), saveSafetensors(m.inputs));
    writeAtomic(join(dir, "outputs.safetensors"), saveSafetensors(roundTripOutputs(m)));
    say(`wrote the round-trip models, inputs and tapegrad's outputs to ${dir}`);
    return undefined;
  }

  // 1. Train in tapegrad: predict each next character of a pangram.
  const chars = [...new Set(TEXT)].sort();
  const model = new CharModel({ vocab: chars.length, embed: 8, hidden: 32, layers: 1 }, { rng: new RandomState(0) });
  const opt = new Adam(model.parameters(), { lr: 0.02 });
  const x = idsOf(chars, TEXT.repeat(2).slice(0, -1));
  const y = idsOf(chars, TEXT.repeat(2).slice(1)).reshape([-1]);
  let loss = NaN;
  for (let step = 0; step < o.steps; step++) {
    const l = crossEntropy(model.forward(x).reshape(-1, chars.length), y);
    l.backward();
    opt.step();
    opt.zeroGrad();
    loss = l.item();
  }
  const probe = TEXT.slice(0, 20);
  const logits = model.forward(idsOf(chars, probe)).data.reshape([probe.length, chars.length]);
  const guess = guessOf(chars, logits);
  writeAtomic(join(o.out, "model.safetensors"), saveSafetensors(model, { metadata: { format: "pt" } }));
  writeAtomic(join(o.out, "probe.json"), JSON.stringify({ config: model.config, chars, ids: idsOf(chars, probe).toFlat(), logits: logits.toArray(), tapegradGuess: guess }));
  say(`trained ${o.steps} steps in tapegrad: cross-entropy ${loss.toFixed(4)}`);
  say(`  input:          ${JSON.stringify(probe)}`);
  say(`  next-char guess ${JSON.stringify(guess)}`);
  say(`saved ${join(o.out, "model.safetensors")}; load it into torch.nn with: /usr/bin/python3 examples/pytorch/load_in_torch.py ${o.out}`);

  // 2. The other way: a model PyTorch trained and saved, evaluated here.
  const ref = JSON.parse(readFileSync(join(here, "data", "torch-model.json"), "utf8")) as {
    config: CharModel["config"]; chars: string[]; text: string; logits: number[][];
  };
  const fromTorch = new CharModel(ref.config);
  loadSafetensorsInto(fromTorch, readFileSync(join(here, "data", "torch-model.safetensors")));
  const got = fromTorch.forward(idsOf(ref.chars, ref.text)).data.reshape([ref.text.length, ref.chars.length]);
  const want = nd.array(ref.logits);
  const fromTorchMaxDiff = nd.max(nd.abs(nd.sub(got.astype("float64"), want))).item();
  const fromTorchGuess = guessOf(ref.chars, got);
  say(`loaded data/torch-model.safetensors (trained by PyTorch) with a strict loadStateDict:`);
  say(`  input:          ${JSON.stringify(ref.text)}`);
  say(`  next-char guess ${JSON.stringify(fromTorchGuess)} (torch's: ${JSON.stringify(guessOf(ref.chars, want))})`);
  say(`  largest |tapegrad - torch| logit: ${fromTorchMaxDiff.toExponential(2)} (float32)`);
  return { loss, guess, fromTorchMaxDiff, fromTorchGuess };
}
