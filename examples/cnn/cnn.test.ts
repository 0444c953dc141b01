// The cnn example with tiny settings: it must learn (loss and test accuracy far from chance)
// and draw its mistakes; and the generated data must be what it claims (seeded, balanced).

import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./main.js";
import { makeDigits } from "./digits.js";

describe("cnn", () => {
  it("learns the generated digits: loss falls 4x from ln 10 and test accuracy passes 75% (chance is 10%)", async () => {
    const out = mkdtempSync(join(tmpdir(), "cnn-"));
    const s = await main(["--train", "1000", "--test", "300", "--steps", "250", "--quiet", "--out", out]);
    expect(s.initialLoss).toBeGreaterThan(2.0); // ln 10 = 2.30
    expect(s.finalLoss).toBeLessThan(s.initialLoss / 4);
    expect(s.testAccuracy).toBeGreaterThan(0.75);
    const svg = readFileSync(join(out, "mistakes.svg"), "utf8");
    expect(svg).toContain("<svg");
    // one caption per mistake drawn (at most 60)
    expect(svg.match(/-&gt;/g)?.length).toBe(Math.min(s.mistakes, 60));
  }, 120_000);

  it("generates the same images from the same seed, with every digit present", () => {
    const a = makeDigits(200, 5);
    const b = makeDigits(200, 5);
    expect(a.images.toFlat()).toEqual(b.images.toFlat());
    expect(new Set(a.labels).size).toBe(10);
    expect(makeDigits(200, 6).images.toFlat()).not.toEqual(a.images.toFlat());
  });
});
