// safetensors against the format's own facts. Python's safetensors library is not installed
// here (and PyPI is out of reach), so the expected bytes come from two places that are not this
// code: the byte vectors in the reference implementation's own tests (huggingface/safetensors,
// safetensors/src/tensor.rs: test_serialization, test_empty, test_serialization_forced_alignement,
// and the reader tests whose inputs are quoted below), and a file laid out by hand in this test
// from the format's rules (u64 LE header length; compact JSON with the tensors sorted by dtype,
// widest first, then by name; spaces to a multiple of 8; little-endian C-order data).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, type DType } from "@tapegrad/tensor";
import { tensor } from "@tapegrad/autograd";
import { LSTM } from "../src/recurrent.js";
import {
  SafetensorsError, loadSafetensors, loadSafetensorsInto, parseSafetensors, saveSafetensors, type SafetensorsErrorKind,
} from "../src/safetensors.js";

type StateDict = Record<string, NDArray>;
const enc = new TextEncoder();

/** A file from its parts: the header length (default: the header's), the header text, the data. */
function file(header: string, data: ArrayLike<number> = [], n?: number): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n ?? h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

function expectKind(bytes: Uint8Array, kind: SafetensorsErrorKind, message?: RegExp): void {
  let err: unknown;
  try {
    parseSafetensors(bytes);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a SafetensorsError of kind ${kind}`).toBeInstanceOf(SafetensorsError);
  expect((err as SafetensorsError).kind, (err as Error).message).toBe(kind);
  if (message) expect((err as Error).message).toMatch(message);
}

const f32 = (xs: number[]) => Array.from(new Uint8Array(new Float32Array(xs).buffer));

describe("writing: the reference implementation's own test vectors", () => {
  it("test_serialization: one F32 tensor [1,2,3], a 64-byte header needing no padding", () => {
    const bytes = saveSafetensors({ "attn.0": nd.array([0, 1, 2, 3, 4, 5], [1, 2, 3], "float32") });
    expect(Array.from(bytes)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it("test_serialization_forced_alignement: a 65-byte header padded with 7 spaces", () => {
    const bytes = saveSafetensors({ attn0: nd.array([0, 1, 2, 3, 4, 5], [1, 1, 2, 3], "float32") });
    expect(Array.from(bytes)).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64,
    ]);
  });

  it("test_empty: no tensors, with and without metadata", () => {
    expect(Array.from(saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(saveSafetensors({}, { metadata: { framework: "pt" } }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });
});

describe("writing: a file laid out by hand from the format's rules", () => {
  // Insertion order differs from the reference order on purpose.
  const w = nd.array([[1, 2], [3, 4]]).T; // a transposed view: C-order data is 1, 3, 2, 4
  const sd: StateDict = {
    "b.bias": nd.array([0.5, -1], [2], "float32"),
    a: nd.array([true, false, true]),
    count: nd.array([7], [], "int32"),
    w,
    z: nd.zeros([0, 3]),
  };
  // F64 first (w, z by name), then F32 (b.bias), I32 (count), BOOL (a)
  const json =
    '{"__metadata__":{"format":"pt"},' +
    '"w":{"dtype":"F64","shape":[2,2],"data_offsets":[0,32]},' +
    '"z":{"dtype":"F64","shape":[0,3],"data_offsets":[32,32]},' +
    '"b.bias":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},' +
    '"count":{"dtype":"I32","shape":[],"data_offsets":[40,44]},' +
    '"a":{"dtype":"BOOL","shape":[3],"data_offsets":[44,47]}}';
  const padded = json + " ".repeat((8 - (json.length % 8)) % 8);
  const data = new Uint8Array(47);
  const dv = new DataView(data.buffer);
  [1, 3, 2, 4].forEach((v, i) => dv.setFloat64(8 * i, v, true));
  dv.setFloat32(32, 0.5, true);
  dv.setFloat32(36, -1, true);
  dv.setInt32(40, 7, true);
  data.set([1, 0, 1], 44);

  it("matches byte for byte", () => {
    const bytes = saveSafetensors(sd, { metadata: { format: "pt" } });
    expect(padded.length % 8).toBe(0);
    expect(Array.from(bytes)).toEqual(Array.from(file(padded, data)));
  });

  it("keeps every tensor aligned to its element size", () => {
    const bytes = saveSafetensors(sd);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const size: Record<string, number> = { F64: 8, F32: 4, I32: 4, BOOL: 1 };
    for (const info of Object.values(header)) expect((8 + n + info.data_offsets[0]) % size[info.dtype]!).toBe(0);
  });

  it("reads back, in the file's order, with metadata", () => {
    const { tensors, metadata } = parseSafetensors(file(padded, data));
    expect(metadata).toEqual({ format: "pt" });
    expect(Object.keys(tensors)).toEqual(["w", "z", "b.bias", "count", "a"]);
    expect(tensors.w!.toArray()).toEqual([[1, 3], [2, 4]]);
    expect(tensors.z!.shape).toEqual([0, 3]);
    expect([tensors["b.bias"]!.dtype, tensors.count!.dtype, tensors.a!.dtype]).toEqual(["float32", "int32", "bool"]);
    expect(tensors.count!.shape).toEqual([]);
    expect(tensors.count!.item()).toBe(7);
    expect(tensors.a!.toArray()).toEqual([true, false, true]);
  });

  it('order: "insertion" lays the tensors out as given, and they load back in that order', () => {
    const bytes = saveSafetensors(sd, { order: "insertion" });
    expect(Object.keys(loadSafetensors(bytes))).toEqual(["b.bias", "a", "count", "w", "z"]);
  });

  it("sorts names as Rust does, by UTF-8 bytes (code points), not by UTF-16 units", () => {
    // U+FFFD < U+1F600 by code point, but "\uFFFD" > "\uD83D\uDE00" as JS strings
    const bytes = saveSafetensors({ "\u{1F600}": nd.zeros([1]), "\uFFFD": nd.zeros([1]) });
    expect(Object.keys(loadSafetensors(bytes))).toEqual(["\uFFFD", "\u{1F600}"]);
  });

  it("takes a module (anything with stateDict) and Tensor values", () => {
    const module = { stateDict: () => ({ "attn.0": nd.array([0, 1, 2, 3, 4, 5], [1, 2, 3], "float32") }), loadStateDict: () => undefined };
    expect(saveSafetensors(module)).toEqual(saveSafetensors({ "attn.0": tensor(nd.array([0, 1, 2, 3, 4, 5], [1, 2, 3], "float32")) }));
  });
});

describe("round trips", () => {
  const dtypes: DType[] = ["float64", "float32", "int32", "bool"];
  const arrayOf = (dtype: DType) =>
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 3 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values =
        dtype === "bool" ? fc.boolean().map(Number)
          : dtype === "int32" ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
          : dtype === "float32" ? fc.float({ noDefaultInfinity: false }).map(Math.fround)
          : fc.double();
      return fc.record({ shape: fc.constant(shape), values: fc.array(values, { minLength: n, maxLength: n }), view: fc.constantFrom("none", "transpose", "reverse") });
    }).map(({ shape, values, view }) => {
      let a = nd.array(values, shape, dtype);
      if (view === "transpose") a = a.T.copy().T; // same values, non-contiguous strides
      if (view === "reverse" && a.ndim > 0) a = a.slice(...a.shape.map(() => [null, null, -1] as const)); // negative strides
      return a;
    });
  const stateDict = fc.dictionary(
    fc.string({ unit: "grapheme", maxLength: 6 }).filter((s) => s !== "__metadata__"),
    fc.constantFrom(...dtypes).chain(arrayOf),
    { maxKeys: 5 },
  );
  const same = (a: NDArray, b: NDArray) => {
    expect(b.dtype).toBe(a.dtype);
    expect(b.shape).toEqual(a.shape);
    // Object.is: NaN equals NaN, and -0 differs from 0
    a.toFlat().forEach((v, i) => expect(Object.is(v, b.toFlat()[i])).toBe(true));
  };

  it("every dtype, shape and layout (views included) loads back equal, with metadata", () => {
    fc.assert(
      fc.property(stateDict, fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.constantFrom("reference", "insertion") as fc.Arbitrary<"reference" | "insertion">, (sd, metadata, order) => {
        const { tensors, metadata: meta } = parseSafetensors(saveSafetensors(sd, { metadata, order }));
        expect(Object.keys(tensors).sort()).toEqual(Object.keys(sd).sort());
        for (const [k, v] of Object.entries(sd)) same(v, tensors[k]!);
        expect(meta).toEqual(metadata);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps NaN, infinities and negative zero, and the int32 extremes", () => {
    const sd = {
      f64: nd.array([NaN, Infinity, -Infinity, -0, 5e-324, Number.MAX_VALUE]),
      f32: nd.array([NaN, Infinity, -Infinity, -0, 1e-45], [5], "float32"),
      i32: nd.array([-(2 ** 31), 2 ** 31 - 1, 0], [3], "int32"),
    };
    const back = loadSafetensors(saveSafetensors(sd));
    for (const k of Object.keys(sd) as (keyof typeof sd)[]) same(sd[k], back[k]!);
  });

  it("names that are awkward in JSON or in JS objects survive", () => {
    const names = ['quote"back\\slash', "new\nline", "\u0000", "__proto__", "0", "10", "constructor", "ünïcödé 🙂"];
    const sd: StateDict = {};
    names.forEach((n, i) => Object.defineProperty(sd, n, { value: nd.full([1], i), enumerable: true }));
    const back = loadSafetensors(saveSafetensors(sd));
    expect(Object.keys(back).sort()).toEqual([...names].sort());
    names.forEach((n, i) => expect(Object.getOwnPropertyDescriptor(back, n)!.value.item()).toBe(i));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it("accepts an ArrayBuffer or any byte view (a Node Buffer, a slice of a larger buffer)", () => {
    const bytes = saveSafetensors({ x: nd.array([1, 2, 3]) });
    const big = new Uint8Array(bytes.length + 5);
    big.set(bytes, 3);
    const nodeBuffer = typeof Buffer === "undefined" ? [] : [Buffer.from(bytes)]; // absent in the browser project
    for (const input of [bytes.slice().buffer, big.subarray(3, 3 + bytes.length), ...nodeBuffer]) {
      expect(loadSafetensors(input).x!.toFlat()).toEqual([1, 2, 3]);
    }
  });
});

describe("writing: what the format cannot hold", () => {
  it("a tensor named __metadata__, a non-string metadata value, a lone surrogate", () => {
    expect(() => saveSafetensors({ __metadata__: nd.zeros([1]) })).toThrow(/reserves that key/);
    expect(() => saveSafetensors({}, { metadata: { epoch: 3 as never } })).toThrow(/metadata value for "epoch" must be a string, got number/);
    expect(() => saveSafetensors({ "a\uD800": nd.zeros([1]) })).toThrow(/lone surrogate \(U\+D800\)/);
    expect(() => saveSafetensors({ a: [1, 2] as never })).toThrow(/entry "a" is not an NDArray or Tensor/);
  });
});

const header = (body: string) => `{"test":${body}}`;

describe("reading: the reference implementation's reader tests", () => {
  it("test_deserialization, test_empty_shapes_allowed, test_zero_sized_tensor", () => {
    const sd = loadSafetensors(file(header('{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}'), new Uint8Array(16)));
    expect(sd.test!.toArray()).toEqual([[0, 0], [0, 0]]);
    expect(loadSafetensors(file(header('{"dtype":"I32","shape":[],"data_offsets":[0,4]}'), new Uint8Array(4))).test!.shape).toEqual([]);
    expect(loadSafetensors(file(header('{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}'))).test!.shape).toEqual([2, 0]);
  });

  it("test_whitespace_padded_header and test_whitespace_leading_padded_header", () => {
    expect(loadSafetensors(file("{}\r \t\n"))).toEqual({});
    expect(loadSafetensors(file("\t\n{}\r "))).toEqual({});
  });

  it("test_header_too_small, test_invalid_header_length, test_header_too_large", () => {
    expectKind(new Uint8Array(0), "truncated", /the file is 0 bytes/);
    expectKind(Uint8Array.from([60, 0, 0, 0, 0, 0, 0, 0]), "header-length", /header length 60 runs past the end of the file: the file has 8 bytes/);
    const big = file(header('{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}'), new Uint8Array(16));
    big.set([60, 0, 0, 0, 0, 0xff, 0xff, 0xff], 0);
    expectKind(big, "header-too-large");
  });

  it("test_invalid_header_non_utf8, test_invalid_header_not_json", () => {
    expectKind(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0xff]), "header-utf8");
    expectKind(file("{"), "header-json", /not valid JSON/);
  });

  it("test_invalid_info: offsets that span fewer bytes than dtype and shape need", () => {
    expectKind(file(header('{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}')), "size-mismatch", /dtype I32 and shape \[2,2\] need 16 bytes, but data_offsets \[0,4\] span 4/);
  });

  it("test_metadata_incomplete_buffer: bytes after the last tensor, and 2 bytes missing", () => {
    const h = header('{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}');
    expectKind(file(h, [...new Uint8Array(16), ...enc.encode("extra_bogus_data_for_polyglot_file")]), "trailing-bytes", /34 bytes after the last tensor's data/);
    expectKind(file(h, new Uint8Array(14)), "truncated", /tensor "test" ends at data byte 16, but the file holds only 14 bytes of data \(2 missing\)/);
  });

  it("test_validation_overflow: dimensions too large to address", () => {
    expectKind(file(header('{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}'), new Uint8Array(16)), "size-mismatch", /too large/);
    expectKind(file(header('{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}'), new Uint8Array(16)), "size-mismatch", /too large/);
  });

  it("test_json_attack: ten tensors all claiming bytes [0,16)", () => {
    const body = Array.from({ length: 10 }, (_, i) => `"weight_${i}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`).join(",");
    expectKind(file(`{${body}}`, new Uint8Array(16)), "offsets", /overlaps/);
  });
});

describe("reading: every corruption is a SafetensorsError that says what is wrong", () => {
  const good = saveSafetensors({ a: nd.array([1, 2, 3]), b: nd.array([1, 2], [2], "float32"), m: nd.array([true, false]) });
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));

  it("a good file parses", () => {
    expect(Object.keys(loadSafetensors(good))).toEqual(["a", "b", "m"]);
  });

  it("truncated anywhere", () => {
    expectKind(good.subarray(0, 5), "truncated", /shorter than the 8-byte header length/);
    expectKind(good.subarray(0, 8 + n - 1), "header-length");
    expectKind(good.subarray(0, good.length - 1), "truncated", /tensor "m" ends at data byte 34, but the file holds only 33 bytes of data \(1 missing\)/);
  });

  it("header problems", () => {
    expectKind(file("[]"), "header-schema", /must be a JSON object, got an array/);
    expectKind(file('{"a":[1]}'), "header-schema", /tensor "a": expected \{ dtype, shape, data_offsets \}/);
    expectKind(file('{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)), "dtype", /tensor "a" has unknown dtype "F99"/);
    expectKind(file('{"a":{"dtype":"constructor","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)), "dtype");
    expectKind(file('{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', new Uint8Array(2)), "unsupported-dtype", /dtype F8_E4M3, which tapegrad has no array type for/);
    expectKind(file('{"a":{"dtype":"F64","shape":[-1],"data_offsets":[0,8]}}', new Uint8Array(8)), "header-schema", /shape must be a list of non-negative integers, got \[-1\]/);
    expectKind(file('{"a":{"dtype":"F64","shape":[1.5],"data_offsets":[0,8]}}', new Uint8Array(8)), "header-schema");
    expectKind(file('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0]}}', new Uint8Array(8)), "header-schema", /data_offsets must be two non-negative integers/);
    expectKind(file('{"a":{"dtype":"F64","shape":[1]}}', new Uint8Array(8)), "header-schema");
    expectKind(file('{"__metadata__":{"epoch":3}}'), "metadata", /value for "epoch" must be a string, got 3/);
    expectKind(file('{"__metadata__":"pt"}'), "metadata");
  });

  it("offsets reversed, overlapping, leaving a gap, or not covering the buffer", () => {
    const t = (name: string, b: number, e: number) => `"${name}":{"dtype":"F32","shape":[${(e - b) / 4}],"data_offsets":[${b},${e}]}`;
    expectKind(file('{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}', new Uint8Array(8)), "offsets", /end before they begin/);
    expectKind(file(`{${t("a", 0, 8)},${t("b", 4, 12)}}`, new Uint8Array(12)), "offsets", /tensor "b" \(bytes \[4,12\)\) overlaps tensor "a" \(bytes \[0,8\)\)/);
    expectKind(file(`{${t("a", 0, 8)},${t("b", 12, 16)}}`, new Uint8Array(16)), "offsets", /bytes \[8,12\) of the data \(after tensor "a", before tensor "b"\) belong to no tensor/);
    expectKind(file(`{${t("a", 4, 8)}}`, new Uint8Array(8)), "offsets", /bytes \[0,4\) of the data \(at the start of the data/);
    expectKind(file(`{${t("a", 0, 8)}}`, new Uint8Array(12)), "trailing-bytes", /4 bytes after the last tensor's data/);
  });

  it("shape and byte size that disagree; a BOOL byte that is not 0 or 1", () => {
    expectKind(file('{"a":{"dtype":"F64","shape":[2,2],"data_offsets":[0,24]}}', new Uint8Array(24)), "size-mismatch", /need 32 bytes, but data_offsets \[0,24\] span 24/);
    expectKind(file('{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', [1, 2]), "value", /BOOL element 1 is the byte 2/);
  });

  it("random damage (truncation, flipped bytes) parses or throws a SafetensorsError, nothing else", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: good.length }),
        fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
        (cut, flips) => {
          const bytes = good.slice(0, cut);
          for (const { at, byte } of flips) if (at < bytes.length) bytes[at] = byte;
          try {
            parseSafetensors(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(SafetensorsError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("loadSafetensorsInto", () => {
  const fakeModule = () => {
    const weights: StateDict = { w: nd.array([1, 2]), b: nd.array([3]) };
    const calls: { sd: StateDict; options: unknown }[] = [];
    return {
      weights,
      calls,
      stateDict: () => weights,
      loadStateDict(sd: StateDict, options?: { strict?: boolean }) {
        calls.push({ sd, options });
        for (const [k, v] of Object.entries(sd)) weights[k]!.assign(v);
        return { missing: [], unexpected: [] };
      },
    };
  };

  it("a damaged file throws before the module is touched", () => {
    const m = fakeModule();
    const bytes = saveSafetensors({ w: nd.array([9, 9]), b: nd.array([9]) });
    for (const bad of [bytes.subarray(0, bytes.length - 3), bytes.subarray(0, 6)]) {
      expect(() => loadSafetensorsInto(m, bad)).toThrow(SafetensorsError);
    }
    expect(m.calls).toHaveLength(0);
    expect([m.weights.w!.toFlat(), m.weights.b!.toFlat()]).toEqual([[1, 2], [3]]);
  });

  it("a sound file goes to loadStateDict, strict by default", () => {
    const m = fakeModule();
    const result = loadSafetensorsInto(m, saveSafetensors({ w: nd.array([7, 8]), b: nd.array([6]) }));
    expect(result).toEqual({ missing: [], unexpected: [] });
    expect(m.calls[0]!.options).toEqual({ strict: true });
    expect(m.weights.w!.toFlat()).toEqual([7, 8]);
    loadSafetensorsInto(m, saveSafetensors({ w: nd.array([1, 1]) }), { strict: false });
    expect(m.calls[1]!.options).toEqual({ strict: false });
  });
});

describe("with a real module", () => {
  it("an LSTM's weights go to a file and into a fresh LSTM; a damaged file leaves the LSTM as it was", () => {
    const rng = new nd.RandomState(5);
    const a = new LSTM(3, 4, { numLayers: 2, rng });
    const b = new LSTM(3, 4, { numLayers: 2, rng });
    const bytes = saveSafetensors(a, { metadata: { format: "pt" } });
    const before = Object.fromEntries(Object.entries(b.stateDict()).map(([k, v]) => [k, v.toFlat()]));
    expect(() => loadSafetensorsInto(b, bytes.subarray(0, bytes.length - 1))).toThrow(SafetensorsError);
    expect(Object.fromEntries(Object.entries(b.stateDict()).map(([k, v]) => [k, v.toFlat()]))).toEqual(before);
    loadSafetensorsInto(b, bytes);
    for (const [k, v] of Object.entries(a.stateDict())) expect(b.stateDict()[k]!.toFlat(), k).toEqual(v.toFlat());
    expect(Object.keys(loadSafetensors(bytes)).sort()).toEqual(Object.keys(a.stateDict()).sort());
  });
});
