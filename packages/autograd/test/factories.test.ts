// The tensor factories (torch.randn, rand, zeros, ones, full, arange, *_like) and the default
// generator. Witnesses: numpy's documented first draws after np.random.seed(0)
// (np.random.randn() = 1.764052345967664, np.random.rand() = 0.5488135039273248), an
// independent RandomState seeded alike, PyTorch's rules (only float tensors require grad;
// *_like takes the source's shape and dtype and not its requires_grad), and the eager loop for
// compile (the differential harness).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { DTypeError, RandomState, ValueError } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import {
  Tensor, arange, full, fullLike, getDefaultRng, manualSeed, ones, onesLike, rand, randLike, randn, randnLike, tensor, zeros, zerosLike,
} from "../src/index.js";
import { differential } from "./compile-harness.js";

describe("randn and rand draw from the default generator that manualSeed seeds", () => {
  it("after manualSeed(0), numpy's first draws: randn() 1.764052345967664, rand() 0.5488135039273248", () => {
    manualSeed(0);
    expect(randn([]).item()).toBe(1.764052345967664);
    manualSeed(0);
    expect(rand([]).item()).toBe(0.5488135039273248);
  });

  it("draw what an independent RandomState seeded alike draws, in C order, for either way of giving the shape", () => {
    manualSeed(7);
    const a = randn(2, 3);
    const b = randn([4], { dtype: "float32" });
    const c = rand(2, 2);
    const ref = new RandomState(7);
    expect(a.toArray()).toEqual(ref.randn(2, 3).toArray());
    expect(b.toArray()).toEqual(ref.randn([4], { dtype: "float32" }).toArray());
    expect(c.toArray()).toEqual(ref.rand(2, 2).toArray());
    expect([a.dtype, b.dtype]).toEqual(["float64", "float32"]);
  });

  it("one generator across the packages: the tensor package's, the same object every time", () => {
    expect(getDefaultRng()).toBe(nd.getDefaultRng());
    expect(getDefaultRng()).toBe(getDefaultRng());
    expect(ag.manualSeed).toBe(nd.manualSeed);
  });

  it("an rng option draws from that generator and leaves the default one where it was", () => {
    manualSeed(3);
    const before = getDefaultRng().getState();
    const x = randn([3], { rng: new RandomState(11) });
    expect(x.toArray()).toEqual(new RandomState(11).randn(3).toArray());
    expect(getDefaultRng().getState()).toEqual(before);
  });

  it("randnLike and randLike take the shape and float dtype of their source", () => {
    manualSeed(5);
    const src = zeros([2, 2], { dtype: "float32" });
    const z = randnLike(src);
    const u = randLike(src.data, { dtype: "float64" });
    const ref = new RandomState(5);
    expect(z.toArray()).toEqual(ref.randn([2, 2], { dtype: "float32" }).toArray());
    expect(u.toArray()).toEqual(ref.rand([2, 2]).toArray());
    expect([z.dtype, u.dtype]).toEqual(["float32", "float64"]);
    expect(() => randnLike(zeros([2], { dtype: "int32" }))).toThrow(DTypeError);
  });
});

describe("zeros, ones, full, arange and the *Like forms", () => {
  it("values and dtypes as numpy's and PyTorch's", () => {
    expect(zeros(2, 3).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(ones([2], { dtype: "float32" }).dtype).toBe("float32");
    expect(full([2, 1], 0.5).toArray()).toEqual([[0.5], [0.5]]);
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 4).toArray()).toEqual([1, 2, 3]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(3, 0, -1, { dtype: "int32" }).dtype).toBe("int32");
    const src = tensor([[1, 2, 3]], { requiresGrad: true, dtype: "float32" });
    expect(zerosLike(src).toArray()).toEqual([[0, 0, 0]]);
    expect(onesLike(src).dtype).toBe("float32");
    expect(fullLike(src, 7, { dtype: "float64" }).toArray()).toEqual([[7, 7, 7]]);
    expect(fullLike(src, 7, { dtype: "float64" }).dtype).toBe("float64");
  });

  it("return Tensors that require gradients when asked, and are leaves that backward reaches", () => {
    const w = randn([3], { requiresGrad: true });
    const b = zeros([3], { requiresGrad: true });
    expect(w).toBeInstanceOf(Tensor);
    w.mul(w).add(b).sum().backward();
    expect(w.grad!.toArray()).toEqual(nd.mul(w.data, 2).toArray());
    expect(b.grad!.toArray()).toEqual([1, 1, 1]);
  });

  it("a *Like result does not require grad because its source does (PyTorch's requires_grad=False default)", () => {
    expect(zerosLike(tensor([1, 2], { requiresGrad: true })).requiresGrad).toBe(false);
    expect(ones(2).requiresGrad).toBe(false);
  });

  it("only floating-point tensors can require gradients (PyTorch's rule), as a DTypeError naming the factory", () => {
    expect(() => zeros([2], { dtype: "int32", requiresGrad: true })).toThrow(/zeros: only floating-point tensors can require gradients, got dtype int32/);
    expect(() => arange(3, { dtype: "int32", requiresGrad: true })).toThrow(DTypeError);
    expect(() => randn([2], { dtype: "int32" as never })).toThrow(/randn: draws floating-point values/);
  });

  it("a shape or argument that fits no form is a ValueError saying what was expected", () => {
    expect(() => zeros("3" as never)).toThrow(/zeros: expected a shape as an array \(\[2, 3\]\) or as sizes \(2, 3\)/);
    expect(() => (arange as () => Tensor)()).toThrow(ValueError);
    expect(() => arange(1, 2, 3, 4 as never)).toThrow(/arange: expected \(end\), \(start, end\) or \(start, end, step\)/);
    expect(() => full(3 as never, 1)).toThrow(/full: expected a shape as an array/);
    expect(() => zerosLike([1, 2] as never)).toThrow(/zerosLike: expected a Tensor or NDArray/);
  });

  it("@tapegrad/autograd's factories are its own (returning Tensors), not @tapegrad/tensor's of the same names", () => {
    for (const name of ["zeros", "ones", "full", "arange", "zerosLike", "onesLike", "fullLike"] as const) {
      expect((ag as Record<string, unknown>)[name], name).not.toBe((nd as Record<string, unknown>)[name]);
    }
    expect(zeros(1)).toBeInstanceOf(Tensor);
    expect(nd.zeros([1])).toBeInstanceOf(nd.NDArray);
  });
});

describe("inside a compiled step", () => {
  it("randn draws again at every replay, as the eager step does, and manualSeed reseeds at every replay", () => {
    for (const reseed of [false, true]) {
      const make = () => {
        const rng = new RandomState(21);
        const w = tensor(nd.zeros([3]));
        const step = (x: Tensor) => {
          if (reseed) manualSeed(9);
          const noise = randn([3], { rng: reseed ? undefined : rng });
          const out = x.add(noise).add(w);
          return out;
        };
        return { step: step as never, state: () => ({ rng: rng.getState(), dflt: getDefaultRng().getState() }) };
      };
      const out = differential(make, (i) => [tensor(nd.full([3], i))], { calls: 6 });
      if (out.kind !== "equal") throw (out as { error: unknown }).error;
      expect(out.replays).toBeGreaterThanOrEqual(3);
    }
  });
});
