// Every example, run as a user runs it (`pnpm example <name> ...`, here tsx on run.ts in a child
// process): a bad flag or value is one line on stderr naming the flag, exit code 2, no stack
// trace, and nothing written.

import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runExample(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(tsx, ["--conditions=source", "examples/run.ts", ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

// A few at a time: each child loads the packages, and the machine is shared.
async function runAll(cases: string[][], width = 3): Promise<Run[]> {
  const out: Run[] = new Array(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await runExample(cases[i]!);
    }
  }));
  return out;
}

const out = mkdtempSync(join(tmpdir(), "examples-cli-"));
const notACheckpoint = join(out, "notes.safetensors");
writeFileSync(notACheckpoint, "# not a checkpoint\n".repeat(50));

// [arguments, what the one line must contain]
const cases: [string[], string][] = [
  [["char-lstm", "--steps=-5", "--out", out], "--steps: expected an integer >= 1, got -5"],
  [["char-lstm", "--steps", "0", "--out", out], "--steps: expected an integer >= 1, got 0"],
  [["char-lstm", "--hidden", "0", "--out", out], "--hidden: expected an integer >= 1, got 0"],
  [["char-lstm", "--dtype", "float16", "--out", out], "--dtype: expected one of float32, float64, got float16"],
  [["char-lstm", "--sample", "README.md"], "--sample: expected a safetensors file"],
  [["char-lstm", "--resume", notACheckpoint, "--out", out], "--resume: expected a safetensors file"],
  [["char-lstm", "--stesp", "5", "--out", out], "did you mean --steps?"],
  [["char-lstm", "--corpus", "no-such-corpus.txt", "--out", out], "--corpus: expected an existing file (no such file)"],
  [["char-transformer", "--heads", "3", "--out", out], "--heads: expected a divisor of --d-model 64"],
  [["char-transformer", "--steps", "0", "--out", out], "--steps: expected an integer >= 1, got 0"],
  [["cnn", "--lr", "0", "--out", out], "--lr: expected a number > 0, got 0"],
  [["cnn", "--dtype", "int32", "--out", out], "--dtype: expected one of float32, float64, got int32"],
  [["compare", "--model", "gru", "--out", out], "--model: expected one of lstm-cell, lstm, mlp, got gru"],
  [["compare", "--hiden", "3", "--out", out], "did you mean --hidden?"],
  [["derivation", "--steps", "1", "--out", out], "--steps: expected an integer >= 2, got 1"],
  [["mlp", "--dataset=circles", "--out", out], "--dataset: expected one of moons, spirals, got circles"],
  [["mlp", "--hidden", "0", "--out", out], "--hidden: expected an integer >= 1, got 0"],
  [["notebook", "--digits", "30"], "--digits: expected an integer >= 1 and <= 17, got 30"],
  [["pytorch", "--steps", "1.5", "--out", out], "--steps: expected an integer >= 1, got 1.5"],
  [["sequence", "--length", "3", "--out", out], "--length: expected an integer >= 4, got 3"],
  [["sequence", "--step", "3", "--out", out], "did you mean --steps?"],
  [["quickstart", "--steps", "3"], "quickstart: takes no options"],
  [["char-lstn"], 'no example named "char-lstn" (did you mean char-lstm?)'],
];

describe("the example CLIs", () => {
  it("every example refuses bad flags and values in one line on stderr, with exit code 2", async () => {
    const names = readdirSync(join(root, "examples"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && readdirSync(join(root, "examples", d.name)).includes("main.ts"))
      .map((d) => d.name);
    // the table covers every example
    for (const n of names) expect(cases.some(([a]) => a[0] === n), n).toBe(true);

    const before = readFileSync(notACheckpoint);
    const runs = await runAll(cases.map(([a]) => a));
    runs.forEach((r, i) => {
      const [args, want] = cases[i]!;
      const what = `pnpm example ${args.join(" ")}\n${r.stderr}`;
      expect(r.code, what).toBe(2);
      expect(r.stderr.trimEnd().split("\n"), what).toHaveLength(1);
      expect(r.stderr, what).toContain(want);
      expect(r.stderr, what).not.toMatch(/^\s+at /m);
    });
    // nothing written: the output folder holds only the file the test put there, unchanged
    expect(readdirSync(out)).toEqual(["notes.safetensors"]);
    expect(readFileSync(notACheckpoint)).toEqual(before);
  }, 180_000);
});
