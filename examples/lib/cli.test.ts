// The option table's checks, in-process: each bad value is one line naming the flag, the value
// and what is allowed; a misspelt flag gets the nearest name. Edit distances are the textbook's
// (Levenshtein's kitten -> sitting is 3; Damerau counts a swap of neighbours as one edit).

import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError, editDistance, notSafetensors, parseOptions, suggest, type OptionSpec } from "./cli.js";

const spec = {
  steps: { type: "integer", min: 1, default: 10, help: "training steps" },
  "seq-len": { type: "integer", min: 1, default: 8, help: "sequence length" },
  lr: { type: "number", above: 0, default: 0.1, help: "learning rate" },
  dtype: { type: "string", choices: ["float32", "float64"], default: "float32", help: "dtype" },
  sample: { type: "string", file: "safetensors", help: "checkpoint" },
  corpus: { type: "string", file: "exists", help: "text" },
  out: { type: "string", file: "outdir", default: "out/x", help: "folder" },
  json: { type: "boolean", help: "summary" },
} satisfies Record<string, OptionSpec>;

const parse = (...argv: string[]) => parseOptions("usage", spec, argv);
function errorOf(...argv: string[]): string {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const m = (e as Error).message;
    expect(m.split("\n"), m).toHaveLength(1);
    return m;
  }
  throw new Error(`no error for ${argv.join(" ")}`);
}

const readme = fileURLToPath(new URL("../../README.md", import.meta.url));

describe("parseOptions", () => {
  it("reads values of every kind, with defaults for what is not given", () => {
    expect(parse("--steps", "3", "--lr=0.5", "--json", "--dtype", "float64")).toEqual({
      steps: 3, "seq-len": 8, lr: 0.5, dtype: "float64", sample: undefined, corpus: undefined, out: "out/x", json: true,
    });
    expect(parse("--", "--corpus", readme).corpus).toBe(readme);
  });

  it("refuses out-of-range numbers, names the flag, the value and the range (the issue's cases)", () => {
    expect(errorOf("--steps=-5")).toBe("--steps: expected an integer >= 1, got -5");
    expect(errorOf("--steps", "-5")).toBe("--steps: expected an integer >= 1, got -5");
    expect(errorOf("--steps", "0")).toBe("--steps: expected an integer >= 1, got 0");
    expect(errorOf("--steps", "2.5")).toBe("--steps: expected an integer >= 1, got 2.5");
    expect(errorOf("--steps", "ten")).toBe("--steps: expected an integer >= 1, got ten");
    expect(errorOf("--steps", "")).toBe('--steps: expected an integer >= 1, got ""');
    expect(errorOf("--steps", "0x10")).toBe("--steps: expected an integer >= 1, got 0x10");
    expect(errorOf("--lr", "0")).toBe("--lr: expected a number > 0, got 0");
    expect(errorOf("--lr", "Infinity")).toBe("--lr: expected a number > 0, got Infinity");
    expect(errorOf("--steps")).toBe("--steps: expected an integer >= 1, got nothing");
  });

  it("refuses a value outside the choices and lists them", () => {
    expect(errorOf("--dtype", "float16")).toBe("--dtype: expected one of float32, float64, got float16");
  });

  it("suggests the nearest flag for a misspelt one", () => {
    expect(errorOf("--stpes", "5")).toBe("unknown option --stpes (did you mean --steps?); --help lists the options");
    expect(errorOf("--step=5")).toBe("unknown option --step (did you mean --steps?); --help lists the options");
    expect(errorOf("--seq", "5")).toContain("did you mean --seq-len?");
    expect(errorOf("--banana")).toBe("unknown option --banana; --help lists the options");
    expect(errorOf("-x")).toContain("unknown option -x");
    expect(errorOf("steps")).toContain('unexpected argument steps');
    expect(errorOf("--json=yes")).toBe("--json takes no value, got --json=yes");
  });

  it("says in one line that a text file is not a safetensors file (no header length of 1919378800 * 2^32 bytes)", () => {
    const m = errorOf("--sample", readme);
    expect(m).toMatch(/^--sample: expected a safetensors file \(its first 8 bytes give a header of \d+ bytes, and the file has \d+\), got /);
    expect(m).toContain(readme);
    expect(errorOf("--sample", "no/such/file.safetensors")).toBe("--sample: expected a safetensors file (no such file), got no/such/file.safetensors");
    expect(errorOf("--corpus", "no/such.txt")).toBe("--corpus: expected an existing file (no such file), got no/such.txt");
  });

  it("checks a safetensors file's header without reading the rest", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    const header = new TextEncoder().encode('{"__metadata__":{}}');
    const ok = new Uint8Array(8 + header.length);
    new DataView(ok.buffer).setBigUint64(0, BigInt(header.length), true);
    ok.set(header, 8);
    writeFileSync(join(dir, "ok.safetensors"), ok);
    expect(notSafetensors(join(dir, "ok.safetensors"), ok.length)).toBeNull();
    expect(parse("--sample", join(dir, "ok.safetensors")).sample).toBe(join(dir, "ok.safetensors"));
    const bad = ok.slice();
    bad[8] = "[".charCodeAt(0);
    writeFileSync(join(dir, "bad.safetensors"), bad);
    expect(errorOf("--sample", join(dir, "bad.safetensors"))).toContain("its header is not a JSON object");
    writeFileSync(join(dir, "short"), new Uint8Array(3));
    expect(errorOf("--sample", join(dir, "short"))).toContain("it has 3 bytes");
    expect(errorOf("--sample", dir)).toContain("is a directory");
  });

  it("refuses an output folder that is a file", () => {
    expect(errorOf("--out", readme)).toBe(`--out: expected a folder (${readme} is a file), got ${readme}`);
  });
});

describe("editDistance and suggest", () => {
  it("are Levenshtein's, with a swap of neighbours as one edit", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("flaw", "lawn")).toBe(2);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("stpes", "steps")).toBe(1);
  });

  it("suggest nothing when no name is close", () => {
    expect(suggest("zz", ["steps", "seed"])).toBe("");
    expect(suggest("hiden", ["hidden", "heads"])).toBe(" (did you mean --hidden?)");
  });
});
