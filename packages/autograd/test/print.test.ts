// Witness: PyTorch's own printing. Each expected string is what `repr(t)` gives in PyTorch 2.x
// (torch/_tensor_str.py, whose rules print.ts ports), written out from PyTorch's documented output
// and its source, since no PyTorch runs here. Where tapegrad differs on purpose the comment says so:
// the dtype suffix spells tapegrad's dtype and float64 is the default that goes unsaid, and
// grad_fn has no overload digit (PyTorch: MulBackward0).

import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import * as nd from "@tapegrad/tensor";
import { Tensor, formatTensor, tensor } from "../src/index.js";
import { pyExp, pyFixed } from "../src/print.js";

describe("Tensor prints as PyTorch's repr", () => {
  it("a 2-d leaf that requires grad (PyTorch's autograd tutorial)", () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(String(x)).toBe("tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)");
  });

  it("console.log shows the repr, not the fields", () => {
    const x = tensor([1, 2]);
    const shown = inspect(x);
    expect(shown).toBe("tensor([1., 2.])");
    expect(inspect({ x })).toContain("tensor([1., 2.])");
    expect(shown).not.toMatch(/_data|storageInfo|_valueFree/);
  });

  it("four digits after the point, sci notation for wide ranges or tiny values", () => {
    // torch.tensor([0.1, 0.2]) -> tensor([0.1000, 0.2000])
    expect(String(tensor([0.1, 0.2]))).toBe("tensor([0.1000, 0.2000])");
    // torch.tensor([1e-5, 1.]) -> tensor([1.0000e-05, 1.0000e+00])
    expect(String(tensor([1e-5, 1]))).toBe("tensor([1.0000e-05, 1.0000e+00])");
    // torch.tensor([-1.5, 10.25]) -> tensor([-1.5000, 10.2500])
    expect(String(tensor([-1.5, 10.25]))).toBe("tensor([-1.5000, 10.2500])");
    // torch.tensor(3.5) -> tensor(3.5000); torch.tensor(3.) -> tensor(3.)
    expect(String(tensor(3.5))).toBe("tensor(3.5000)");
    expect(String(tensor(3))).toBe("tensor(3.)");
    // torch.tensor([float('nan'), 1., float('inf')]) -> tensor([nan, 1., inf])
    expect(String(tensor([NaN, 1, Infinity]))).toBe("tensor([nan, 1., inf])");
  });

  it("rounds as Python's format does: half to even on exact ties", () => {
    // 0.03125 is exact in binary: Python's f"{0.03125:.4f}" is '0.0312' (JS's toFixed says 0.0313)
    expect(String(tensor([0.03125]))).toBe("tensor([0.0312])");
    expect(pyFixed(0.125, 2)).toBe("0.12");
    expect(pyFixed(0.375, 2)).toBe("0.38");
    expect(pyFixed(-0.0, 1)).toBe("-0.0");
    // f"{12345.0:.4e}" == '1.2345e+04'; f"{1.5:.0e}" == '2e+00'; f"{2.5:.0e}" == '2e+00'
    expect(pyExp(12345, 4)).toBe("1.2345e+04");
    expect(pyExp(1.5, 0)).toBe("2e+00");
    expect(pyExp(2.5, 0)).toBe("2e+00");
    expect(pyExp(1e-300, 2)).toBe("1.00e-300");
  });

  it("bool and integer tensors, dtype suffixes", () => {
    // torch.tensor([True, False]) -> tensor([ True, False])
    expect(String(tensor(nd.array([1, 0], undefined, "bool")))).toBe("tensor([ True, False])");
    // torch.tensor([1., 2.], dtype=torch.float32) -> ..., dtype=torch.float32 when float64 is the default
    expect(String(tensor([1, 2], { dtype: "float32" }))).toBe("tensor([1., 2.], dtype=float32)");
    expect(String(tensor(nd.array([1, -20, 3], undefined, "int32")))).toBe("tensor([  1, -20,   3], dtype=int32)");
  });

  it("summarises past 1000 elements (torch.arange(10000))", () => {
    // torch.arange(10000) -> tensor([   0,    1,    2,  ..., 9997, 9998, 9999])
    expect(String(tensor(nd.arange(10000).astype("int32")))).toBe("tensor([   0,    1,    2,  ..., 9997, 9998, 9999], dtype=int32)");
  });

  it("wraps rows at 80 columns (torch.ones(30): 18 per line)", () => {
    const s = String(tensor(nd.ones([30])));
    const lines = s.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("tensor([" + Array(18).fill("1.").join(", ") + ",");
    expect(lines[1]).toBe("        " + Array(12).fill("1.").join(", ") + "])");
  });

  it("3-d tensors separate blocks by a blank line (torch.zeros(2, 1, 2))", () => {
    expect(String(tensor(nd.zeros([2, 1, 2])))).toBe("tensor([[[0., 0.]],\n\n        [[0., 0.]]])");
  });

  it("empty tensors show their size (torch.zeros(2, 0) -> tensor([], size=(2, 0)))", () => {
    expect(String(tensor(nd.zeros([2, 0])))).toBe("tensor([], size=(2, 0))");
    expect(String(tensor(nd.zeros([0])))).toBe("tensor([])");
  });

  it("names grad_fn from the op that made the tensor", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    // PyTorch: tensor([2., 4.], grad_fn=<MulBackward0>)
    expect(String(x.mul(2))).toBe("tensor([2., 4.], grad_fn=<MulBackward>)");
    expect(String(x.sum())).toBe("tensor(3., grad_fn=<SumBackward>)");
    expect(String(x.detach())).toBe("tensor([1., 2.])");
  });

  it("a long suffix goes to its own line, as _add_suffixes does", () => {
    const x = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], { requiresGrad: true });
    // the line "tensor([0.1000, ..., 0.8000]" is 71 characters, which PyTorch counts as 73; 73 + 19 + 2 > 80
    expect(String(x)).toBe("tensor([0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000],\n       requires_grad=True)");
  });

  it("print options; bad ones are a ValueError naming the option", () => {
    expect(formatTensor(tensor([0.5]), { precision: 2 })).toBe("tensor([0.50])");
    expect(formatTensor(tensor([1, 2]), { sciMode: true })).toBe("tensor([1.0000e+00, 2.0000e+00])");
    expect(() => formatTensor(tensor([1]), { precision: -1 })).toThrow(/formatTensor: precision must be a non-negative integer, got -1/);
  });

  it("a tensor whose values were freed prints its shape", () => {
    const t = new Tensor(nd.zeros([2, 3]));
    // as a value-free stand-in does, reading its values throws
    Object.defineProperty(t, "data", { get: () => { throw new Error("no values"); } });
    expect(String(t)).toBe("tensor(<values freed>, size=(2, 3))");
  });
});
