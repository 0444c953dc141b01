// The char-transformer example with tiny settings: it must learn (validation bits/char well
// below a uniform guess and near the unigram line), and write its loss curve and a sample.

import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./main.js";

describe("char-transformer", () => {
  it("learns: validation bits/char fall well below a uniform guess over the 75 characters", async () => {
    const out = mkdtempSync(join(tmpdir(), "char-transformer-"));
    const s = await main(["--d-model", "32", "--heads", "2", "--layers", "1", "--ff", "64", "--seq-len", "16", "--batch", "16", "--lr", "0.01", "--steps", "80", "--eval-every", "1000", "--quiet", "--out", out]);
    // Before training the model predicts nearly uniformly: log2(75) = 6.23 bits/char.
    expect(s.valBpc).toBeLessThan(0.75 * Math.log2(75));
    expect(s.valBpc).toBeLessThan(1.1 * s.unigramBpc);
    expect(s.steps).toBe(80);
    expect(s.sample).toHaveLength(300);
    const svg = readFileSync(join(out, "loss.svg"), "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("validation");
  }, 120_000);
});
