// The README's 15-line sample is this example, verbatim; and it trains.

import { describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const path = fileURLToPath(new URL("./main.ts", import.meta.url));

describe("quickstart", () => {
  it("is the README's code sample, character for character", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
    const code = readFileSync(path, "utf8");
    expect(readme).toContain("```ts\n" + code + "```");
  });

  it("learns XOR: the loss falls by more than a factor of 1000", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    try {
      await import("./main.js");
    } finally {
      spy.mockRestore();
    }
    const losses = lines.filter((l) => l.startsWith("step")).map((l) => Number(l.split("loss ")[1]));
    expect(losses.length).toBe(4);
    expect(losses[3]!).toBeLessThan(losses[0]! / 1000);
  });
});
