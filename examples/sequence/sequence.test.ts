// The sequence example with tiny settings: the LSTM must learn the adding problem, and the tanh
// RNN baseline must stay near chance once the gap is long, or the example's comparison is void.

import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./main.js";

const tiny = ["--hidden", "16", "--batch", "32", "--eval-every", "1000", "--quiet"];

describe("sequence", () => {
  it("the LSTM learns a short adding problem: test MSE falls 10x and ends below a quarter of chance", async () => {
    const out = mkdtempSync(join(tmpdir(), "sequence-"));
    const s = await main([...tiny, "--length", "10", "--steps", "400", "--out", out]);
    expect(s.chance).toBeGreaterThan(0.14); // 1/6 in expectation
    expect(s.chance).toBeLessThan(0.19);
    // Predicting the mean alone would only reach chance; below chance / 4 it reads the markers.
    expect(s.lstmTest).toBeLessThan(s.lstmInitial / 10);
    expect(s.lstmTest).toBeLessThan(s.chance / 4);
    const svg = readFileSync(join(out, "loss.svg"), "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("LSTM");
    expect(svg).toContain("tanh RNN");
  }, 60_000);

  it("trains to the same results compiled (the default) and eagerly (--no-compile)", async () => {
    const out = mkdtempSync(join(tmpdir(), "sequence-"));
    const args = [...tiny, "--length", "10", "--steps", "40", "--out", out];
    const compiled = await main(args);
    const eager = await main([...args, "--no-compile"]);
    expect({ ...compiled, seconds: 0 }).toEqual({ ...eager, seconds: 0 });
  }, 60_000);

  it("the tanh RNN stays near chance when the markers are 10+ steps from the end", async () => {
    const out = mkdtempSync(join(tmpdir(), "sequence-"));
    const s = await main([...tiny, "--length", "20", "--steps", "300", "--out", out]);
    expect(s.rnnTest).toBeGreaterThan(0.8 * s.chance);
    expect(s.rnnTest).toBeLessThan(1.5 * s.chance);
  }, 60_000);
});
