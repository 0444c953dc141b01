// Truncated backpropagation through time (docs/tbptt.md): the page's code block is
// tbptt-example.ts, character for character, and it trains; carrying state without detach() is
// the "released" error the page quotes; with detach() the gradients are those of the chunk run
// from a constant state, and with retainGraph instead they are full BPTT through both chunks.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { AutogradError, Tensor } from "@tapegrad/autograd";
import { GRU, LSTM } from "@tapegrad/nn";
import { expectClose, project } from "./module-helpers.js";

const doc = readFileSync(fileURLToPath(new URL("../docs/tbptt.md", import.meta.url)), "utf8");

describe("docs/tbptt.md", () => {
  it("shows tbptt-example.ts verbatim as its code block", () => {
    const code = readFileSync(fileURLToPath(new URL("./tbptt-example.ts", import.meta.url)), "utf8");
    expect(doc).toContain("```ts\n" + code + "```");
  });

  it("the example trains: the mean loss falls every epoch, by more than 20 times in all", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    try {
      await import("./tbptt-example.js");
    } finally {
      spy.mockRestore();
    }
    const losses = lines.filter((l) => l.startsWith("epoch")).map((l) => Number(l.split("mean loss ")[1]));
    expect(losses).toHaveLength(4);
    for (let i = 1; i < 4; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
    expect(losses[3]!).toBeLessThan(losses[0]! / 20);
  });
});

/** Two consecutive chunks of one batch of sequences, and per-output weights for a scalar loss. */
function chunks(seed: number) {
  const rs = new RandomState(seed);
  return { x1: rs.randn(4, 2, 3), x2: rs.randn(5, 2, 3), r1: rs.randn(4, 2, 4), r2: rs.randn(5, 2, 4) };
}

const grads = (m: LSTM | GRU): NDArray[] => m.parameters().map((p) => p.grad!.copy());

describe("carrying state across backward calls", () => {
  it("without detach(): the second backward is the AutogradError the page quotes, pointing at detach()", () => {
    const m = new LSTM(3, 4, { numLayers: 2, rng: new RandomState(1) });
    const { x1, x2, r1, r2 } = chunks(2);
    const [o1, [h, c]] = m.forward(x1);
    project(o1, r1).backward();
    const [o2] = m.forward(x2, [h, c]);
    let err: unknown;
    try {
      project(o2, r2).backward();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AutogradError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/released/);
    expect(msg).toMatch(/detach\(\)/);
    // the page quotes the message; only the op it names may differ
    const quoted = /```text\nAutogradError: (.*)\n```/.exec(doc)![1]!;
    const pattern = new RegExp("^" + quoted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/through \w+/, "through \\w+") + "$");
    expect(msg).toMatch(pattern);
  });

  it.each(["lstm", "gru"] as const)("%s with detach(): the gradients are those of the second chunk run from a constant state", (kind) => {
    const make = () => (kind === "lstm" ? new LSTM(3, 4, { numLayers: 2, rng: new RandomState(3) }) : new GRU(3, 4, { numLayers: 2, rng: new RandomState(3) }));
    const run = (m: LSTM | GRU, x: NDArray, state: Tensor[] | undefined): [Tensor, Tensor[]] => {
      if (m instanceof LSTM) {
        const [o, [h, c]] = m.forward(x, state ? [state[0]!, state[1]!] : undefined);
        return [o, [h, c]];
      }
      const [o, h] = m.forward(x, state?.[0]);
      return [o, [h]];
    };
    const { x1, x2, r1, r2 } = chunks(4);

    const m = make();
    const [o1, s1] = run(m, x1, undefined);
    project(o1, r1).backward();
    m.zeroGrad();
    const carried = s1.map((s) => s.detach());
    for (const [k, s] of carried.entries()) {
      expect(s.requiresGrad).toBe(false);
      expect(s.isLeaf).toBe(true);
      expect(s.data.toFlat()).toEqual(s1[k]!.data.toFlat());
    }
    const [o2] = run(m, x2, carried);
    project(o2, r2).backward();
    const truncated = grads(m);

    // a fresh module with the same weights, the state typed in as plain numbers
    const fresh = make();
    fresh.loadStateDict(m.stateDict());
    const typedIn = s1.map((s) => ag.tensor(nd.array(s.data.toFlat(), s.shape)));
    const [f2] = run(fresh, x2, typedIn);
    project(f2, r2).backward();
    grads(fresh).forEach((g, i) => expectClose(g, truncated[i]!, { rtol: 0, atol: 0 }, `parameter ${i}`));
  });

  it("with retainGraph and no detach() instead: the second backward is full BPTT through both chunks", () => {
    const { x1, x2, r1, r2 } = chunks(5);
    const m = new LSTM(3, 4, { numLayers: 2, rng: new RandomState(6) });
    const [o1, [h, c]] = m.forward(x1);
    project(o1, r1).backward({ retainGraph: true });
    m.zeroGrad();
    const [o2] = m.forward(x2, [h, c]);
    project(o2, r2).backward();
    const throughBoth = grads(m);

    // the same loss on the whole sequence run at once
    m.zeroGrad();
    const [whole] = m.forward(nd.concat([x1, x2], 0));
    project(whole.slice([4, 9]), r2).backward();
    grads(m).forEach((g, i) => expectClose(throughBoth[i]!, g, { rtol: 1e-12, atol: 1e-14 }, `parameter ${i}`));

    // and it is not the truncated gradient
    m.zeroGrad();
    const [o2t] = m.forward(x2, [h.detach(), c.detach()]);
    project(o2t, r2).backward();
    expect(grads(m)[0]!.toFlat()).not.toEqual(throughBoth[0]!.toFlat());
  });
});
