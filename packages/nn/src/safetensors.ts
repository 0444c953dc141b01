// The safetensors format (huggingface/safetensors), read and written as bytes: no file system
// here, so it runs in browsers too (saving to a path, atomically, lives in the examples).
//
// Layout: an 8-byte little-endian u64 N; N bytes of UTF-8 JSON mapping each tensor's name to
// { dtype, shape, data_offsets: [begin, end] } (byte offsets into the data that follows), plus
// an optional "__metadata__" map of strings to strings; then the raw little-endian, C-order data.
// The offsets must tile the data exactly: no gap, no overlap, nothing after the last tensor.
//
// The writer produces the bytes of the reference writer (tensor.rs `serialize`): compact JSON
// with "__metadata__" first, tensors sorted by dtype (widest first: F64, F32, I32, BOOL) and
// then by name, laid out in that order, the header padded with spaces to a multiple of 8 so
// that every tensor's data is aligned. Metadata keys keep their insertion order (the reference
// keeps them in a hash map, so files with two or more metadata keys differ only in that order).

import { NDArray, TapegradError, fmtShape, type DType } from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";

type StateDict = Record<string, NDArray>;

/** Anything with a state dict: a Module, or an object holding weights by name. */
export interface StateDictModule {
  stateDict(): Record<string, NDArray>;
  loadStateDict(sd: Record<string, NDArray>, options?: { strict?: boolean }): unknown;
}

export interface SaveSafetensorsOptions {
  /** Stored as "__metadata__": strings only, as the format requires. */
  metadata?: Record<string, string>;
  /**
   * "reference" (the default): the reference writer's order (dtype, then name), so the bytes
   * equal safetensors' own. "insertion": the state dict's order, so a load gives it back in order.
   */
  order?: "reference" | "insertion";
}

export interface SafetensorsFile {
  /** In the order of their data in the file. */
  tensors: StateDict;
  metadata: Record<string, string> | null;
}

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
const FROM_FILE: Record<string, DType> = { F64: "float64", F32: "float32", I32: "int32", BOOL: "bool" };
const ITEM_SIZE: Record<DType, number> = { float64: 8, float32: 4, int32: 4, bool: 1 };
/** Position in the reference's Dtype enum ("in increasing alignment order"); the writer sorts by it, descending. */
const ENUM_RANK: Record<DType, number> = { bool: 0, int32: 15, float32: 17, float64: 19 };
/** Every other dtype the format defines, for a message that says "not supported" rather than "unknown". */
const OTHER_DTYPES = new Set([
  "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
  "I16", "U16", "F16", "BF16", "U32", "C64", "I64", "U64",
]);

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

function dataBytes(a: NDArray): Uint8Array {
  const t = a.toTypedArray(); // a fresh C-order copy, whatever the view's strides
  if (a.dtype === "bool") return (t as Uint8Array).map((v) => (v !== 0 ? 1 : 0));
  if (LITTLE_ENDIAN) return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  const out = new Uint8Array(t.byteLength);
  const dv = new DataView(out.buffer);
  const w = ITEM_SIZE[a.dtype];
  for (let i = 0; i < t.length; i++) {
    const v = t[i]!;
    if (a.dtype === "float64") dv.setFloat64(i * w, v, true);
    else if (a.dtype === "float32") dv.setFloat32(i * w, v, true);
    else dv.setInt32(i * w, v, true);
  }
  return out;
}

/** The bytes of a safetensors file holding a module's (or a state dict's) arrays. */
export function saveSafetensors(source: StateDictModule | Record<string, NDArray | Tensor>, options: SaveSafetensorsOptions = {}): Uint8Array {
  const order = options.order ?? "reference";
  if (order !== "reference" && order !== "insertion") throw new SafetensorsError("name", `order must be "reference" or "insertion", got ${JSON.stringify(order)}`);
  const entries = entriesOf(source);
  for (const [name] of entries) {
    if (name === "__metadata__") throw new SafetensorsError("name", 'a tensor cannot be named "__metadata__": the format reserves that key', name);
    checkString("tensor name", name);
  }
  if (order === "reference") {
    entries.sort(([na, a], [nb, b]) => ENUM_RANK[b.dtype] - ENUM_RANK[a.dtype] || compareCodePoints(na, nb));
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
  for (const [name, a] of entries) {
    const bytes = dataBytes(a);
    // Built by hand, not with JSON.stringify on an object: JS puts integer-like keys ("0") first.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${TO_FILE[a.dtype]}","shape":[${a.shape.join(",")}],"data_offsets":[${offset},${offset + bytes.length}]}`);
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
  const dtype = FROM_FILE[r.dtype];
  if (dtype === undefined || !Object.hasOwn(FROM_FILE, r.dtype)) {
    if (OTHER_DTYPES.has(r.dtype)) {
      throw new SafetensorsError("unsupported-dtype", `${at} has dtype ${r.dtype}, which tapegrad has no array type for (it reads F64, F32, I32 and BOOL)`, name);
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
  const need = count * ITEM_SIZE[dtype];
  if (!Number.isSafeInteger(need)) throw new SafetensorsError("size-mismatch", `${at}: shape ${fmtShape(shape)} is too large to address`, name);
  if (need !== end - begin) {
    throw new SafetensorsError(
      "size-mismatch",
      `${at}: dtype ${r.dtype} and shape ${fmtShape(shape)} need ${need} bytes, but data_offsets [${begin},${end}] span ${end - begin}`,
      name,
    );
  }
  return { name, dtype, shape, begin, end };
}

function decode(info: Info, data: Uint8Array): NDArray {
  const raw = data.subarray(info.begin, info.end);
  const n = (info.end - info.begin) / ITEM_SIZE[info.dtype];
  let storage: Float64Array | Float32Array | Int32Array | Uint8Array;
  if (info.dtype === "bool") {
    storage = raw.slice();
    const bad = storage.findIndex((v) => v > 1);
    if (bad >= 0) throw new SafetensorsError("value", `tensor ${JSON.stringify(info.name)}: BOOL element ${bad} is the byte ${storage[bad]}; only 0 and 1 are booleans`, info.name);
  } else if (LITTLE_ENDIAN) {
    const copy = raw.slice().buffer; // a fresh buffer is aligned, whatever the offset in the file
    storage = info.dtype === "float64" ? new Float64Array(copy) : info.dtype === "float32" ? new Float32Array(copy) : new Int32Array(copy);
  } else {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const w = ITEM_SIZE[info.dtype];
    storage = info.dtype === "float64" ? new Float64Array(n) : info.dtype === "float32" ? new Float32Array(n) : new Int32Array(n);
    for (let i = 0; i < n; i++) {
      storage[i] = info.dtype === "float64" ? dv.getFloat64(i * w, true) : info.dtype === "float32" ? dv.getFloat32(i * w, true) : dv.getInt32(i * w, true);
    }
  }
  return new NDArray(storage, info.shape);
}

/**
 * Parses and checks a whole safetensors file. Any problem (truncation, a bad header length,
 * JSON, dtype, shape or offsets, trailing bytes) throws a SafetensorsError whose `kind` and
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
  // defineProperty, not assignment: a tensor named "__proto__" must stay an ordinary key.
  for (const info of infos) Object.defineProperty(tensors, info.name, { value: decode(info, data), enumerable: true, writable: true, configurable: true });
  return { tensors, metadata };
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
