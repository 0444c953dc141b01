// Safetensors dtypes against files that real PyTorch computed (data/make-torch-safetensors.py,
// torch 1.13, which writes the format by hand with torch's own bytes): F16 and BF16 widened to
// float32 bit for bit as torch's .float(); float32 (and float64) narrowed to F16 and BF16 bit for
// bit as torch's .half() and .bfloat16(); every integer dtype read, and an integer outside int32
// refused with the tensor and the value named; a file that does not fit a module changes nothing.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import {
  Embedding, LSTM, Linear, Module, SafetensorsError, StateDictError, loadSafetensors, loadSafetensorsInto, parseSafetensors, saveSafetensors,
} from "@tapegrad/nn";

import { bf16ToF32Bits, f16ToNumber, numberToBF16, numberToF16 } from "../src/half.js";

const read = (name: string) => new Uint8Array(readFileSync(new URL(`./data/${name}`, import.meta.url)));

/** The bits of float32 values, so that NaNs and signed zeros compare exactly. */
const f32Bits = (a: NDArray) => [...new Uint32Array((a.toTypedArray() as Float32Array).buffer)];

/**
 * 16-bit words of a tensor's bytes, where torch wrote a NaN compared as "NaN" only: torch 1.13's
 * vectorised cast writes BF16 NaN as 0xffff, c10::BFloat16 (and tapegrad) as 0x7fc0; both are NaN.
 */
function words(bytes: Uint8Array, code: "F16" | "BF16"): (number | "NaN")[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 2 }, (_, i) => {
    const w = dv.getUint16(2 * i, true);
    const nan = code === "F16" ? (w & 0x7c00) === 0x7c00 && (w & 0x3ff) !== 0 : (w & 0x7f80) === 0x7f80 && (w & 0x7f) !== 0;
    return nan ? "NaN" : w;
  });
}

/** The raw little-endian bytes of one tensor in a file, as its header places them. */
function tensorBytes(bytes: Uint8Array, name: string): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
  const [b, e] = header[name]!.data_offsets;
  return bytes.subarray(8 + n + b, 8 + n + e);
}

describe("reading F16 and BF16: float32, exactly as torch's .float()", () => {
  const file = parseSafetensors(read("torch-widen.safetensors"));

  it("every sampled F16 bit pattern (subnormals, infinities, NaNs, signed zeros) equals torch's float32", () => {
    const f16 = file.tensors.f16!;
    expect(f16.dtype).toBe("float32");
    expect(f16.size).toBeGreaterThan(13000);
    expect(f32Bits(f16)).toEqual(f32Bits(file.tensors.f16_as_f32!));
  });

  it("every sampled BF16 bit pattern equals torch's float32, shape kept", () => {
    const bf16 = file.tensors.bf16!;
    expect(bf16.dtype).toBe("float32");
    expect(bf16.shape).toEqual(file.tensors.bf16_as_f32!.shape);
    expect(f32Bits(bf16)).toEqual(f32Bits(file.tensors.bf16_as_f32!));
  });

  it("reports the file's own dtypes and reads __metadata__", () => {
    expect(file.dtypes).toEqual({ f16: "F16", f16_as_f32: "F32", bf16: "BF16", bf16_as_f32: "F32" });
    expect(file.metadata).toMatchObject({ format: "pt", script: "make-torch-safetensors.py" });
  });
});

describe("writing F16 and BF16: round to nearest even, overflow to infinity, as torch", () => {
  const torchFile = read("torch-narrow.safetensors");
  const { tensors } = parseSafetensors(torchFile);

  for (const [src, code] of [["x", "F16"], ["x", "BF16"], ["d", "F16"], ["d", "BF16"]] as const) {
    it(`${src} (${tensors[src]!.dtype}) as ${code}: the bytes torch wrote for .${code === "F16" ? "half" : "bfloat16"}()`, () => {
      const bytes = saveSafetensors({ [src]: tensors[src]! }, { floatDtype: code });
      const back = parseSafetensors(bytes);
      expect(back.dtypes[src]).toBe(code);
      const want = tensorBytes(torchFile, `${src}_${code === "F16" ? "f16" : "bf16"}`);
      expect(words(tensorBytes(bytes, src), code)).toEqual(words(want, code));
      // every non-NaN value bit for bit, and there are NaNs, infinities and subnormals among them
      if (src === "x") expect(words(want, code).filter((w) => w === "NaN")).toHaveLength(1);
      if (code === "F16") expect([...tensorBytes(bytes, src)]).toEqual([...want]);
    });
  }

  it("a float16 file read back and written again is the same bytes (widening loses nothing)", () => {
    const again = saveSafetensors({ x_f16: tensors.x_f16!, x_bf16: tensors.x_bf16! }, { floatDtype: "F16", order: "insertion" });
    expect([...tensorBytes(again, "x_f16")]).toEqual([...tensorBytes(torchFile, "x_f16")]);
    const bf = saveSafetensors({ x_bf16: tensors.x_bf16! }, { floatDtype: "BF16" });
    expect(words(tensorBytes(bf, "x_bf16"), "BF16")).toEqual(words(tensorBytes(torchFile, "x_bf16"), "BF16"));
  });

  it("leaves integer and boolean tensors alone, writes __metadata__, and refuses an unknown floatDtype", () => {
    const bytes = saveSafetensors({ w: nd.array([1.5, 2]), ids: nd.array([1, 2], [2], "int32") }, { floatDtype: "BF16", metadata: { format: "pt" } });
    const back = parseSafetensors(bytes);
    expect(back.dtypes).toEqual({ w: "BF16", ids: "I32" });
    expect(back.metadata).toEqual({ format: "pt" });
    expect(back.tensors.w!.toFlat()).toEqual([1.5, 2]);
    expect(() => saveSafetensors({ w: nd.array([1]) }, { floatDtype: "F8" as "F16" })).toThrow(SafetensorsError);
  });

  it("F64 and F32 on request: float32 widens exactly, float64 rounds to the nearest float32", () => {
    const f32 = nd.array([0.1, 1 / 3], [2], "float32");
    const wide = parseSafetensors(saveSafetensors({ a: f32 }, { floatDtype: "F64" }));
    expect(wide.dtypes.a).toBe("F64");
    expect(wide.tensors.a!.dtype).toBe("float64");
    expect(wide.tensors.a!.toFlat()).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    const narrow = parseSafetensors(saveSafetensors({ a: nd.array([0.1, 1 / 3]) }, { floatDtype: "F32" }));
    expect(narrow.dtypes.a).toBe("F32");
    expect(narrow.tensors.a!.toFlat()).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
  });
});

describe("the 16-bit conversions, as laws", () => {
  it("narrowing the value of every non-NaN F16 and BF16 pattern gives the pattern back", () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0) expect(numberToF16(f16ToNumber(h))).toBe(h);
      u32[0] = bf16ToF32Bits(h);
      if (!Number.isNaN(f32[0]!)) expect(numberToBF16(f32[0]!)).toBe(h);
    }
  });
});

describe("reading integers: int32 when every value fits, never wrapping", () => {
  it("I64, I32, I16, I8, U8, U16, U32 and BOOL, extremes included", () => {
    const f = parseSafetensors(read("torch-ints.safetensors"));
    expect(f.dtypes).toEqual({ i64: "I64", i32: "I32", i16: "I16", i8: "I8", u8: "U8", u16: "U16", u32: "U32", mask: "BOOL" });
    const t = f.tensors;
    expect(t.i64!.dtype).toBe("int32");
    expect(t.i64!.toArray()).toEqual([[0, 1, -1], [2 ** 31 - 1, -(2 ** 31), 123456789]]);
    expect(t.i32!.toFlat()).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(t.i16!.toFlat()).toEqual([-32768, 32767, -1, 0]);
    expect(t.i8!.toFlat()).toEqual([-128, 127, -1, 0, 5]);
    expect(t.u8!.toFlat()).toEqual([0, 255, 128, 7]);
    expect(t.u16!.toFlat()).toEqual([0, 65535, 32768]);
    expect(t.u32!.toFlat()).toEqual([0, 2 ** 31 - 1, 65536]);
    for (const k of ["i16", "i8", "u8", "u16", "u32"]) expect(t[k]!.dtype, k).toBe("int32");
    expect(t.mask!.dtype).toBe("bool");
  });

  it.each([
    ["torch-overflow-i64.safetensors", /tensor "ids": I64 element 2 is 2147483648, outside int32's range/],
    ["torch-overflow-i64-neg.safetensors", /tensor "ids": I64 element 1 is -2147483649/],
    ["torch-overflow-i64-big.safetensors", /I64 element 0 is -9223372036854775808/],
    ["torch-overflow-u32.safetensors", /tensor "ids": U32 element 1 is 2147483648/],
    ["torch-overflow-u64.safetensors", /tensor "ids": U64 element 0 is 4294967296/],
  ])("%s: a typed error naming the tensor and the value", (name, message) => {
    let err: unknown;
    try {
      loadSafetensors(read(name));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as SafetensorsError).kind).toBe("overflow");
    expect((err as SafetensorsError).tensor).toBe("ids");
    expect((err as Error).message).toMatch(message);
  });
});

describe("a file that does not fit the module changes nothing", () => {
  class Model extends Module {
    emb = new Embedding(6, 3, { rng: new RandomState(0) });
    lstm = new LSTM(3, 4, { rng: new RandomState(1) });
    head = new Linear(4, 6, { rng: new RandomState(2) });
    forward(): void {}
  }
  const snapshot = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toFlat()]));

  it("an F16 checkpoint loads into a float64 model, each weight the float16 value exactly", () => {
    const src = new Model();
    const dst = new Model();
    const half = saveSafetensors(src, { floatDtype: "F16" });
    loadSafetensorsInto(dst, half);
    const widened = loadSafetensors(half);
    for (const [k, v] of Object.entries(dst.stateDict())) {
      expect(v.dtype).toBe("float64");
      expect(v.toFlat(), k).toEqual(widened[k]!.toFlat());
      // and that value is within float16's half-ulp of the original
      const orig = src.stateDict()[k]!.toFlat();
      v.toFlat().forEach((x, i) => expect(Math.abs(x - orig[i]!)).toBeLessThanOrEqual(Math.abs(orig[i]!) * 2 ** -11 + 2 ** -25));
    }
  });

  const cases: [string, (sd: Record<string, NDArray>) => void, RegExp, typeof StateDictError][] = [
    ["a shape that differs", (sd) => { sd["head.weight"] = nd.zeros([6, 5]); }, /head\.weight: shape \[6,5\] in the state dict, \[6,4\] in the module/, StateDictError],
    ["a name the module lacks", (sd) => { sd["head.scale"] = nd.zeros([1]); }, /unexpected keys: head\.scale/, StateDictError],
    ["a name missing", (sd) => { delete sd["lstm.bias_hh_l0"]; }, /missing keys: lstm\.bias_hh_l0/, StateDictError],
    ["a dtype the module cannot hold (I64 ids into float weights)", (sd) => { sd["emb.weight"] = nd.zeros([6, 3], "int32"); }, /emb\.weight: dtype int32 in the state dict cannot load into float64/, StateDictError],
  ];
  it.each(cases)("%s: a typed error naming the key, and the module as it was", (_, edit, message, type) => {
    const src = new Model();
    const sd = { ...src.stateDict() };
    edit(sd);
    const bytes = saveSafetensors(sd);
    const dst = new Model();
    const before = snapshot(dst);
    expect(() => loadSafetensorsInto(dst, bytes)).toThrow(type);
    expect(() => loadSafetensorsInto(dst, bytes)).toThrow(message);
    expect(snapshot(dst)).toEqual(before);
  });

  it("an I64 that overflows: a SafetensorsError naming the tensor, and the module as it was", () => {
    const dst = new Model();
    const before = snapshot(dst);
    expect(() => loadSafetensorsInto(dst, read("torch-overflow-i64.safetensors"))).toThrow(/tensor "ids": I64 element 2 is 2147483648/);
    expect(snapshot(dst)).toEqual(before);
  });
});
