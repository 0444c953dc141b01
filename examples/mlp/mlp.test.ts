// The mlp example with tiny settings: it must learn (loss and accuracy) and draw its picture.

import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./main.js";

const tiny = ["--points", "300", "--hidden", "16", "--steps", "150", "--quiet"];

describe("mlp", () => {
  it("learns two moons: loss falls at least 5x from ln 2 and test accuracy passes 95%", async () => {
    const out = mkdtempSync(join(tmpdir(), "mlp-"));
    const s = await main([...tiny, "--out", out]);
    // An untrained two-class model sits near ln 2 = 0.693 nats.
    expect(s.initialLoss).toBeGreaterThan(0.5);
    expect(s.finalLoss).toBeLessThan(s.initialLoss / 5);
    expect(s.testAccuracy).toBeGreaterThanOrEqual(0.95);
    const svg = readFileSync(join(out, "moons.svg"), "utf8");
    expect(svg).toContain("<svg");
    expect(svg.match(/<circle/g)?.length).toBe(300);
  }, 60_000);

  it("learns three spirals: loss falls at least 5x from ln 3 and test accuracy passes 90%", async () => {
    const out = mkdtempSync(join(tmpdir(), "mlp-"));
    const s = await main([...tiny, "--dataset", "spirals", "--out", out]);
    expect(s.initialLoss).toBeGreaterThan(0.9); // ln 3 = 1.099
    expect(s.finalLoss).toBeLessThan(s.initialLoss / 5);
    expect(s.testAccuracy).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it("trains to the same results compiled (the default) and eagerly (--no-compile)", async () => {
    const out = mkdtempSync(join(tmpdir(), "mlp-"));
    const args = ["--points", "100", "--hidden", "8", "--steps", "30", "--quiet", "--out", out];
    const compiled = await main(args);
    const eager = await main([...args, "--no-compile"]);
    expect({ ...compiled, seconds: 0 }).toEqual({ ...eager, seconds: 0 });
  }, 60_000);

  it("is reproducible: the same seed gives the same run", async () => {
    const out = mkdtempSync(join(tmpdir(), "mlp-"));
    const args = ["--points", "100", "--hidden", "8", "--steps", "20", "--quiet", "--out", out];
    const a = await main(args);
    const b = await main(args);
    expect({ ...b, seconds: 0 }).toEqual({ ...a, seconds: 0 });
  }, 60_000);
});
