// Witness: PyTorch's print(model). Each expected string is PyTorch 2.x's repr of the same module:
// from PyTorch's tutorials where they print one (named below), else from the module's extra_repr
// in torch/nn/modules/*.py, written out by hand since no PyTorch runs here.

import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import * as nd from "@tapegrad/tensor";
import { type Tensor, type TensorLike } from "@tapegrad/autograd";
import {
  AvgPool1d, AvgPool2d, Conv1d, Conv2d, Dropout, Embedding, Flatten, GELU, GRU, LayerNorm, Linear, LSTM, LSTMCell,
  MaxPool2d, Module, ModuleDict, ModuleList, Parameter, ReLU, RNN, RNNCell, Sequential, Softmax, TransformerEncoderLayer,
  formatModule, LeakyReLU, ELU, CELU, SELU, ReLU6, Hardtanh, Hardswish, Hardsigmoid, Softplus, Softsign, Mish, LogSigmoid,
  Softmin,
} from "../src/index.js";
import { pyFloat } from "../src/print.js";

describe("modules print as PyTorch's print(model)", () => {
  it("a Sequential (the form the issue quotes)", () => {
    const m = new Sequential(new Linear(2, 3), new ReLU());
    expect(String(m)).toBe("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)");
    expect(inspect(m)).toBe(String(m));
    expect(formatModule(m)).toBe(String(m));
  });

  it("a module of one's own, nested (the 'Build the Neural Network' tutorial's NeuralNetwork)", () => {
    class NeuralNetwork extends Module {
      flatten = new Flatten();
      linear_relu_stack = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));
      forward(x: TensorLike): Tensor {
        return this.linear_relu_stack.forward(this.flatten.forward(x));
      }
    }
    expect(String(new NeuralNetwork())).toBe(
      [
        "NeuralNetwork(",
        "  (flatten): Flatten(start_dim=1, end_dim=-1)",
        "  (linear_relu_stack): Sequential(",
        "    (0): Linear(in_features=784, out_features=512, bias=True)",
        "    (1): ReLU()",
        "    (2): Linear(in_features=512, out_features=512, bias=True)",
        "    (3): ReLU()",
        "    (4): Linear(in_features=512, out_features=10, bias=True)",
        "  )",
        ")",
      ].join("\n"),
    );
  });

  it("the 60-minute blitz's Net (conv layers)", () => {
    class Net extends Module {
      conv1 = new Conv2d(1, 6, 5);
      conv2 = new Conv2d(6, 16, 5);
      fc1 = new Linear(16 * 5 * 5, 120);
      fc2 = new Linear(120, 84);
      fc3 = new Linear(84, 10);
      forward(x: TensorLike): Tensor {
        return this.fc3.forward(x);
      }
    }
    expect(String(new Net())).toBe(
      [
        "Net(",
        "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))",
        "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))",
        "  (fc1): Linear(in_features=400, out_features=120, bias=True)",
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)",
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)",
        ")",
      ].join("\n"),
    );
  });

  it("each layer's extra_repr", () => {
    const cases: [Module, string][] = [
      // the CIFAR-10 tutorial prints (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
      [new MaxPool2d(2, { stride: 2 }), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"],
      // torch.nn.Conv1d / Conv2d docs' examples
      [new Conv1d(16, 33, 3, { stride: 2 }), "Conv1d(16, 33, kernel_size=(3,), stride=(2,))"],
      [
        new Conv2d(16, 33, [3, 5], { stride: [2, 1], padding: [4, 2], dilation: [3, 1] }),
        "Conv2d(16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1))",
      ],
      [new Conv2d(4, 4, 3, { padding: "same", groups: 2, bias: false }), "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2, bias=False)"],
      // AvgPool1d makes its sizes 1-tuples (_single); AvgPool2d keeps an int
      [new AvgPool1d(3, { stride: 2 }), "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))"],
      [new AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"],
      [new Dropout(), "Dropout(p=0.5, inplace=False)"],
      [new LayerNorm(10), "LayerNorm((10,), eps=1e-05, elementwise_affine=True)"],
      [new LayerNorm([2, 3], { eps: 1e-6, elementwiseAffine: false }), "LayerNorm((2, 3), eps=1e-06, elementwise_affine=False)"],
      [new Embedding(10, 3), "Embedding(10, 3)"],
      [new GELU(), "GELU(approximate='none')"],
      [new Softmax(1), "Softmax(dim=1)"],
      [new Linear(4, 2, { bias: false }), "Linear(in_features=4, out_features=2, bias=False)"],
      // RNNBase.extra_repr: only what differs from the defaults
      [new LSTM(3, 5, { numLayers: 2, batchFirst: true }), "LSTM(3, 5, num_layers=2, batch_first=True)"],
      [new LSTM(3, 5), "LSTM(3, 5)"],
      [new GRU(3, 5, { numLayers: 2, dropout: 0.5, bidirectional: true, bias: false }), "GRU(3, 5, num_layers=2, bias=False, dropout=0.5, bidirectional=True)"],
      [new RNN(3, 5, { nonlinearity: "relu" }), "RNN(3, 5)"],
      // RNNCellBase.extra_repr
      [new LSTMCell(3, 5, { bias: false }), "LSTMCell(3, 5, bias=False)"],
      [new RNNCell(3, 5, { nonlinearity: "relu" }), "RNNCell(3, 5, nonlinearity=relu)"],
    ];
    for (const [m, want] of cases) expect(String(m)).toBe(want);
  });

  it("the activations print their settings as torch 1.13 does", () => {
    // repr() of each module in torch 1.13 (Debian's python3-torch), e.g. repr(nn.Softplus(0.5, 7.5))
    const cases: [Module, string][] = [
      [new LeakyReLU(), "LeakyReLU(negative_slope=0.01)"],
      [new LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"],
      [new ELU(), "ELU(alpha=1.0)"],
      [new ELU(0.5), "ELU(alpha=0.5)"],
      [new CELU(), "CELU(alpha=1.0)"],
      [new CELU(2), "CELU(alpha=2.0)"],
      [new SELU(), "SELU()"],
      [new ReLU6(), "ReLU6()"],
      [new Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"],
      [new Hardtanh(-2, 2), "Hardtanh(min_val=-2.0, max_val=2.0)"],
      [new Hardswish(), "Hardswish()"],
      [new Hardsigmoid(), "Hardsigmoid()"],
      [new Softplus(), "Softplus(beta=1, threshold=20)"],
      [new Softplus(2, 10), "Softplus(beta=2, threshold=10)"],
      [new Softplus(0.5, 7.5), "Softplus(beta=0.5, threshold=7.5)"],
      [new Softsign(), "Softsign()"],
      [new Mish(), "Mish()"],
      [new LogSigmoid(), "LogSigmoid()"],
      [new Softmin(0), "Softmin(dim=0)"],
      [new Softmin(-1), "Softmin(dim=-1)"],
    ];
    for (const [m, want] of cases) expect(String(m)).toBe(want);
  });

  it("a ModuleList folds repeated children; a Sequential does not", () => {
    // PyTorch >= 2.0: ModuleList([nn.Linear(10, 10) for _ in range(10)])
    const list = new ModuleList(Array.from({ length: 10 }, () => new Linear(10, 10)));
    expect(String(list)).toBe("ModuleList(\n  (0-9): 10 x Linear(in_features=10, out_features=10, bias=True)\n)");
    const mixed = new ModuleList([new ReLU(), new ReLU(), new Linear(1, 1), new ReLU()]);
    expect(String(mixed)).toBe("ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Linear(in_features=1, out_features=1, bias=True)\n  (3): ReLU()\n)");
    expect(String(new ModuleList())).toBe("ModuleList()");
    expect(String(new Sequential(new ReLU(), new ReLU()))).toBe("Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)");
    expect(String(new ModuleDict({ act: new ReLU() }))).toBe("ModuleDict(\n  (act): ReLU()\n)");
  });

  it("TransformerEncoderLayer: children in PyTorch's order", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(String(layer)).toBe(
      [
        "TransformerEncoderLayer(",
        "  (self_attn): MultiheadAttention(",
        // PyTorch: NonDynamicallyQuantizableLinear, its name for a Linear that quantization skips
        "    (out_proj): Linear(in_features=8, out_features=8, bias=True)",
        "  )",
        "  (linear1): Linear(in_features=8, out_features=16, bias=True)",
        "  (dropout): Dropout(p=0.1, inplace=False)",
        "  (linear2): Linear(in_features=16, out_features=8, bias=True)",
        "  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)",
        "  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)",
        "  (dropout1): Dropout(p=0.1, inplace=False)",
        "  (dropout2): Dropout(p=0.1, inplace=False)",
        ")",
      ].join("\n"),
    );
  });

  it("a module of one's own can say its settings through extraRepr", () => {
    class Scale extends Module {
      constructor(readonly factor: number) {
        super();
      }
      override extraRepr(): string {
        return `factor=${this.factor}`;
      }
      forward(x: TensorLike): TensorLike {
        return x;
      }
    }
    expect(String(new Sequential(new Scale(2)))).toBe("Sequential(\n  (0): Scale(factor=2)\n)");
  });

  it("a Parameter prints as PyTorch's: 'Parameter containing:' then the tensor", () => {
    // nn.Parameter(torch.tensor([1., 2.]))
    const p = new Parameter(nd.array([1, 2]));
    expect(String(p)).toBe("Parameter containing:\ntensor([1., 2.], requires_grad=True)");
    expect(inspect(p)).toBe(String(p));
    expect(String(new Parameter(nd.array([1, 2]), false))).toBe("Parameter containing:\ntensor([1., 2.])");
  });

  it("pyFloat is Python's repr of a float", () => {
    // repr(1e-05), repr(0.1), repr(1e+16), repr(123.0), repr(0.0001), repr(1.5e-07), repr(2.5e+20)
    expect([1e-5, 0.1, 1e16, 123, 0.0001, 1.5e-7, 2.5e20, 1234567890123456].map(pyFloat)).toEqual([
      "1e-05", "0.1", "1e+16", "123.0", "0.0001", "1.5e-07", "2.5e+20", "1234567890123456.0",
    ]);
  });
});
