// The safetensors format (huggingface/safetensors), read and written as bytes: no file system
// here, so it runs in browsers too (saving to a path, atomically, lives in the examples).
//
// Layout: an 8-byte little-endian u64 N; N bytes of UTF-8 JSON mapping each tensor's name to
// { dtype, shape, data_offsets: [begin, end] } (byte offsets into the data that follows), plus
// an optional "__metadata__" map of strings to strings; then the raw little-endian, C-order data.
// The offsets must tile the data exactly: no gap, no overlap, nothing after the last tensor.
//
// Reading widens what tapegrad has no array for: F16 and BF16 become float32 exactly; I8, U8,
// I16, U16, U32, I64 and U64 become int32 when every value fits, and otherwise raise an error
// naming the tensor and the value (never a silent wrap). Writing can narrow floats to F16 or BF16.
//
// The writer produces the bytes of the reference writer (tensor.rs `serialize`): compact JSON
// with "__metadata__" first, tensors sorted by dtype (widest first: F64, F32, I32, BF16, F16, BOOL) and
// then by name, laid out in that order, the header padded with spaces to a multiple of 8 so
// that every tensor's data is aligned. Metadata keys keep their insertion order (the reference
// keeps them in a hash map, so files with two or more metadata keys differ only in that order).

import { NDArray, TapegradError, fmtShape, type DType } from "@tapegrad/tensor";
import { checkFresh } from "@tapegrad/tensor/internal";
import { Tensor } from "@tapegrad/autograd";
import { bf16ToF32Bits, f16ToF32Bits, numberToBF16, numberToF16 } from "./half.js";

type StateDict = Record<string, NDArray>;

/** Anything with a state dict: a Module, or an object holding weights by name. */
export interface StateDictModule {
  stateDict(): Record<string, NDArray>;
  loadStateDict(sd: Record<string, NDArray>, options?: { strict?: boolean }): unknown;
}

/** Options of saveSafetensors: metadata strings, the order of the tensors in the file, and the file dtype of float tensors. */
export interface SaveSafetensorsOptions {
  /** Stored as "__metadata__": strings only, as the format requires. */
  metadata?: Record<string, string>;
  /**
   * "reference" (the default): the reference writer's order (dtype, then name), so the bytes
   * equal safetensors' own. "insertion": the state dict's order, so a load gives it back in order.
   */
  order?: "reference" | "insertion";
  /**
   * The file dtype of every floating-point tensor (default: its own, F64 or F32). "F16" and
   * "BF16" round to nearest even, overflowing to infinity, as torch's `.half()` and
   * `.bfloat16()` do; integer and boolean tensors keep theirs.
   */
  floatDtype?: FloatFileDType;
}

/** The dtypes a floating-point tensor can be written as. */
export type FloatFileDType = "F64" | "F32" | "F16" | "BF16";

/** What parseSafetensors returns: the tensors by name (F16 and BF16 widened to float32, narrow integers to int32), the metadata, and each tensor's dtype in the file. */
export interface SafetensorsFile {
  /** In the order of their data in the file. */
  tensors: StateDict;
  metadata: Record<string, string> | null;
  /** Each tensor's dtype in the file ("F16", "I64", ...), before widening to tapegrad's dtypes. */
  dtypes: Record<string, string>;
}

/** What a SafetensorsError is about, as its `kind`: a malformed file (truncated, a bad header, dtype, sizes, offsets, trailing bytes), a dtype tapegrad has no array for, a value that does not fit (a BOOL byte other than 0 or 1, an integer too wide for int32), or (writing) a name the format cannot hold. */
export type SafetensorsErrorKind =
  | "truncated" // shorter than its own header or data say
  | "header-too-large" // header length above the reference reader's 100 MB limit
  | "header-length" // header length runs past the end of the file
  | "header-utf8"
  | "header-json"
  | "header-schema" // JSON that is not a safetensors header (wrong types, missing fields)
  | "metadata" // "__metadata__" that is not a map of strings
  | "dtype" // a dtype the format does not define
  | "unsupported-dtype" // a dtype the format defines but tapegrad has no array for
  | "size-mismatch" // shape and dtype need a different number of bytes than the offsets span
  | "offsets" // offsets reversed, overlapping, or leaving a gap
  | "trailing-bytes" // data after the last tensor
  | "value" // a BOOL byte other than 0 or 1
  | "overflow" // an integer that int32 cannot hold (I64, U64, U32)
  | "name"; // (writing) a name or metadata string the format cannot hold

/** A malformed safetensors file, or a state dict that cannot be written as one. */
export class SafetensorsError extends TapegradError {
  readonly kind: SafetensorsErrorKind;
  /** The tensor at fault, when one is. */
  readonly tensor: string | undefined;
  constructor(kind: SafetensorsErrorKind, message: string, tensor?: string) {
    super(`safetensors: ${message}`);
    this.kind = kind;
    this.tensor = tensor;
  }
}

/** The reference reader refuses longer headers (tensor.rs MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER_SIZE = 100_000_000;

const TO_FILE: Record<DType, string> = { float64: "F64", float32: "F32", int32: "I32", bool: "BOOL" };
/** Every dtype tapegrad reads: its width in bytes and the array dtype it becomes. */
const READS: Record<string, { size: number; dtype: DType }> = {
  F64: { size: 8, dtype: "float64" },
  F32: { size: 4, dtype: "float32" },
  F16: { size: 2, dtype: "float32" },
  BF16: { size: 2, dtype: "float32" },
  I64: { size: 8, dtype: "int32" },
  U64: { size: 8, dtype: "int32" },
  I32: { size: 4, dtype: "int32" },
  U32: { size: 4, dtype: "int32" },
  I16: { size: 2, dtype: "int32" },
  U16: { size: 2, dtype: "int32" },
  I8: { size: 1, dtype: "int32" },
  U8: { size: 1, dtype: "int32" },
  BOOL: { size: 1, dtype: "bool" },
};
const ITEM_SIZE: Record<DType, number> = { float64: 8, float32: 4, int32: 4, bool: 1 };
/** Position in the reference's Dtype enum ("in increasing alignment order"); the writer sorts by it, descending. */
const ENUM_RANK: Record<string, number> = { BOOL: 0, F16: 13, BF16: 14, I32: 15, F32: 17, F64: 19 };
/** Every other dtype the format defines, for a message that says "not supported" rather than "unknown". */
const OTHER_DTYPES = new Set(["F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64"]);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------- writing

function entriesOf(source: StateDictModule | Record<string, NDArray | Tensor>): [string, NDArray][] {
  const sd = typeof (source as StateDictModule).stateDict === "function" ? (source as StateDictModule).stateDict() : source;
  if (typeof sd !== "object" || sd === null) throw new SafetensorsError("name", "expected a module or a state dict (an object of NDArrays)");
  return Object.entries(sd).map(([name, v]) => {
    const a = v instanceof Tensor ? v.data : v;
    if (!(a instanceof NDArray)) throw new SafetensorsError("name", `state dict entry ${JSON.stringify(name)} is not an NDArray or Tensor`, name);
    return [name, a] as [string, NDArray];
  });
}

/** A string the format can carry: UTF-8 encodable (no lone surrogates), so that JSON readers agree on it. */
function checkString(what: string, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) throw new SafetensorsError("name", `${what} ${JSON.stringify(s)} holds a lone surrogate (U+${c.toString(16).toUpperCase()}), which UTF-8 cannot encode`);
  }
}

/** Rust orders Strings by their UTF-8 bytes, which is code point order (JS's < is UTF-16 order). */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function dataBytes(a: NDArray, fileDtype: string): Uint8Array {
  const t = a.toTypedArray(); // a fresh C-order copy, whatever the view's strides
  if (a.dtype === "bool") return (t as Uint8Array).map((v) => (v !== 0 ? 1 : 0));
  if (fileDtype === "F16" || fileDtype === "BF16") {
    const narrow = fileDtype === "F16" ? numberToF16 : numberToBF16;
    const out = new Uint8Array(t.length * 2);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < t.length; i++) dv.setUint16(i * 2, narrow(t[i]!), true);
    return out;
  }
  const w = fileDtype === "F64" ? 8 : 4;
  if (LITTLE_ENDIAN && w === ITEM_SIZE[a.dtype]) return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  const out = new Uint8Array(t.length * w);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < t.length; i++) {
    const v = t[i]!;
    if (fileDtype === "F64") dv.setFloat64(i * w, v, true);
    else if (fileDtype === "F32") dv.setFloat32(i * w, v, true);
    else dv.setInt32(i * w, v, true);
  }
  return out;
}

/**
 * The bytes of a safetensors file holding a module's (or a state dict's) arrays.
 *
 * @example
 * ```ts
 * const model = new Linear(3, 2);
 * const bytes = saveSafetensors(model, { metadata: { step: "100" } });
 * const copy = new Linear(3, 2);
 * loadSafetensorsInto(copy, bytes); // { missing: [], unexpected: [] }; copy's weights are model's
 * ```
 */
export function saveSafetensors(source: StateDictModule | Record<string, NDArray | Tensor>, options: SaveSafetensorsOptions = {}): Uint8Array {
  const order = options.order ?? "reference";
  if (order !== "reference" && order !== "insertion") throw new SafetensorsError("name", `order must be "reference" or "insertion", got ${JSON.stringify(order)}`);
  const floatDtype = options.floatDtype;
  if (floatDtype !== undefined && !["F64", "F32", "F16", "BF16"].includes(floatDtype)) {
    throw new SafetensorsError("dtype", `floatDtype must be "F64", "F32", "F16" or "BF16", got ${JSON.stringify(floatDtype)}`);
  }
  const entries = entriesOf(source).map(([name, a]) => [name, a, a.dtype === "float64" || a.dtype === "float32" ? floatDtype ?? TO_FILE[a.dtype] : TO_FILE[a.dtype]] as [string, NDArray, string]);
  // an array whose newer values are on a GPU (a compiled step's state): a StaleError naming sync()
  for (const [name, a] of entries) checkFresh(a.data, `saveSafetensors (tensor ${JSON.stringify(name)})`);
  for (const [name] of entries) {
    if (name === "__metadata__") throw new SafetensorsError("name", 'a tensor cannot be named "__metadata__": the format reserves that key', name);
    checkString("tensor name", name);
  }
  if (order === "reference") {
    entries.sort(([na, , a], [nb, , b]) => ENUM_RANK[b]! - ENUM_RANK[a]! || compareCodePoints(na, nb));
  }
  const parts: string[] = [];
  if (options.metadata !== undefined && options.metadata !== null) {
    const meta = Object.entries(options.metadata);
    for (const [k, v] of meta) {
      checkString("metadata key", k);
      if (typeof v !== "string") throw new SafetensorsError("metadata", `metadata value for ${JSON.stringify(k)} must be a string, got ${typeof v}`);
      checkString("metadata value", v);
    }
    parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a, fileDtype] of entries) {
    const bytes = dataBytes(a, fileDtype);
    // Built by hand, not with JSON.stringify on an object: JS puts integer-like keys ("0") first.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${fileDtype}","shape":[${a.shape.join(",")}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    blobs.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > SAFETENSORS_MAX_HEADER_SIZE) throw new SafetensorsError("header-too-large", `the header would be ${n} bytes, above the format's limit of ${SAFETENSORS_MAX_HEADER_SIZE}`);
  const out = new Uint8Array(8 + n + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true); // n < 2^32: the high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let p = 8 + n;
  for (const b of blobs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

// ---------------------------------------------------------------- reading

interface Info {
  name: string;
  /** The file's dtype ("F16", "I64", ...). */
  fileDtype: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * A plain Uint8Array over the input's bytes. Not the input itself: a Node Buffer is a Uint8Array
 * whose slice() shares memory (a view into a pooled ArrayBuffer), and decode relies on slice copying.
 */
function asBytes(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new SafetensorsError("truncated", `expected bytes (a Uint8Array or ArrayBuffer), got ${bytes === null ? "null" : typeof bytes}`);
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function parseInfo(name: string, raw: unknown): Info {
  const at = `tensor ${JSON.stringify(name)}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SafetensorsError("header-schema", `${at}: expected { dtype, shape, data_offsets }, got ${JSON.stringify(raw)}`, name);
  const r = raw as Record<string, unknown>;
  if (typeof r.dtype !== "string") throw new SafetensorsError("header-schema", `${at}: dtype must be a string, got ${JSON.stringify(r.dtype)}`, name);
  const read = Object.hasOwn(READS, r.dtype) ? READS[r.dtype] : undefined;
  if (read === undefined) {
    if (OTHER_DTYPES.has(r.dtype)) {
      throw new SafetensorsError("unsupported-dtype", `${at} has dtype ${r.dtype}, which tapegrad has no array type for (it reads ${Object.keys(READS).join(", ")})`, name);
    }
    throw new SafetensorsError("dtype", `${at} has unknown dtype ${JSON.stringify(r.dtype)}`, name);
  }
  if (Array.isArray(r.shape) && r.shape.some((d) => Number.isInteger(d) && d > Number.MAX_SAFE_INTEGER)) {
    throw new SafetensorsError("size-mismatch", `${at}: shape ${JSON.stringify(r.shape)} has a dimension above 2^53 - 1, too large to address`, name);
  }
  if (!Array.isArray(r.shape) || !r.shape.every(isIndex)) {
    throw new SafetensorsError("header-schema", `${at}: shape must be a list of non-negative integers, got ${JSON.stringify(r.shape)}`, name);
  }
  const off = r.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every(isIndex)) {
    throw new SafetensorsError("header-schema", `${at}: data_offsets must be two non-negative integers [begin, end], got ${JSON.stringify(off)}`, name);
  }
  const [begin, end] = off as [number, number];
  if (end < begin) throw new SafetensorsError("offsets", `${at}: data_offsets [${begin},${end}] end before they begin`, name);
  const shape = r.shape as number[];
  let count = 1;
  for (const d of shape) count *= d;
  const need = count * read.size;
  if (!Number.isSafeInteger(need)) throw new SafetensorsError("size-mismatch", `${at}: shape ${fmtShape(shape)} is too large to address`, name);
  if (need !== end - begin) {
    throw new SafetensorsError(
      "size-mismatch",
      `${at}: dtype ${r.dtype} and shape ${fmtShape(shape)} need ${need} bytes, but data_offsets [${begin},${end}] span ${end - begin}`,
      name,
    );
  }
  return { name, fileDtype: r.dtype, dtype: read.dtype, shape, begin, end };
}

function overflow(info: Info, index: number, value: string): SafetensorsError {
  return new SafetensorsError(
    "overflow",
    `tensor ${JSON.stringify(info.name)}: ${info.fileDtype} element ${index} is ${value}, outside int32's range [-2147483648, 2147483647], which tapegrad's integer arrays hold`,
    info.name,
  );
}

function decode(info: Info, data: Uint8Array): NDArray {
  const raw = data.subarray(info.begin, info.end);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = (info.end - info.begin) / READS[info.fileDtype]!.size;
  let storage: Float64Array | Float32Array | Int32Array | Uint8Array;
  switch (info.fileDtype) {
    case "BOOL": {
      storage = raw.slice();
      const bad = storage.findIndex((v) => v > 1);
      if (bad >= 0) throw new SafetensorsError("value", `tensor ${JSON.stringify(info.name)}: BOOL element ${bad} is the byte ${storage[bad]}; only 0 and 1 are booleans`, info.name);
      break;
    }
    case "F64":
    case "F32":
    case "I32":
      if (LITTLE_ENDIAN) {
        const copy = raw.slice().buffer; // a fresh buffer is aligned, whatever the offset in the file
        storage = info.fileDtype === "F64" ? new Float64Array(copy) : info.fileDtype === "F32" ? new Float32Array(copy) : new Int32Array(copy);
      } else if (info.fileDtype === "F64") {
        storage = new Float64Array(n);
        for (let i = 0; i < n; i++) storage[i] = dv.getFloat64(i * 8, true);
      } else if (info.fileDtype === "F32") {
        storage = new Float32Array(n);
        for (let i = 0; i < n; i++) storage[i] = dv.getFloat32(i * 4, true);
      } else {
        storage = new Int32Array(n);
        for (let i = 0; i < n; i++) storage[i] = dv.getInt32(i * 4, true);
      }
      break;
    case "F16":
    case "BF16": {
      // Written as bits, so that a NaN keeps its sign and payload as torch's .float() keeps them.
      storage = new Float32Array(n);
      const bits = new Uint32Array(storage.buffer);
      for (let i = 0; i < n; i++) bits[i] = (info.fileDtype === "F16" ? f16ToF32Bits : bf16ToF32Bits)(dv.getUint16(i * 2, true));
      break;
    }
    case "I64":
    case "U64": {
      storage = new Int32Array(n);
      const signed = info.fileDtype === "I64";
      for (let i = 0; i < n; i++) {
        const lo = dv.getUint32(i * 8, true);
        const hi = dv.getUint32(i * 8 + 4, true);
        // fits int32 iff the high word is the sign extension of the low word
        const fits = signed ? hi === (lo & 0x80000000 ? 0xffffffff : 0) : hi === 0 && lo <= 0x7fffffff;
        if (!fits) {
          const big = signed ? dv.getBigInt64(i * 8, true) : dv.getBigUint64(i * 8, true);
          throw overflow(info, i, big.toString());
        }
        storage[i] = lo | 0;
      }
      break;
    }
    case "U32": {
      storage = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getUint32(i * 4, true);
        if (v > 0x7fffffff) throw overflow(info, i, String(v));
        storage[i] = v;
      }
      break;
    }
    default: {
      // I8, U8, I16, U16: every value fits
      storage = new Int32Array(n);
      const get = { I8: (i: number) => dv.getInt8(i), U8: (i: number) => dv.getUint8(i), I16: (i: number) => dv.getInt16(i * 2, true), U16: (i: number) => dv.getUint16(i * 2, true) }[info.fileDtype as "I8"]!;
      for (let i = 0; i < n; i++) storage[i] = get(i);
    }
  }
  return new NDArray(storage, info.shape);
}

/**
 * Parses and checks a whole safetensors file. Any problem (truncation, a bad header length,
 * JSON, dtype, shape or offsets, trailing bytes, an integer too wide for int32) throws a SafetensorsError whose `kind` and
 * message say what and where; nothing is returned unless every tensor is sound.
 */
export function parseSafetensors(input: Uint8Array | ArrayBuffer | ArrayBufferView): SafetensorsFile {
  const bytes = asBytes(input);
  const len = bytes.length;
  if (len < 8) throw new SafetensorsError("truncated", `the file is ${len} bytes, shorter than the 8-byte header length that starts every safetensors file`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n > SAFETENSORS_MAX_HEADER_SIZE) {
    throw new SafetensorsError("header-too-large", `the header length is ${hi === 0 ? n : `${hi} * 2^32 + ${lo}`} bytes, above the format's limit of ${SAFETENSORS_MAX_HEADER_SIZE} (is this a safetensors file?)`);
  }
  if (8 + n > len) {
    throw new SafetensorsError("header-length", `the header length ${n} runs past the end of the file: the file has ${len} bytes, room for at most ${len - 8} bytes of header`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError("header-utf8", `the ${n}-byte header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError("header-json", `the header is not valid JSON (${(e as Error).message}): ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SafetensorsError("header-schema", `the header must be a JSON object, got ${Array.isArray(header) ? "an array" : JSON.stringify(header)}`);
  }
  let metadata: Record<string, string> | null = null;
  const infos: Info[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SafetensorsError("metadata", `"__metadata__" must be an object of strings, got ${JSON.stringify(raw)}`);
      metadata = {};
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== "string") throw new SafetensorsError("metadata", `"__metadata__" value for ${JSON.stringify(k)} must be a string, got ${JSON.stringify(v)}`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    infos.push(parseInfo(name, raw));
  }
  // The offsets, in order, must tile [0, data length) with no gap and no overlap.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  let prev: Info | null = null;
  for (const info of infos) {
    if (info.begin < expect) {
      throw new SafetensorsError("offsets", `tensor ${JSON.stringify(info.name)} (bytes [${info.begin},${info.end})) overlaps tensor ${JSON.stringify(prev!.name)} (bytes [${prev!.begin},${prev!.end}))`, info.name);
    }
    if (info.begin > expect) {
      const after = prev ? `after tensor ${JSON.stringify(prev.name)}` : "at the start of the data";
      throw new SafetensorsError("offsets", `bytes [${expect},${info.begin}) of the data (${after}, before tensor ${JSON.stringify(info.name)}) belong to no tensor`, info.name);
    }
    expect = info.end;
    prev = info;
  }
  const dataLen = len - 8 - n;
  if (expect > dataLen) {
    throw new SafetensorsError(
      "truncated",
      `the file is truncated: tensor ${JSON.stringify(prev!.name)} ends at data byte ${expect}, but the file holds only ${dataLen} bytes of data (${expect - dataLen} missing)`,
      prev!.name,
    );
  }
  if (expect < dataLen) {
    throw new SafetensorsError("trailing-bytes", `${dataLen - expect} bytes after the last tensor's data (data bytes [${expect},${dataLen})) belong to no tensor`);
  }
  const data = bytes.subarray(8 + n);
  const tensors: StateDict = {};
  const dtypes: Record<string, string> = {};
  // defineProperty, not assignment: a tensor named "__proto__" must stay an ordinary key.
  const define = (o: object, k: string, value: unknown) => Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
  for (const info of infos) {
    define(tensors, info.name, decode(info, data));
    define(dtypes, info.name, info.fileDtype);
  }
  return { tensors, metadata, dtypes };
}

/** The state dict in a safetensors file (see parseSafetensors for the checks). */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): StateDict {
  return parseSafetensors(bytes).tensors;
}

/**
 * Parses the whole file first and only then calls module.loadStateDict, so a truncated or
 * corrupt file throws a SafetensorsError and the module keeps its weights. (A file that parses
 * but does not fit the module is the module's loadStateDict's to report; in strict mode it
 * loads nothing either.) Returns what loadStateDict returns.
 */
export function loadSafetensorsInto<M extends StateDictModule>(
  module: M, bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: { strict?: boolean } = {},
): ReturnType<M["loadStateDict"]> {
  const { tensors } = parseSafetensors(bytes);
  return module.loadStateDict(tensors, { strict: options.strict ?? true }) as ReturnType<M["loadStateDict"]>;
}
