// Printing against numpy: every string in data/format-numpy.json was printed by numpy (see
// data/make-format-data.py for the command and version) from the same view of the same storage
// that each test builds here with `new NDArray(storage, shape, strides, offset)`.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DType, Storage } from "../src/dtype.js";
import { ValueError } from "../src/errors.js";
import { formatArray, formatRepr, type FormatOptions } from "../src/format.js";
import { NDArray } from "../src/index.js";

type Encoded = number | "nan" | "inf" | "-inf";

interface Case {
  name: string;
  dtype: DType;
  data: Encoded[];
  shape: number[];
  strides: number[];
  offset: number;
  options: FormatOptions;
  str: string;
  repr: string;
}

interface Reference {
  numpy: string;
  cases: Case[];
  /** [value, str of 0-d, str of [value], str of [value, 1]] */
  scalars: Record<"float64" | "float32", [Encoded, string, string, string][]>;
}

const ref = JSON.parse(readFileSync(new URL("./data/format-numpy.json", import.meta.url), "utf8")) as Reference;

function decode(v: Encoded): number {
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;
}

function storage(dtype: DType, values: readonly number[]): Storage {
  switch (dtype) {
    case "float64":
      return Float64Array.from(values);
    case "float32":
      return Float32Array.from(values);
    case "int32":
      return Int32Array.from(values);
    case "bool":
      return Uint8Array.from(values);
  }
}

function view(c: Case): NDArray {
  return new NDArray(storage(c.dtype, c.data.map(decode)), c.shape, c.strides, c.offset);
}

describe(`formatArray and formatRepr print as numpy ${ref.numpy} does`, () => {
  it("has reference cases", () => {
    expect(ref.cases.length).toBeGreaterThan(100);
  });

  it.each(ref.cases.map((c) => [c.name, c] as const))("str: %s", (_name, c) => {
    expect(formatArray(view(c), c.options)).toBe(c.str);
  });

  it.each(ref.cases.map((c) => [c.name, c] as const))("repr: %s", (_name, c) => {
    expect(formatRepr(view(c), c.options)).toBe(c.repr);
  });

  it("is NDArray's toString", () => {
    for (const c of ref.cases) {
      if (Object.keys(c.options).length === 0) expect(String(view(c))).toBe(c.str);
    }
  });

  for (const dtype of ["float64", "float32"] as const) {
    it(`prints ${ref.scalars[dtype].length} single ${dtype} values digit for digit`, () => {
      const wrong: string[] = [];
      for (const [enc, str0d, str1, str2] of ref.scalars[dtype]) {
        const x = decode(enc);
        const got0d = formatArray(new NDArray(storage(dtype, [x]), []));
        const got1 = formatArray(new NDArray(storage(dtype, [x]), [1]));
        const got2 = formatArray(new NDArray(storage(dtype, [x, 1]), [2]));
        if (got0d !== str0d) wrong.push(`${x} 0-d: ${got0d} != ${str0d}`);
        if (got1 !== str1) wrong.push(`${x} [x]: ${got1} != ${str1}`);
        if (got2 !== str2) wrong.push(`${x} [x, 1]: ${got2} != ${str2}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe("formatArray laws", () => {
  // A copy made by walking the view in C order, without the library's own copy kernel.
  function cCopy(a: NDArray): NDArray {
    const out: number[] = [];
    const rec = (axis: number, p: number): void => {
      if (axis === a.ndim) {
        out.push(a.data[p]!);
        return;
      }
      for (let i = 0; i < a.shape[axis]!; i++) rec(axis + 1, p + i * a.strides[axis]!);
    };
    rec(0, a.offset);
    return new NDArray(storage(a.dtype, out), a.shape);
  }

  it("prints a strided view as it prints its contiguous copy", () => {
    const arb = fc
      .record({
        shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
        dtype: fc.constantFrom<DType>("float64", "float32", "int32", "bool"),
        flips: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        seed: fc.integer(),
      })
      .chain((r) =>
        fc.record({
          r: fc.constant(r),
          perm: fc.shuffledSubarray([...r.shape.keys()], { minLength: r.shape.length, maxLength: r.shape.length }),
          values: fc.array(fc.oneof(fc.double(), fc.integer({ min: -1000, max: 1000 })), {
            minLength: r.shape.reduce((x, y) => x * y, 1),
            maxLength: r.shape.reduce((x, y) => x * y, 1),
          }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ r, perm, values }) => {
        const vals = r.dtype === "int32" ? values.map((v) => (Number.isFinite(v) ? Math.trunc(v) % 1e9 : 0)) : r.dtype === "bool" ? values.map((v) => (v > 0 ? 1 : 0)) : values;
        const base = new NDArray(storage(r.dtype, vals), r.shape);
        // permute the axes, then reverse some of them: a view over the same storage
        const shape = perm.map((i) => base.shape[i]!);
        let strides = perm.map((i) => base.strides[i]!);
        let offset = 0;
        strides = strides.map((s, k) => {
          if (!r.flips[k]) return s;
          offset += (shape[k]! - 1) * s;
          return -s;
        });
        const v = new NDArray(base.data, shape, strides, offset);
        expect(formatArray(v)).toBe(formatArray(cCopy(v)));
        expect(formatRepr(v)).toBe(formatRepr(cCopy(v)));
      }),
      { numRuns: 300 },
    );
  });

  it("prints the shortest digits that read back as the same float64", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatArray(new NDArray(new Float64Array([x]), []));
        expect(Number(s)).toBe(x);
        // JS's own shortest round-trip digits have the same count of significant digits
        const sig = (t: string): string => t.replace(/^-/, "").replace(/e.*$/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
        expect(sig(s).length || 1).toBe(sig(String(x)).length || 1);
      }),
      { numRuns: 2000 },
    );
  });

  it("prints float32 values with digits that read back as the same float32", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatArray(new NDArray(new Float32Array([x]), []));
        expect(Math.fround(Number(s))).toBe(Math.fround(x));
      }),
      { numRuns: 2000 },
    );
  });

  it("pads every element of a float matrix to one width", () => {
    const arb = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 6, maxLength: 6 });
    fc.assert(
      fc.property(arb, (vals) => {
        const s = formatArray(new NDArray(Float64Array.from(vals), [3, 2]));
        const lines = s.split("\n");
        // each line is "[[" or " [", the row, then "]" or "]]"
        expect(lines).toHaveLength(3);
        expect(new Set(lines.map((l) => l.slice(2).replace(/\]+$/, "").length)).size).toBe(1);
      }),
    );
  });
});

describe("format options", () => {
  const a = new NDArray(new Float64Array([1, 2, 3]), [3]);
  it.each<[FormatOptions, string]>([
    [{ precision: -1 }, "precision"],
    [{ precision: 1.5 }, "precision"],
    [{ edgeitems: -2 }, "edgeitems"],
    [{ threshold: NaN }, "threshold"],
    [{ linewidth: -1 }, "linewidth"],
    [{ floatmode: "round" as never }, "floatmode"],
  ])("rejects %j, naming %s", (options, name) => {
    expect(() => formatArray(a, options)).toThrow(ValueError);
    expect(() => formatArray(a, options)).toThrow(new RegExp(`formatArray: ${name}`));
  });

  it("accepts an infinite threshold (never summarise)", () => {
    const big = new NDArray(new Float64Array(1500), [1500]);
    expect(formatArray(big, { threshold: Infinity })).not.toContain("...");
  });
});
