// Data that batches itself, with PyTorch's shapes (torch.utils.data and torch.nn.utils.rnn):
// TensorDataset, DataLoader, padSequence with the lengths the recurrent modules take, and a
// character/token vocabulary. A dataset is anything with `length` and `get(i)`; a loader draws
// a fresh order from its random stream at the start of each pass (each for...of).

import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState, IndexError, ShapeError, ValueError, TapegradError, fmtShape, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { getDefaultRng } from "./init.js";

/** Thrown by the data helpers for arguments that do not fit (a dataset without get, tensors of different lengths, a token the vocabulary lacks, ...). */
export class DataError extends TapegradError {}

/** What a DataLoader reads: a length and an item per index in [0, length) (PyTorch's map-style Dataset). */
export interface Dataset<T> {
  readonly length: number;
  get(i: number): T;
}

const toT = (x: Tensor | NDArray): Tensor => (x instanceof Tensor ? x : new Tensor(x));

function checkIndex(op: string, i: number, n: number): number {
  if (!Number.isInteger(i)) throw new IndexError(`${op}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new IndexError(`${op}: index ${i} is out of range for ${n} items`);
  return j;
}

/**
 * Tensors that share their first dim, read a row at a time: item i is `[x[i], y[i], ...]`
 * (PyTorch's TensorDataset). NDArrays are wrapped as Tensors (not copied). Tensors whose first
 * dims differ are a ShapeError naming every shape.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0]));
 * ds.length; // 3
 * const [x, y] = ds.get(1); // x: tensor([3., 4.]), y: tensor(1.)
 * ```
 */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: (Tensor | NDArray)[]) {
    if (tensors.length === 0) throw new ValueError("TensorDataset: needs at least one tensor");
    tensors.forEach((t, k) => {
      if (!(t instanceof Tensor || t instanceof NDArray)) throw new ValueError(`TensorDataset: argument ${k} is not a Tensor or NDArray (got ${t === null ? "null" : typeof t})`);
      if (t.shape.length === 0) throw new ShapeError(`TensorDataset: argument ${k} is 0-d; every tensor needs a first dim to index`);
    });
    const n = tensors[0]!.shape[0];
    if (tensors.some((t) => t.shape[0] !== n)) {
      throw new ShapeError(`TensorDataset: size mismatch between tensors: shapes ${tensors.map((t) => fmtShape(t.shape)).join(", ")} differ in their first dim`);
    }
    this.tensors = tensors.map(toT);
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /** `[x[i], y[i], ...]`; a negative i counts from the end, as in PyTorch. */
  get(i: number): Tensor[] {
    const j = checkIndex("TensorDataset.get", i, this.length);
    return this.tensors.map((t) => ag.slice(t, [j]));
  }

  /** The items at `indices` already stacked: what the default collate makes of them, in one take per tensor. */
  getBatch(indices: readonly number[]): Tensor[] {
    const idx = Int32Array.from(indices, (i) => checkIndex("TensorDataset.getBatch", i, this.length));
    return this.tensors.map((t) => ag.take(t, idx, 0));
  }
}

/** A batch as the default collate makes it from items of type T: tensors, NDArrays and numbers stacked into one Tensor, arrays and objects field by field. */
export type Collated<T> = T extends Tensor | NDArray | number | boolean
  ? Tensor
  : T extends readonly unknown[]
    ? { [K in keyof T]: Collated<T[K]> }
    : T extends object
      ? { [K in keyof T]: Collated<T[K]> }
      : never;

/**
 * PyTorch's default_collate: items that are Tensors or NDArrays stack along a new axis 0
 * (shapes must agree, else a ShapeError naming both); numbers become a 1-d float64 tensor and
 * booleans a bool one; arrays and plain objects collate position by position, key by key.
 *
 * @example
 * ```ts
 * const [x, y] = defaultCollate([[tensor([1, 2]), 0], [tensor([3, 4]), 1]]);
 * x.shape; // [2, 2]
 * y.toArray(); // [0, 1]
 * ```
 */
export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  return collate(items, "batch") as Collated<T>;
}

function collate(items: readonly unknown[], where: string): unknown {
  if (items.length === 0) throw new ValueError("defaultCollate: no items");
  const first = items[0];
  if (first instanceof Tensor || first instanceof NDArray) {
    const ts = items.map((x, k) => {
      if (!(x instanceof Tensor || x instanceof NDArray)) throw new DataError(`defaultCollate: ${where}: item ${k} is ${typeof x}, item 0 a tensor`);
      return toT(x);
    });
    const shape = ts[0]!.shape;
    const bad = ts.findIndex((t) => !nd.shapesEqual(t.shape, shape));
    if (bad >= 0) {
      throw new ShapeError(`defaultCollate: ${where}: cannot stack item ${bad} of shape ${fmtShape(ts[bad]!.shape)} with item 0 of shape ${fmtShape(shape)} (padSequence pads sequences of different lengths)`);
    }
    return ag.stack(ts, 0);
  }
  if (typeof first === "number" || typeof first === "boolean") {
    if (items.some((x) => typeof x !== typeof first)) throw new DataError(`defaultCollate: ${where}: items mix ${typeof first} with other types`);
    const dtype: DType = typeof first === "boolean" ? "bool" : "float64";
    return new Tensor(nd.array(items.map(Number), [items.length], dtype));
  }
  if (Array.isArray(first)) {
    const n = first.length;
    items.forEach((x, k) => {
      if (!Array.isArray(x) || x.length !== n) throw new DataError(`defaultCollate: ${where}: item ${k} is not an array of ${n} like item 0`);
    });
    return first.map((_, j) => collate(items.map((x) => (x as unknown[])[j]), `${where}[${j}]`));
  }
  if (first !== null && typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = collate(items.map((x) => (x as Record<string, unknown>)[key]), `${where}.${key}`);
    return out;
  }
  throw new DataError(`defaultCollate: ${where}: cannot batch items of type ${first === null ? "null" : typeof first}; pass a collate function`);
}

/** Options of DataLoader, with PyTorch's defaults. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch (a positive integer); 1. */
  batchSize?: number;
  /** Visit the items in a new random order each pass; false. */
  shuffle?: boolean;
  /** The stream shuffle draws from; the default stream (the one manualSeed seeds) when omitted. */
  rng?: RandomState;
  /** Leave out a last batch smaller than batchSize; false. */
  dropLast?: boolean;
  /** Makes a batch of items; defaultCollate (stacking along a new axis 0) when omitted. */
  collate?: (items: T[]) => B;
}

/**
 * Batches of a dataset, in order or shuffled (PyTorch's DataLoader): iterate it with for...of;
 * each batch is what `collate` makes of batchSize items, by default the items' tensors stacked
 * along a new axis 0 (`[xBatch, yBatch]` for a TensorDataset). `length` is the number of
 * batches. With shuffle, each pass (each for...of) draws a permutation from `rng`
 * (numpy's permutation, so `new RandomState(s)` gives the order numpy's
 * `np.random.RandomState(s).permutation(n)` gives). Any `{ length, get(i) }` is a dataset, and
 * so is an array.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(tensor(nd.arange(10).reshape(5, 2)), tensor([0, 1, 0, 1, 1]));
 * const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, rng: new RandomState(0) });
 * loader.length; // 3
 * for (const [x, y] of loader) console.log(x.shape, y.shape); // [2, 2] [2], [2, 2] [2], [1, 2] [1]
 * ```
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly #rng: RandomState | undefined;
  readonly #collate: ((items: T[]) => B) | undefined;

  constructor(dataset: Dataset<T> | readonly T[], options: DataLoaderOptions<T, B> = {}) {
    const { batchSize = 1, shuffle = false, rng, dropLast = false, collate } = options;
    this.dataset = asDataset(dataset);
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (typeof shuffle !== "boolean") throw new ValueError(`DataLoader: shuffle must be true or false, got ${String(shuffle)}`);
    if (typeof dropLast !== "boolean") throw new ValueError(`DataLoader: dropLast must be true or false, got ${String(dropLast)}`);
    if (rng !== undefined && !(rng instanceof RandomState)) throw new ValueError("DataLoader: rng must be a RandomState");
    if (rng !== undefined && !shuffle) throw new ValueError("DataLoader: rng is given but shuffle is false; it would never be drawn from");
    if (collate !== undefined && typeof collate !== "function") throw new ValueError(`DataLoader: collate must be a function, got ${typeof collate}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.#rng = rng;
    this.#collate = collate;
  }

  /** The number of batches a pass yields. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<B> {
    const n = this.dataset.length;
    const order = this.shuffle ? (this.#rng ?? getDefaultRng()).permutation(n).toFlat() : null;
    const batches = this.length;
    const ds = this.dataset as Dataset<T> & { getBatch?: (indices: readonly number[]) => unknown };
    for (let b = 0; b < batches; b++) {
      const idx: number[] = [];
      for (let i = b * this.batchSize; i < Math.min(n, (b + 1) * this.batchSize); i++) idx.push(order ? order[i]! : i);
      if (this.#collate === undefined && typeof ds.getBatch === "function") yield ds.getBatch(idx) as B;
      else {
        const items = idx.map((i) => this.dataset.get(i));
        yield this.#collate ? this.#collate(items) : (defaultCollate(items) as B);
      }
    }
  }
}

function asDataset<T>(d: Dataset<T> | readonly T[]): Dataset<T> {
  if (Array.isArray(d)) {
    const arr = d as readonly T[];
    return { length: arr.length, get: (i) => arr[checkIndex("DataLoader", i, arr.length)]! };
  }
  const ds = d as Dataset<T>;
  if (ds === null || typeof ds !== "object" || typeof ds.get !== "function") {
    throw new DataError(`DataLoader: the dataset must have length and get(i) (or be an array), got ${ds === null ? "null" : typeof ds === "object" ? `an object without get` : typeof ds}`);
  }
  if (!Number.isInteger(ds.length) || ds.length < 0) throw new DataError(`DataLoader: the dataset's length must be a non-negative integer, got ${String(ds.length)}`);
  return ds;
}

/** Options of padSequence, with PyTorch's defaults. */
export interface PadSequenceOptions {
  /** (batch, T, ...) instead of (T, batch, ...); false. */
  batchFirst?: boolean;
  /** The value of the padded places; 0. */
  paddingValue?: number;
  /** Where the padding goes; "right" (after each sequence). */
  paddingSide?: "right" | "left";
}

function checkSeqs(op: string, seqs: readonly (Tensor | NDArray)[]): Tensor[] {
  if (!Array.isArray(seqs) || seqs.length === 0) throw new ValueError(`${op}: needs a non-empty array of sequences`);
  const ts = seqs.map((s, k) => {
    if (!(s instanceof Tensor || s instanceof NDArray)) throw new ValueError(`${op}: sequence ${k} is not a Tensor or NDArray`);
    if (s.shape.length === 0) throw new ShapeError(`${op}: sequence ${k} is 0-d; a sequence needs a first (time) dim`);
    return toT(s);
  });
  const tail = ts[0]!.shape.slice(1);
  ts.forEach((t, k) => {
    if (!nd.shapesEqual(t.shape.slice(1), tail)) {
      throw new ShapeError(`${op}: sequence ${k} has shape ${fmtShape(t.shape)}, sequence 0 ${fmtShape(ts[0]!.shape)}: all but the first dim must agree`);
    }
    if (t.dtype !== ts[0]!.dtype) throw new nd.DTypeError(`${op}: sequence ${k} is ${t.dtype}, sequence 0 ${ts[0]!.dtype}`);
  });
  return ts;
}

/**
 * Sequences of different lengths (each (L_i, ...)) as one tensor, padded with paddingValue to the
 * longest: (T, batch, ...), or (batch, T, ...) with batchFirst (PyTorch's pad_sequence). Any
 * dtype (int32 token ids too); differentiable when a sequence requires grad. Pass
 * `sequenceLengths(seqs)` to an LSTM, GRU or RNN as `{ lengths }` so that padded steps change
 * nothing.
 *
 * @example
 * ```ts
 * const seqs = [tensor([[1], [2], [3]]), tensor([[4]])];
 * padSequence(seqs, { batchFirst: true }).toArray(); // [[[1], [2], [3]], [[4], [0], [0]]]
 * const lstm = new LSTM(1, 4, { batchFirst: true });
 * lstm.forward(padSequence(seqs, { batchFirst: true }), undefined, { lengths: sequenceLengths(seqs) });
 * ```
 */
export function padSequence(seqs: readonly (Tensor | NDArray)[], options: PadSequenceOptions = {}): Tensor {
  const { batchFirst = false, paddingValue = 0, paddingSide = "right" } = options;
  if (paddingSide !== "right" && paddingSide !== "left") throw new ValueError(`padSequence: paddingSide must be "right" or "left", got ${JSON.stringify(paddingSide)}`);
  if (typeof paddingValue !== "number") throw new ValueError(`padSequence: paddingValue must be a number, got ${typeof paddingValue}`);
  const ts = checkSeqs("padSequence", seqs);
  const T = Math.max(...ts.map((t) => t.shape[0]!));
  const tail = ts[0]!.shape.slice(1);
  const where = (L: number): [number, number] => (paddingSide === "right" ? [0, L] : [T - L, T]);
  const axis = batchFirst ? 0 : 1;
  if (ts.some((t) => t.requiresGrad)) {
    const padded = ts.map((t) => {
      const L = t.shape[0]!;
      const [a] = where(L);
      const p = ag.pad(t, [[a, T - L - a], ...tail.map(() => [0, 0] as [number, number])]);
      if (paddingValue === 0 || L === T) return p;
      const real = nd.zeros([T, ...tail], "bool");
      nd.slice(real, [where(L)]).fill(1);
      return ag.where(new Tensor(real), p, paddingValue);
    });
    return ag.stack(padded, axis);
  }
  const arr = nd.full(batchFirst ? [ts.length, T, ...tail] : [T, ts.length, ...tail], paddingValue, ts[0]!.dtype);
  ts.forEach((t, b) => {
    if (t.shape[0] === 0) return;
    nd.slice(arr, batchFirst ? [b, where(t.shape[0]!)] : [where(t.shape[0]!), b]).assign(t.data);
  });
  return new Tensor(arr);
}

/**
 * Each sequence's length (its first dim), in the form LSTM, GRU and RNN take as
 * `forward(x, state, { lengths })` for a batch that padSequence made.
 *
 * @example
 * ```ts
 * sequenceLengths([tensor([1, 2, 3]), tensor([4])]); // [3, 1]
 * ```
 */
export function sequenceLengths(seqs: readonly (Tensor | NDArray)[]): number[] {
  return checkSeqs("sequenceLengths", seqs).map((t) => t.shape[0]!);
}

/** Options of Vocab. */
export interface VocabOptions {
  /** The token that unknown input maps to; without it, an unknown token is a DataError. */
  unknown?: string;
  /** What decode() puts between tokens: "" for characters (fromText), " " for tokens (fromTokens). */
  separator?: string;
}

/**
 * A vocabulary: tokens (characters, words ...) numbered 0, 1, ..., with encode (text to ids) and
 * decode (ids to text). `Vocab.fromText(text)` takes the sorted distinct characters, as
 * char-rnn programs do (`[...new Set(text)].sort()`); `Vocab.fromTokens(words)` the sorted
 * distinct tokens. An unknown token is a DataError naming it and where it is, unless an
 * `unknown` token is given: fromText and fromTokens put it first (id 0), as torchtext puts its
 * specials. `tokens` is what to save to rebuild it (`new Vocab(tokens)`).
 *
 * @example
 * ```ts
 * const v = Vocab.fromText("hello");
 * v.tokens; // ["e", "h", "l", "o"]
 * v.encode("hole"); // Int32Array [1, 3, 2, 0]
 * v.decode([1, 0, 2, 2, 3]); // "hello"
 * Vocab.fromText("abc", { unknown: "?" }).encode("abz"); // Int32Array [1, 2, 0]
 * ```
 */
export class Vocab {
  readonly tokens: readonly string[];
  readonly unknown: string | undefined;
  readonly separator: string;
  readonly #index: Map<string, number>;

  constructor(tokens: readonly string[], options: VocabOptions = {}) {
    if (!Array.isArray(tokens)) throw new ValueError("Vocab: tokens must be an array of strings");
    const index = new Map<string, number>();
    tokens.forEach((t, i) => {
      if (typeof t !== "string") throw new ValueError(`Vocab: token ${i} is not a string (got ${typeof t})`);
      if (index.has(t)) throw new DataError(`Vocab: token ${JSON.stringify(t)} appears twice (at ${index.get(t)} and ${i})`);
      index.set(t, i);
    });
    if (options.unknown !== undefined && !index.has(options.unknown)) {
      throw new DataError(`Vocab: the unknown token ${JSON.stringify(options.unknown)} is not among the tokens`);
    }
    this.tokens = Object.freeze([...tokens]);
    this.unknown = options.unknown;
    this.separator = options.separator ?? "";
    this.#index = index;
  }

  /** The sorted distinct characters (code points) of text, plus `unknown` first if given. */
  static fromText(text: string, options: VocabOptions = {}): Vocab {
    if (typeof text !== "string") throw new ValueError(`Vocab.fromText: text must be a string, got ${typeof text}`);
    return Vocab.build([...text], { separator: "", ...options });
  }

  /** The sorted distinct tokens, plus `unknown` first if given; decode joins with " ". */
  static fromTokens(tokens: Iterable<string>, options: VocabOptions = {}): Vocab {
    return Vocab.build([...tokens], { separator: " ", ...options });
  }

  private static build(all: string[], options: VocabOptions): Vocab {
    const distinct = [...new Set(all)].sort();
    const u = options.unknown;
    const tokens = u === undefined ? distinct : [u, ...distinct.filter((t) => t !== u)];
    return new Vocab(tokens, options);
  }

  /** The number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of one token, or the unknown token's id, or a DataError. */
  id(token: string): number {
    const i = this.#index.get(token);
    if (i !== undefined) return i;
    if (this.unknown !== undefined) return this.#index.get(this.unknown)!;
    throw new DataError(`Vocab: unknown token ${JSON.stringify(token)} (the vocabulary has ${this.size} tokens and no unknown token)`);
  }

  has(token: string): boolean {
    return this.#index.has(token);
  }

  /** Ids of a string's characters (code points), or of an array of tokens. */
  encode(input: string | Iterable<string>): Int32Array {
    const parts = typeof input === "string" ? [...input] : [...input];
    const out = new Int32Array(parts.length);
    for (let k = 0; k < parts.length; k++) {
      const i = this.#index.get(parts[k]!);
      if (i !== undefined) out[k] = i;
      else if (this.unknown !== undefined) out[k] = this.#index.get(this.unknown)!;
      else throw new DataError(`Vocab.encode: unknown token ${JSON.stringify(parts[k])} at position ${k} (the vocabulary has ${this.size} tokens and no unknown token)`);
    }
    return out;
  }

  /** The tokens of ids (numbers, an int NDArray or a Tensor of them), joined with the separator. */
  decode(ids: ArrayLike<number> | NDArray | Tensor, separator = this.separator): string {
    return this.decodeTokens(ids).join(separator);
  }

  /** The tokens of ids, as an array. */
  decodeTokens(ids: ArrayLike<number> | NDArray | Tensor): string[] {
    const flat: ArrayLike<number> = ids instanceof Tensor ? ids.data.toFlat() : ids instanceof NDArray ? ids.toFlat() : ids;
    return Array.from(flat, (id, k) => {
      const t = Number.isInteger(id) ? this.tokens[id] : undefined;
      if (t === undefined) throw new IndexError(`Vocab.decode: id ${id} at position ${k} is not in [0, ${this.size})`);
      return t;
    });
  }
}
