// A compiled program's own float arrays, laid out in one WebAssembly memory (issue 25), so that
// its fused loops run as wasm over them where they lie instead of copying them into a staging
// memory and back. buffers.ts asks for an arena when it plans a program's storages; the arena
// is made once, at its full size, and never grows: growing would detach its ArrayBuffer and
// with it every array in it. Its layout: a copy of EXP2_128 (the transcendental twins' table)
// at byte 0, a scratch area for the values a loop hoists, then the arrays, 16-byte aligned.
// An arena lives as long as any array in it (the memory is the arrays' ArrayBuffer).

import { EXP2_128 } from "../kernels/transcendental-tables.js";

/** Where the copy of EXP2_128 lies in a loop's memory (bytes), in the staging memory and in every arena. */
export const EXP2_AT = 0;
/** Bytes below the staging area (or an arena's scratch): the table. */
export const TABLE_BYTES = 1024;
/** An arena's scratch for hoisted values: 16 bytes each. */
export const SCRATCH_AT = TABLE_BYTES;
export const SCRATCH_BYTES = 4096;
const ARRAYS_AT = SCRATCH_AT + SCRATCH_BYTES;

interface MemoryLike {
  readonly buffer: ArrayBuffer;
}

export interface Arena {
  readonly memory: MemoryLike;
  readonly buffer: ArrayBuffer;
  /** the next free byte */
  at: number;
}

const byBuffer = new WeakMap<ArrayBufferLike, Arena>();

/** Programs whose float arrays come to fewer bytes than this keep plain typed arrays (a small loop's staging costs little). */
let minBytes = 1 << 20;

/** @internal tests and benchmarks: the fewest bytes of arrays a program needs for an arena (default 1 MiB; Infinity: never); returns the previous value. */
export function setArenaMinBytes(n: number): number {
  const prev = minBytes;
  minBytes = n;
  return prev;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/** The bytes an array of `length` elements of `bytesPerElement` takes in an arena. */
export function arenaBytes(length: number, bytesPerElement: number): number {
  return align(length * bytesPerElement);
}

/** A new arena with room for `bytes` of arrays (sums of arenaBytes), or null: too small to be worth one, or no WebAssembly here. */
export function makeArena(bytes: number): Arena | null {
  if (bytes < minBytes || bytes <= 0) return null;
  const api = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => MemoryLike } }).WebAssembly;
  if (!api) return null;
  const pages = Math.ceil((ARRAYS_AT + bytes) / 65536);
  if (pages > 32768) return null; // 2 GiB: beyond it, offsets no longer fit the loops' i32 constants
  let memory: MemoryLike;
  try {
    memory = new api.Memory({ initial: pages, maximum: pages });
  } catch {
    return null; // no room for it: the program keeps plain arrays
  }
  new Float64Array(memory.buffer, EXP2_AT, 128).set(EXP2_128);
  const arena: Arena = { memory, buffer: memory.buffer, at: ARRAYS_AT };
  byBuffer.set(memory.buffer, arena);
  return arena;
}

/** A Float32Array or Float64Array of `length` elements carved from the arena (zeros). */
export function carve(arena: Arena, ctor: Float32ArrayConstructor | Float64ArrayConstructor, length: number): Float32Array | Float64Array {
  const bytes = arenaBytes(length, ctor.BYTES_PER_ELEMENT);
  if (arena.at + bytes > arena.buffer.byteLength) throw new Error(`arena: ${bytes} bytes asked for, ${arena.buffer.byteLength - arena.at} left (its size was planned)`);
  const a = new ctor(arena.buffer, arena.at, length);
  arena.at += bytes;
  return a;
}

/** The arena an array's buffer is, if it is one. */
export function arenaOf(buffer: ArrayBufferLike): Arena | undefined {
  return byBuffer.get(buffer);
}
