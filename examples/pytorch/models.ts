// The models the pytorch example moves between tapegrad and PyTorch, with the attribute names
// that the python scripts beside it give their torch.nn counterparts.

import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";
import { Embedding, LSTM, Linear, Module, Sequential, Tanh } from "@tapegrad/nn";
import type { DType } from "@tapegrad/tensor";

export interface CharConfig {
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
}

/** Embedding -> LSTM (batch first) -> Linear; torch: the CharModel class in load_in_torch.py. */
export class CharModel extends Module {
  emb: Embedding;
  lstm: LSTM;
  head: Linear;
  constructor(readonly config: CharConfig, { rng = new RandomState(0), dtype = "float32" as DType } = {}) {
    super();
    this.emb = new Embedding(config.vocab, config.embed, { rng, dtype });
    this.lstm = new LSTM(config.embed, config.hidden, { numLayers: config.layers, batchFirst: true, rng, dtype });
    this.head = new Linear(config.hidden, config.vocab, { rng, dtype });
  }
  /** ids (B, T) -> logits (B, T, vocab). */
  forward(ids: nd.NDArray): Tensor {
    return this.head.forward(this.lstm.forward(this.emb.forward(ids))[0]);
  }
}

/** The three round-trip models, float64, seeded; torch builds the same in data/make-roundtrip.py. */
export function roundTripModels() {
  const rng = new RandomState(2024);
  const sequential = new Sequential(new Linear(3, 8, { rng }), new Tanh(), new Linear(8, 2, { rng }));
  const lstm = new LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true, rng });
  const char = new CharModel({ vocab: 7, embed: 3, hidden: 4, layers: 2 }, { rng, dtype: "float64" });
  const inputs = {
    sequential: rng.randn(5, 3),
    lstm: rng.randn(2, 6, 4),
    char: new nd.NDArray(Int32Array.from({ length: 2 * 5 }, (_, i) => (i * 3 + 1) % 7), [2, 5]),
  };
  return { sequential, lstm, char, inputs };
}

/** Each round-trip model's output on its input (the LSTM's: output, h_n, c_n). */
export function roundTripOutputs(m: ReturnType<typeof roundTripModels>): Record<string, nd.NDArray> {
  const [out, [h, c]] = m.lstm.forward(m.inputs.lstm);
  return { sequential: m.sequential.forward(m.inputs.sequential).data, lstm_output: out.data, lstm_h_n: h.data, lstm_c_n: c.data, char: m.char.forward(m.inputs.char).data };
}
