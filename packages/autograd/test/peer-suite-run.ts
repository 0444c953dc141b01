// The op cases of two peers' test suites (tinygrad's test_ops, micrograd's test_engine), held
// against PyTorch 1.13: data/peer-suite.json (make-peer-suite.py) has, for each case, a torch
// expression, its inputs, and torch's outputs and gradients of sum(w * out) in float64 and
// float32. A test file maps each expression to a tapegrad call (public API only) and runs them
// here; a case tapegrad cannot do is listed as a gap with its reason, and must still fail.

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as nd from "@tapegrad/tensor";
import { Tensor, gradients, isTensor } from "../src/index.js";

interface Enc {
  dtype: "float" | "int" | "bool";
  shape: number[];
  data: (number | string)[];
}
interface Side {
  outputs: Enc[];
  grads?: Enc[];
  grads_error?: string;
}
export interface PeerCase {
  name: string;
  expr: string;
  args: string[];
  pkg: "autograd" | "nn";
  inputs: Enc[];
  w?: number[][];
  f64: Side;
  f32: Side;
  peer_shapes?: number[][];
  note?: string;
}
export interface PeerSuite {
  torch: string;
  skipped: Record<string, string[]>;
  cases: PeerCase[];
}

export const PEER = JSON.parse(readFileSync(new URL("./data/peer-suite.json", import.meta.url), "utf8")) as PeerSuite;

/** What a mapped call may return: one tensor, several, or PyTorch's (values, indices) pair. */
export type PeerOut = Tensor | readonly Tensor[] | { values: Tensor; indices: Tensor };
/** A tapegrad call standing for one torch expression; inputs in the case's argument order. */
export type PeerFn = (args: PeerArgs) => PeerOut;
/** A case's inputs (float ones first, then index arrays), typed as a tuple so calls destructure them. */
export type PeerArgs = [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];

const num = (v: number | string): number => (typeof v === "number" ? v : Number(v));

function outputsOf(r: PeerOut): Tensor[] {
  if (isTensor(r)) return [r];
  if (Array.isArray(r)) return [...(r as readonly Tensor[])];
  const vi = r as { values: Tensor; indices: Tensor };
  return [vi.values, vi.indices];
}

/** PyTorch's (values, indices) results as a pair of outputs. */
export const vi = (r: { values: Tensor; indices: Tensor }): Tensor[] => [r.values, r.indices];

function near(got: number, want: number, rtol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= rtol * Math.max(1, Math.abs(want));
}

function values(t: Tensor): number[] {
  const c = t.data.contiguous();
  return Array.from(c.data.subarray(c.offset, c.offset + c.size), Number);
}

/** The first way tapegrad's answer differs from torch's, or null when it matches everywhere. */
export function firstDifference(c: PeerCase, fn: PeerFn, dtype: "float64" | "float32", rtol64 = 1e-12): string | null {
  const side = dtype === "float64" ? c.f64 : c.f32;
  const rtol = dtype === "float64" ? rtol64 : Math.max(2e-5, rtol64);
  const nFloat = c.inputs.filter((e) => e.dtype === "float").length;
  const args = c.inputs.map((e) =>
    e.dtype === "float"
      ? new Tensor(nd.array(e.data.map(num), e.shape, dtype), true)
      : new Tensor(nd.array(e.data.map(num), e.shape, e.dtype === "int" ? "int32" : "bool"), false),
  );
  let outs: Tensor[];
  try {
    outs = outputsOf(fn(args as PeerArgs));
  } catch (e) {
    return `throws: ${(e as Error).message}`;
  }
  if (outs.length !== side.outputs.length) return `${outs.length} outputs, torch has ${side.outputs.length}`;
  for (const [k, want] of side.outputs.entries()) {
    const o = outs[k]!;
    if (JSON.stringify(o.shape) !== JSON.stringify(want.shape)) return `output ${k}: shape [${o.shape}], torch [${want.shape}]`;
    const got = values(o);
    if (want.dtype === "float" && o.dtype !== dtype) return `output ${k}: dtype ${o.dtype}, torch ${dtype}`;
    for (let j = 0; j < got.length; j++) {
      const w = num(want.data[j]!);
      if (want.dtype === "float" ? !near(got[j]!, w, rtol) : got[j] !== w) return `output ${k}[${j}]: ${got[j]}, torch ${w}`;
    }
  }
  if (!side.grads || !c.w) return null;
  const floats = outs.flatMap((o, k) => (nd.isFloat(o.dtype) && o.requiresGrad ? [{ o, w: c.w![k]! }] : []));
  const leaves = args.slice(0, nFloat);
  let gs: (Tensor | null | undefined)[];
  try {
    gs = floats.length === 0 ? [] : gradients(floats.map((f) => f.o), leaves, floats.map((f) => nd.array(f.w, f.o.shape, dtype)));
  } catch (e) {
    return `backward throws: ${(e as Error).message}`;
  }
  for (const [k, want] of side.grads.entries()) {
    const g = gs[k];
    const got = g ? values(g) : new Array<number>(want.data.length).fill(0);
    if (g && JSON.stringify(g.shape) !== JSON.stringify(want.shape)) return `grad ${k}: shape [${g.shape}], torch [${want.shape}]`;
    for (let j = 0; j < got.length; j++) {
      const w = num(want.data[j]!);
      if (!near(got[j]!, w, rtol)) return `grad of input ${k} [${j}]: ${got[j]}, torch ${w}`;
    }
  }
  return null;
}

/** Runs one case in both dtypes: it must match torch (a mapped case) or not (a listed gap). */
export function checkPeerCase(c: PeerCase, fn: PeerFn | undefined, gap: string | undefined, rtol64?: number): void {
  expect(fn !== undefined || gap !== undefined, `${c.name}: ${c.expr} has neither a mapping nor a listed gap`).toBe(true);
  if (gap !== undefined) {
    const diffs = fn ? [firstDifference(c, fn, "float64", rtol64), firstDifference(c, fn, "float32", rtol64)] : ["no call"];
    expect(diffs.some((d) => d !== null), `${c.name}: listed as a gap (${gap}) but now matches torch`).toBe(true);
    return;
  }
  for (const dtype of ["float64", "float32"] as const) expect(firstDifference(c, fn!, dtype, rtol64), `${c.name} [${dtype}] ${c.expr}`).toBeNull();
}
