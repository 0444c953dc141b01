// RandomState: a seeded generator that draws the same numbers, in the same C order, as numpy's
// legacy `np.random.RandomState` (and so `np.random.seed(s)` + `np.random.randn(...)`).
//
// Algorithm facts it reproduces:
// - MT19937, the Mersenne Twister of M. Matsumoto and T. Nishimura (ACM TOMACS 8(1), 1998):
//   624 32-bit words, regenerated as one block when all are used, then tempered.
// - Seeding as numpy's legacy path does it: an integer seed goes through the reference
//   `init_genrand` recurrence (x[i] = 1812433253 * (x[i-1] ^ (x[i-1] >>> 30)) + i); a list of
//   integers goes through the reference `init_by_array` (which sets word 0 to 0x80000000).
// - Doubles take 53 bits from two words: ((a >>> 5) * 2**26 + (b >>> 6)) / 2**53.
// - Gaussians use numpy's `legacy_gauss`: the Marsaglia polar method, which makes two values
//   per accepted pair, returns one and caches the other for the next call (the cache is part
//   of the state: reseeding clears it, getState/setState carry it).
// - Bounded integers (randint, choice without p, shuffle, permutation) use masked rejection:
//   draw a word, AND it with the smallest all-ones mask covering the range, retry if too big.
//   numpy's randint uses this rather than Lemire's method for backward compatibility.
// - choice with p: cumulative sum, divided by its last entry, searched ("right") with uniforms.
// - The one deliberate difference: the polar method's log is correctly rounded here, where
//   numpy calls the C library's (see "a correctly rounded natural log" below), so about one
//   Gaussian pair in 1500 can differ from numpy on glibc in the last bit.

import { type FloatDType, type Storage } from "./dtype.js";
import { allocate } from "./storage.js";
import { ShapeError, ValueError, fmtShape } from "./errors.js";
import { NDArray } from "./ndarray.js";
import { logCorrectlyRounded } from "./log.js";
import { restoreState, saveState } from "./replay-state.js";
import { kernel } from "./kernel.js";

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** A snapshot of the generator: plain JSON, so a training run can checkpoint and resume. */
export interface RandomStateSnapshot {
  /** The 624 MT19937 words, each an integer in [0, 2**32). */
  key: number[];
  /** How many of the words have been used since the last block was generated (0..624). */
  pos: number;
  /** Whether a Gaussian is cached from the last polar-method pair. */
  hasGauss: boolean;
  /** The cached Gaussian (0 when none). */
  gauss: number;
}

/** numpy's `get_state()` tuple, as JSON would carry it: ["MT19937", key, pos, has_gauss, gauss]. */
export type NumpyStateTuple = readonly [string, ArrayLike<number>, number, (number | boolean)?, number?];

export interface FloatOptions {
  dtype?: FloatDType;
}

export interface ChoiceOptions {
  /** The output shape (a number for 1-d); omitted gives a 0-d array. */
  size?: number | readonly number[];
  /** Sample with replacement (default true). */
  replace?: boolean;
  /** Probabilities of each of the n outcomes; must sum to 1. */
  p?: ArrayLike<number> | NDArray;
}

export type Seed = number | ArrayLike<number>;
type ShapeArg = number | readonly number[];

function describe(x: unknown): string {
  if (typeof x === "string") return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(describe).join(",")}]`;
  return String(x);
}

function isUint32(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= UINT32_MAX;
}

/** Shape from `f(2, 3)`, `f([2, 3])` or `f()`; dims must be non-negative integers. */
function shapeFromArgs(op: string, args: readonly unknown[]): number[] {
  let dims: readonly unknown[];
  if (args.length === 1 && Array.isArray(args[0])) dims = args[0] as readonly unknown[];
  else if (args.length === 1 && typeof args[0] === "number") dims = [args[0]];
  else dims = args;
  for (const d of dims) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ValueError(`${op}: dims must be non-negative integers, got ${describe(dims)}`);
    }
  }
  return dims.slice() as number[];
}

/** A `size` argument: undefined is a 0-d result, a number is 1-d, an array is the shape. */
function sizeArg(op: string, size: unknown): number[] {
  if (size === undefined || size === null) return [];
  if (typeof size === "number" || Array.isArray(size)) return shapeFromArgs(op, [size]);
  throw new ValueError(`${op}: size must be a number or an array of dims, got ${describe(size)}`);
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function floatDType(op: string, options: FloatOptions | undefined): FloatDType {
  const dtype = options?.dtype ?? "float64";
  if (dtype !== "float64" && dtype !== "float32") {
    throw new ValueError(`${op}: dtype must be "float64" or "float32", got ${describe(dtype)}`);
  }
  return dtype;
}

function checkFinite(op: string, name: string, x: unknown): number {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new ValueError(`${op}: ${name} must be a finite number, got ${describe(x)}`);
  }
  return x;
}

/** Smallest 2**k - 1 that is >= x (x < 2**32); numpy's rejection mask. */
function maskFor(x: number): number {
  let m = x >>> 0;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}

/** Elements in C order, read through any strides, into fresh storage of the same dtype. */
function gather(x: NDArray): Storage {
  const out = allocate(x.dtype, x.size);
  const nd = x.shape.length;
  if (x.size === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  let p = x.offset;
  for (let k = 0; k < x.size; k++) {
    out[k] = x.data[p]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      p += x.strides[d]!;
      if (idx[d]! < x.shape[d]!) break;
      p -= idx[d]! * x.strides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Storage offsets (from a row's start) of each element of one axis-0 row, in C order. */
function rowOffsets(x: NDArray): Float64Array {
  const inner = x.shape.slice(1);
  const strides = x.strides.slice(1);
  const n = product(inner);
  const out = new Float64Array(n);
  const idx = new Array<number>(inner.length).fill(0);
  let p = 0;
  for (let k = 0; k < n; k++) {
    out[k] = p;
    for (let d = inner.length - 1; d >= 0; d--) {
      idx[d]!++;
      p += strides[d]!;
      if (idx[d]! < inner[d]!) break;
      p -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * A seeded random generator that draws the same numbers, in the same C order, as numpy's
 * legacy `np.random.RandomState` (MT19937): `new RandomState(0).randn(3)` is
 * `np.random.RandomState(0).randn(3)`. Draws are new arrays, float64 unless `{ dtype:
 * "float32" }` is asked for (int32 for randint, choice and permutation of n). `getState` and
 * `setState` checkpoint a stream, as JSON or as numpy's `get_state()` tuple.
 *
 * @example
 * ```ts
 * new RandomState(0).randn(3).toString(); // "[1.76405235 0.40015721 0.97873798]"
 * new RandomState(0).rand(2).toString(); // "[0.5488135  0.71518937]"
 * new RandomState(0).randint(10, undefined, 5).toArray(); // [5, 0, 3, 3, 7]
 * new RandomState(0).normal(10, 2, [2]).toString(); // "[13.52810469 10.80031442]"
 * new RandomState(42).permutation(5).toArray(); // [1, 4, 2, 0, 3]
 * ```
 */
export class RandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  /**
   * `seed`: an integer in [0, 2**32 - 1] (numpy's int seeding), or a non-empty list of such
   * integers (numpy's `init_by_array` seeding, as for a Python list). Omitted: fresh entropy.
   */
  constructor(seed?: Seed) {
    this.seed(seed);
  }

  /** Reseeds in place, as `np.random.seed(seed)`; clears the cached Gaussian. */
  seed(seed?: Seed): void {
    if (seed === undefined || seed === null) this.seedFromEntropy();
    else if (typeof seed === "number") {
      if (!isUint32(seed)) {
        throw new ValueError(`RandomState: seed must be an integer between 0 and 2**32 - 1, got ${describe(seed)}`);
      }
      this.initGenrand(seed);
    } else if (typeof seed === "object" && typeof (seed as ArrayLike<number>).length === "number") {
      const words = Array.from(seed as ArrayLike<number>);
      if (words.length === 0) throw new ValueError("RandomState: a seed array must be non-empty, got []");
      for (const w of words) {
        if (!isUint32(w)) {
          throw new ValueError(
            `RandomState: seed words must be integers between 0 and 2**32 - 1, got ${describe(w)} in ${describe(words)}`,
          );
        }
      }
      this.initByArray(words);
    } else {
      throw new ValueError(`RandomState: seed must be an integer or an array of integers, got ${describe(seed)}`);
    }
    this.hasGauss = false;
    this.gauss = 0;
  }

  private initGenrand(s: number): void {
    const key = this.key;
    key[0] = s;
    for (let i = 1; i < N; i++) {
      const prev = key[i - 1]!;
      // Math.imul keeps the product mod 2**32, as the reference's unsigned long arithmetic does.
      key[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
  }

  private initByArray(words: readonly number[]): void {
    this.initGenrand(19650218);
    const key = this.key;
    const len = words.length;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, len); k > 0; k--) {
      const prev = key[i - 1]!;
      key[i] = ((key[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525)) + words[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        key[0] = key[N - 1]!;
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = key[i - 1]!;
      key[i] = ((key[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        key[0] = key[N - 1]!;
        i = 1;
      }
    }
    // Guarantees a non-zero state whatever the seed words were.
    key[0] = UPPER;
    this.pos = N;
  }

  private seedFromEntropy(): void {
    const words = new Uint32Array(N);
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
    if (c && typeof c.getRandomValues === "function") c.getRandomValues(words);
    else for (let i = 0; i < N; i++) words[i] = Math.floor(Math.random() * 0x100000000) >>> 0;
    this.initByArray(Array.from(words));
  }

  /** Regenerates all 624 words at once, as the reference does. */
  private twist(): void {
    const key = this.key;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (key[i]! & UPPER) | (key[i + 1]! & LOWER);
      key[i] = key[i + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; i < N - 1; i++) {
      y = (key[i]! & UPPER) | (key[i + 1]! & LOWER);
      key[i] = key[i + M - N]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    y = (key[N - 1]! & UPPER) | (key[0]! & LOWER);
    key[N - 1] = key[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    this.pos = 0;
  }

  /** The next tempered 32-bit word, in [0, 2**32). */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.key[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) with 53 random bits; the high word is drawn first. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** One standard normal value (numpy's legacy_gauss). */
  private nextGauss(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.gauss;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * logCorrectlyRounded(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** An integer in [0, max] by masked rejection (numpy's random_interval / masked bounded draw). */
  private boundedUint32(max: number, mask: number): number {
    if (max === 0) return 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  // ---- distributions over arrays ----

  /**
   * Standard normal values of the given shape, `randn(2, 3)` or `randn([2, 3], { dtype })`.
   * With no dims numpy returns a Python float; this returns a 0-d array (read it with `.item()`).
   */
  randn(...shape: number[]): NDArray;
  randn(shape: readonly number[], options?: FloatOptions): NDArray;
  randn(...args: (ShapeArg | FloatOptions | undefined)[]): NDArray {
    const [shape, options] = splitArgs("randn", args);
    return this.normalInto("randn", 0, 1, shape, floatDType("randn", options));
  }

  /** Uniform values in [0, 1): `rand(2, 3)` or `rand([2, 3], { dtype })`; no dims gives 0-d. */
  rand(...shape: number[]): NDArray;
  rand(shape: readonly number[], options?: FloatOptions): NDArray;
  rand(...args: (ShapeArg | FloatOptions | undefined)[]): NDArray {
    const [shape, options] = splitArgs("rand", args);
    return this.uniformInto("rand", 0, 1, shape, floatDType("rand", options));
  }

  /** numpy's `standard_normal(size)`; a number size is 1-d, omitted is 0-d. */
  standardNormal(size?: ShapeArg, options?: FloatOptions): NDArray {
    return this.normalInto("standardNormal", 0, 1, sizeArg("standardNormal", size), floatDType("standardNormal", options));
  }

  /** `loc + scale * z` for standard normal z (numpy's legacy_normal). */
  normal(loc = 0, scale = 1, size?: ShapeArg, options?: FloatOptions): NDArray {
    checkFinite("normal", "loc", loc);
    checkFinite("normal", "scale", scale);
    if (scale < 0) throw new ValueError(`normal: scale must be non-negative, got ${scale}`);
    return this.normalInto("normal", loc, scale, sizeArg("normal", size), floatDType("normal", options));
  }

  /** `low + (high - low) * u` for u uniform in [0, 1), as numpy computes it. */
  uniform(low = 0, high = 1, size?: ShapeArg, options?: FloatOptions): NDArray {
    checkFinite("uniform", "low", low);
    checkFinite("uniform", "high", high);
    if (!Number.isFinite(high - low)) {
      throw new ValueError(`uniform: the range high - low overflows: low=${low}, high=${high}`);
    }
    return this.uniformInto("uniform", low, high - low, sizeArg("uniform", size), floatDType("uniform", options));
  }

  private normalInto(op: string, loc: number, scale: number, shape: number[], dtype: FloatDType): NDArray {
    const out = allocateChecked(op, dtype, shape) as Float64Array | Float32Array;
    if (loc === 0 && scale === 1) for (let i = 0; i < out.length; i++) out[i] = this.nextGauss();
    else for (let i = 0; i < out.length; i++) out[i] = loc + scale * this.nextGauss();
    return new NDArray(out, shape);
  }

  private uniformInto(op: string, low: number, range: number, shape: number[], dtype: FloatDType): NDArray {
    const out = allocateChecked(op, dtype, shape) as Float64Array | Float32Array;
    if (low === 0 && range === 1) for (let i = 0; i < out.length; i++) out[i] = this.randomSample();
    else for (let i = 0; i < out.length; i++) out[i] = low + range * this.randomSample();
    return new NDArray(out, shape);
  }

  /**
   * Integers in [low, high) as an int32 array; `randint(n)` is [0, n). Both bounds must lie in
   * int32's range. A one-value range draws nothing, as in numpy.
   */
  randint(low: number, high?: number, size?: ShapeArg): NDArray {
    if (high === undefined || high === null) {
      high = low;
      low = 0;
    }
    for (const [name, v] of [["low", low], ["high", high]] as const) {
      if (typeof v !== "number" || !Number.isInteger(v)) {
        throw new ValueError(`randint: ${name} must be an integer, got ${describe(v)}`);
      }
    }
    if (low < INT32_MIN) throw new ValueError(`randint: low ${low} is below the int32 minimum ${INT32_MIN}`);
    if (high > INT32_MAX + 1) throw new ValueError(`randint: high ${high} is above the int32 bound ${INT32_MAX + 1}`);
    if (low >= high) throw new ValueError(`randint: low >= high (low=${low}, high=${high})`);
    const shape = sizeArg("randint", size);
    const out = allocateChecked("randint", "int32", shape) as Int32Array;
    this.fillBounded(out, low, high - 1 - low);
    return new NDArray(out, shape);
  }

  private fillBounded(out: Int32Array, off: number, rng: number): void {
    if (rng === 0) {
      out.fill(off);
      return;
    }
    const mask = maskFor(rng);
    for (let i = 0; i < out.length; i++) out[i] = off + this.boundedUint32(rng, mask);
  }

  /**
   * Indices in [0, n), as numpy's `choice(n, size, replace, p)`: with replacement and no p they
   * are randint draws; with p, uniforms searched in p's normalized cumulative sum; without
   * replacement and no p, the head of a permutation; without replacement with p, numpy's
   * draw-and-discard-repeats loop. Returns an int32 array (0-d when size is omitted).
   */
  choice(n: number, options: ChoiceOptions = {}): NDArray {
    const { replace = true } = options;
    const isScalar = options.size === undefined || options.size === null;
    const shape = sizeArg("choice", options.size);
    const size = product(shape);
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new ValueError(`choice: n must be a non-negative integer, got ${describe(n)}`);
    }
    if (n === 0 && (isScalar || size !== 0)) {
      throw new ValueError(`choice: n must be greater than 0 unless no samples are taken, got n=0 and size ${fmtShape(shape)}`);
    }
    const p = options.p === undefined || options.p === null ? null : checkProbabilities(options.p, n);

    const out = allocateChecked("choice", "int32", shape) as Int32Array;
    if (replace) {
      if (p) {
        const cdf = cumulative(p);
        for (let i = 0; i < size; i++) out[i] = searchRight(cdf, this.randomSample());
      } else {
        this.fillBounded(out, 0, n - 1);
      }
    } else {
      if (size > n) {
        throw new ValueError(`choice: cannot take a larger sample than the population when replace is false (size ${size} > n ${n})`);
      }
      if (p) {
        let positive = 0;
        for (let i = 0; i < n; i++) if (p[i]! > 0) positive++;
        if (positive < size) {
          throw new ValueError(`choice: fewer non-zero entries in p (${positive}) than size (${size})`);
        }
        const q = Float64Array.from(p);
        let found = 0;
        while (found < size) {
          // numpy draws the whole remainder of uniforms first, then keeps first occurrences.
          const draws = new Float64Array(size - found);
          for (let i = 0; i < draws.length; i++) draws[i] = this.randomSample();
          for (let i = 0; i < found; i++) q[out[i]!] = 0;
          const cdf = cumulative(q);
          const fresh: number[] = [];
          const round = new Uint8Array(n);
          for (const u of draws) {
            const k = searchRight(cdf, u);
            if (!round[k]) {
              round[k] = 1;
              fresh.push(k);
            }
          }
          for (const k of fresh) out[found++] = k;
        }
      } else {
        const perm = new Int32Array(n);
        for (let i = 0; i < n; i++) perm[i] = i;
        this.shuffleIndices(perm);
        out.set(perm.subarray(0, size));
      }
    }
    return new NDArray(out, shape);
  }

  /**
   * A shuffled copy: `permutation(n)` shuffles 0..n-1 (int32), `permutation(x)` shuffles a copy
   * of x along axis 0. numpy returns an empty array for a negative n; this throws.
   */
  permutation(x: number | NDArray): NDArray {
    if (typeof x === "number") {
      if (!Number.isInteger(x) || x < 0) throw new ValueError(`permutation: n must be a non-negative integer, got ${describe(x)}`);
      const out = allocateChecked("permutation", "int32", [x]) as Int32Array;
      for (let i = 0; i < x; i++) out[i] = i;
      this.shuffleIndices(out);
      return new NDArray(out, [x]);
    }
    if (!(x instanceof NDArray)) throw new ValueError(`permutation: expected an integer or an NDArray, got ${describe(x)}`);
    if (x.ndim < 1) throw new ShapeError(`permutation: expected an integer or an array of at least 1 dim, got shape ${fmtShape(x.shape)}`);
    const copy = new NDArray(gather(x), x.shape);
    this.shuffle(copy);
    return copy;
  }

  /**
   * Shuffles in place along axis 0 (rows of an NDArray, elements of a JS or typed array) with
   * numpy's legacy Fisher-Yates: for i from n-1 down to 1, swap i with a masked draw in [0, i].
   */
  shuffle(x: NDArray | unknown[] | Storage): void {
    if (x instanceof NDArray) {
      if (x.ndim < 1) throw new ShapeError(`shuffle: cannot shuffle a 0-d array (shape ${fmtShape(x.shape)})`);
      x.checkWritable("shuffle");
      const n = x.shape[0]!;
      if (n < 2 || x.size === 0) return;
      const data = x.data;
      const s0 = x.strides[0]!;
      const offs = rowOffsets(x);
      for (let i = n - 1; i > 0; i--) {
        const j = this.boundedUint32(i, maskFor(i));
        if (j === i) continue;
        const pi = x.offset + i * s0;
        const pj = x.offset + j * s0;
        for (let k = 0; k < offs.length; k++) {
          const a = pi + offs[k]!;
          const b = pj + offs[k]!;
          const t = data[a]!;
          data[a] = data[b]!;
          data[b] = t;
        }
      }
      x.bumpVersion();
      return;
    }
    if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
      this.shuffleIndices(x as unknown[]);
      return;
    }
    throw new ValueError(`shuffle: expected an NDArray, an array or a typed array, got ${describe(x)}`);
  }

  private shuffleIndices<T>(a: { length: number; [i: number]: T }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.boundedUint32(i, maskFor(i));
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  // ---- state ----

  /** compile's check: the stream's position, saved before its eager call and put back after (replay-state.ts). */
  [saveState](): unknown {
    return { key: this.key.slice(), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gauss };
  }

  [restoreState](s: unknown): void {
    const v = s as { key: Uint32Array; pos: number; hasGauss: boolean; gauss: number };
    this.key.set(v.key);
    this.pos = v.pos;
    this.hasGauss = v.hasGauss;
    this.gauss = v.gauss;
  }

  /** A JSON-serializable snapshot; `setState` of it resumes the identical stream. */
  getState(): RandomStateSnapshot {
    return { key: Array.from(this.key), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gauss };
  }

  /**
   * Restores a snapshot from `getState`, or numpy's `get_state()` tuple
   * (["MT19937", key, pos, has_gauss, cached_gaussian], e.g. after `.tolist()` and JSON).
   */
  setState(state: RandomStateSnapshot | NumpyStateTuple): void {
    let key: unknown;
    let pos: unknown;
    let hasGauss: unknown;
    let gauss: unknown;
    if (Array.isArray(state)) {
      if (state[0] !== "MT19937") {
        throw new ValueError(`setState: only MT19937 states are accepted, got ${describe(state[0])}`);
      }
      [, key, pos, hasGauss = 0, gauss = 0] = state as unknown[];
      hasGauss = hasGauss === 1 ? true : hasGauss === 0 ? false : hasGauss;
    } else if (typeof state === "object" && state !== null) {
      ({ key, pos, hasGauss, gauss } = state as RandomStateSnapshot);
    } else {
      throw new ValueError(`setState: expected a state object, got ${describe(state)}`);
    }
    const k = key as ArrayLike<unknown> | null | undefined;
    if (!k || typeof k !== "object" || k.length !== N) {
      throw new ValueError(`setState: key must hold ${N} words, got ${k && typeof k === "object" ? `${k.length} words` : describe(k)}`);
    }
    for (let i = 0; i < N; i++) {
      if (!isUint32(k[i])) throw new ValueError(`setState: key[${i}] must be an integer in [0, 2**32), got ${describe(k[i])}`);
    }
    if (typeof pos !== "number" || !Number.isInteger(pos) || pos < 0 || pos > N) {
      throw new ValueError(`setState: pos must be an integer in [0, ${N}], got ${describe(pos)}`);
    }
    if (typeof hasGauss !== "boolean") throw new ValueError(`setState: hasGauss must be a boolean, got ${describe(hasGauss)}`);
    if (typeof gauss !== "number" || Number.isNaN(gauss)) throw new ValueError(`setState: gauss must be a number, got ${describe(gauss)}`);
    for (let i = 0; i < N; i++) this.key[i] = k[i] as number;
    this.pos = pos;
    this.hasGauss = hasGauss;
    this.gauss = hasGauss ? gauss : 0;
  }
}

function allocateChecked(op: string, dtype: "float64" | "float32" | "int32", shape: readonly number[]): Storage {
  const n = product(shape);
  if (n > 2 ** 32) throw new ValueError(`${op}: shape ${fmtShape(shape)} has too many elements (${n})`);
  return allocate(dtype, n);
}

/** Splits `(...dims)` or `(shape, options)` into a validated shape and options. */
function splitArgs(op: string, args: readonly unknown[]): [number[], FloatOptions | undefined] {
  const last = args[args.length - 1];
  if (args.length > 0 && (last === undefined || (typeof last === "object" && last !== null && !Array.isArray(last)))) {
    return [shapeFromArgs(op, args.slice(0, -1)), last as FloatOptions | undefined];
  }
  return [shapeFromArgs(op, args), undefined];
}

/** p as float64, checked as numpy checks it (length, NaN, sign, sum within sqrt(eps) of 1). */
function checkProbabilities(p: ArrayLike<number> | NDArray, n: number): Float64Array {
  let values: Float64Array;
  let tol = Math.sqrt(2 ** -52);
  if (p instanceof NDArray) {
    if (p.ndim !== 1) throw new ShapeError(`choice: p must be 1-dimensional, got shape ${fmtShape(p.shape)}`);
    values = Float64Array.from(gather(p));
    if (p.dtype === "float32") tol = Math.sqrt(2 ** -23);
  } else if (typeof p === "object" && p !== null && typeof p.length === "number") {
    values = Float64Array.from(p);
    if (p instanceof Float32Array) tol = Math.sqrt(2 ** -23);
  } else {
    throw new ValueError(`choice: p must be an array of probabilities, got ${describe(p)}`);
  }
  if (values.length !== n) throw new ValueError(`choice: p has ${values.length} entries but n is ${n}`);
  // Kahan summation, as numpy's check uses, so borderline sums are judged alike.
  let sum = values[0] ?? 0;
  let c = 0;
  for (let i = 1; i < values.length; i++) {
    const y = values[i]! - c;
    const t = sum + y;
    c = t - sum - y;
    sum = t;
  }
  if (Number.isNaN(sum)) throw new ValueError(`choice: probabilities contain NaN: ${describe(Array.from(values))}`);
  for (const v of values) if (v < 0) throw new ValueError(`choice: probabilities must be non-negative, got ${v}`);
  if (Math.abs(sum - 1) > tol) throw new ValueError(`choice: probabilities must sum to 1, got sum ${sum}`);
  return values;
}

/** numpy's `cdf = cumsum(p); cdf /= cdf[-1]`: a left-to-right running sum, then one division. */
function cumulative(p: Float64Array): Float64Array {
  const cdf = new Float64Array(p.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    s += p[i]!;
    cdf[i] = s;
  }
  const last = cdf[p.length - 1]!;
  for (let i = 0; i < cdf.length; i++) cdf[i] = cdf[i]! / last;
  return cdf;
}

/** The first index whose cdf entry exceeds u (numpy's searchsorted side="right"). */
function searchRight(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! <= u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// A draw advances the stream, so each method that draws or sets the state is a kernel: a replay
// draws again.
{
  const proto = RandomState.prototype as unknown as Record<string, (...args: never[]) => unknown>;
  for (const m of ["seed", "setState", "randn", "rand", "standardNormal", "normal", "uniform", "randint", "choice", "permutation", "shuffle"]) {
    proto[m] = kernel(`RandomState.${m}`, proto[m]!);
  }
}
