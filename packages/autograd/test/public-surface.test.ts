// Each package's index exports what users use; the engine's parts live under /internal.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ndInternal from "@tapegrad/tensor/internal";
import * as ag from "../src/index.js";
import * as agInternal from "../src/internal.js";

describe("public surface", () => {
  it("@tapegrad/tensor keeps kernel switches and loops under /internal", () => {
    for (const name of ["walk", "gemm", "gemmTs", "setMatmulBackend", "matmulKernelFor", "matmulWasmVariant", "storageSerial", "recycleStorage"]) {
      expect(Object.keys(nd), name).not.toContain(name);
      expect(Object.keys(ndInternal), name).toContain(name);
    }
  });

  it("@tapegrad/autograd keeps graph nodes and the op table under /internal, and offers graphOf", () => {
    for (const name of ["Node", "OPS", "edgeOf", "setValueFreeMinSize"]) {
      expect(Object.keys(ag), name).not.toContain(name);
      expect(Object.keys(agInternal), name).toContain(name);
    }
    const x = ag.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2).sum();
    const g = ag.graphOf(y);
    expect(g.ops.map((n) => n.op)).toEqual(["mul", "sum"]);
    expect(g.ops[0]!.inputs.map((i) => i.kind)).toEqual(["leaf", "constant"]);
    expect(g.ops[1]!.inputs[0]).toMatchObject({ kind: "op", op: g.ops[0]!.id, index: 0 });
    expect(g.outputs).toEqual([{ op: g.ops[1]!.id, index: 0 }]);
    expect(Object.isFrozen(g.ops[0])).toBe(true);
  });
});
