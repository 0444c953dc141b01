// How wide a fused loop may grow (fuse.ts, MAX_ARRAYS; issue 25): the main job's last LSTM step
// fused the stack of all 48 time steps' states into its cell loop, one loop over some 100 arrays
// that ran several times slower per element than the same copies in loops of their own. A loop
// touches at most 24 distinct arrays; what is left over forms loops of its own, and the replay
// still equals the eager kernels bit for bit (the reference: the same code run eagerly).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { Identities, trace } from "@tapegrad/tensor/internal";
import { rng } from "./helpers.js";

type NDArray = nd.NDArray;

function filled(shape: readonly number[], seed: number): NDArray {
  const r = rng(seed);
  const a = nd.zeros(shape, "float32");
  for (let i = 0; i < a.size; i++) a.data[i] = (r() - 0.5) * 6;
  return a;
}

/** Distinct arrays a generated loop reads or writes: its `const aK = A[K];` lines. */
const arraysOf = (source: string) => (source.match(/^const a\d+ = A\[\d+\];$/gm) ?? []).length;

describe("fused loop width", () => {
  it("an LSTM cell chain followed by a stack of 40 states: no loop over more than 24 arrays, and the replay equals eager bitwise", () => {
    const [B, H, T] = [4, 8, 40];
    const step = (gates: NDArray, c: NDArray, states: NDArray): NDArray[] => {
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => nd.slice(gates, [null, [k * H, (k + 1) * H]]));
      const c2 = nd.add(nd.mul(nd.sigmoid(f!), c), nd.mul(nd.sigmoid(i!), nd.tanh(g!)));
      const h2 = nd.mul(nd.sigmoid(o!), nd.tanh(c2));
      // the earlier steps' states (views of one array), then this one's, stacked as an LSTM's output
      const hs = Array.from({ length: T - 1 }, (_, t) => nd.slice(states, [t]));
      return [c2, nd.stack([...hs, h2])];
    };
    const [gates, c, states] = [filled([B, 4 * H], 1), filled([B, H], 2), filled([T - 1, B, H], 3)];
    const { result, program } = trace(() => step(gates, c, states), [gates, c, states], new Identities(), { fuse: true });
    // the cell's ops and the T copies all fuse, in loops of at most 24 arrays
    expect(program.groups.flatMap((g) => g.kernels).filter((k) => k === "stack")).toHaveLength(T);
    expect(program.groups.length).toBeGreaterThan(1);
    for (const g of program.groups) expect(arraysOf(g.source), g.kernels.join(",")).toBeLessThanOrEqual(24);
    for (const seed of [10, 20]) {
      const v = [filled([B, 4 * H], seed), filled([B, H], seed + 1), filled([T - 1, B, H], seed + 2)] as const;
      gates.assign(v[0]);
      c.assign(v[1]);
      states.assign(v[2]);
      program.run();
      const want = step(...v);
      for (let k = 0; k < want.length; k++) {
        const got = Array.from(result[k]!.copy().data as Float32Array);
        const exp = Array.from(want[k]!.copy().data as Float32Array);
        expect(got.length).toBe(exp.length);
        for (let e = 0; e < exp.length; e++) if (!Object.is(got[e], exp[e])) throw new Error(`seed ${seed}: result ${k} element ${e}: replay ${got[e]}, eager ${exp[e]}`);
      }
    }
  });
});
