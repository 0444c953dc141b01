// A floating input whose dtype differs from the module's floating parameters is an error, as
// in PyTorch (torch.nn.Linear(3, 2)(torch.zeros(1, 3, dtype=torch.float64)) raises
// "mat1 and mat2 must have the same dtype" / "expected scalar type Float but found Double"),
// where before it silently computed in float64. Integer ids into Embedding are no mismatch, and
// an input cast to the module's dtype runs.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { DTypeError } from "@tapegrad/tensor";
import { tensor, type Tensor } from "@tapegrad/autograd";
import {
  Conv1d, Conv2d, Embedding, GRU, GRUCell, LSTM, LSTMCell, LayerNorm, Linear, Module, MultiheadAttention, Parameter, RNN, RNNCell, Sequential,
  TransformerEncoderLayer, checkInputDType,
} from "@tapegrad/nn";

const f32 = { dtype: "float32" as const };
const x64 = (...shape: number[]) => tensor(nd.zeros(shape));
const x32 = (...shape: number[]) => tensor(nd.zeros(shape, "float32"));

type Case = [string, () => unknown, () => unknown];
const cases: Case[] = [
  ["Linear", () => new Linear(3, 2, f32).forward(x64(4, 3)), () => new Linear(3, 2, f32).forward(x32(4, 3))],
  ["Conv1d", () => new Conv1d(2, 3, 3, f32).forward(x64(1, 2, 5)), () => new Conv1d(2, 3, 3, f32).forward(x32(1, 2, 5))],
  ["Conv2d", () => new Conv2d(2, 3, 3, f32).forward(x64(1, 2, 5, 5)), () => new Conv2d(2, 3, 3, f32).forward(x32(1, 2, 5, 5))],
  ["LSTMCell", () => new LSTMCell(3, 4, f32).forward(x64(2, 3)), () => new LSTMCell(3, 4, f32).forward(x32(2, 3))],
  ["GRUCell", () => new GRUCell(3, 4, f32).forward(x64(2, 3)), () => new GRUCell(3, 4, f32).forward(x32(2, 3))],
  ["RNNCell", () => new RNNCell(3, 4, f32).forward(x64(2, 3)), () => new RNNCell(3, 4, f32).forward(x32(2, 3))],
  ["LSTM", () => new LSTM(3, 4, f32).forward(x64(5, 2, 3)), () => new LSTM(3, 4, f32).forward(x32(5, 2, 3))],
  ["GRU", () => new GRU(3, 4, f32).forward(x64(5, 2, 3)), () => new GRU(3, 4, f32).forward(x32(5, 2, 3))],
  ["RNN", () => new RNN(3, 4, f32).forward(x64(5, 2, 3)), () => new RNN(3, 4, f32).forward(x32(5, 2, 3))],
  ["MultiheadAttention", () => new MultiheadAttention(4, 2, f32).forward(x64(3, 1, 4), x64(3, 1, 4), x64(3, 1, 4)), () => new MultiheadAttention(4, 2, f32).forward(x32(3, 1, 4), x32(3, 1, 4), x32(3, 1, 4))],
  ["LayerNorm", () => new LayerNorm(4, f32).forward(x64(2, 4)), () => new LayerNorm(4, f32).forward(x32(2, 4))],
  ["TransformerEncoderLayer", () => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, ...f32 }).forward(x64(3, 1, 4)), () => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, ...f32 }).forward(x32(3, 1, 4))],
];

describe("a float64 input into a float32 module is a DTypeError naming both", () => {
  for (const [name, bad, good] of cases) {
    it(name, () => {
      expect(bad).toThrow(DTypeError);
      expect(bad).toThrow(/has dtype float64 but the module's parameters are float32 \(PyTorch: "expected scalar type Float but found Double"\)/);
      expect(good).not.toThrow();
    });
  }

  it("and the other way round: float32 into a float64 module", () => {
    expect(() => new Linear(3, 2).forward(x32(1, 3))).toThrow(/Linear: input has dtype float32 but the module's parameters are float64/);
  });

  it("the message says how to cast, and the cast runs in the module's dtype", () => {
    const fc = new Linear(3, 2, f32);
    expect(() => fc.forward(x64(1, 3))).toThrow(/cast the input with .astype\("float32"\), or make the module with \{ dtype: "float64" \}/);
    const y = fc.forward(x64(1, 3).astype("float32"));
    expect(y.dtype).toBe("float32");
  });

  it("a recurrent state of the other dtype is named too", () => {
    const cell = new LSTMCell(3, 4, f32);
    expect(() => cell.forward(x32(2, 3), [x64(2, 4), x32(2, 4)])).toThrow(/LSTMCell: h has dtype float64/);
    expect(() => new GRU(3, 4, f32).forward(x32(5, 2, 3), x64(1, 2, 4))).toThrow(/GRU: h0 has dtype float64/);
  });

  it("a Sequential reports the first layer whose input does not fit", () => {
    const net = new Sequential(new Linear(3, 4, f32), new Linear(4, 2, f32));
    expect(() => net.forward(x64(1, 3))).toThrow(/^Linear: input has dtype float64/);
  });
});

describe("what is not a mismatch", () => {
  it("integer ids into a float32 Embedding", () => {
    const emb = new Embedding(10, 4, f32);
    expect(emb.forward(new nd.NDArray(Int32Array.of(1, 2, 3), [3])).dtype).toBe("float32");
    expect(emb.forward(tensor(nd.array([1, 2], undefined, "int32"))).dtype).toBe("float32");
  });

  it("a float32 module fed float32, and a float64 one fed float64 (the default)", () => {
    expect(new Linear(3, 2).forward(x64(1, 3)).dtype).toBe("float64");
    expect(new LSTM(3, 2, f32).forward(x32(4, 1, 3))[0].dtype).toBe("float32");
  });

  it("checkInputDType for a module of one's own: ints, numbers and matching floats pass", () => {
    class Scale extends Module {
      w = new Parameter(nd.ones([3], "float32"));
      forward(x: Tensor): Tensor {
        checkInputDType("Scale", x, this.w);
        return x.mul(this.w);
      }
    }
    const s = new Scale();
    expect(() => s.forward(x64(3))).toThrow(/Scale: input has dtype float64/);
    expect(() => checkInputDType("Scale", 2, s.w)).not.toThrow();
    expect(() => checkInputDType("Scale", nd.zeros([3], "int32"), s.w)).not.toThrow();
    expect(s.forward(x32(3)).dtype).toBe("float32");
  });
});
