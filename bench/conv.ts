// The conv section: one Conv2d forward + backward (dx, dW, db of sum(y * r)) at a small CNN's
// sizes (the cnn example's two convs, and a 28x28 one), tapegrad against numpy (im2col and
// matmul) and PyTorch (F.conv2d), run in the same bench run by bench/peers/conv_peer.py.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as nd from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { Conv2d } from "@tapegrad/nn";
import { measure, type Timing } from "./lib/timing.js";
import { numpyEnv } from "./lib/numpy.js";
import { fmtRatio, printTable, ratio } from "./lib/table.js";
import type { BenchOptions, Dtype } from "./options.js";

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  out: number;
  k: number;
  pad: number;
}

const CASES: ConvCase[] = [
  { name: "cnn conv1: (32,1,12,12) -> 8, 3x3 pad 1", x: [32, 1, 12, 12], out: 8, k: 3, pad: 1 },
  { name: "cnn conv2: (32,8,6,6) -> 16, 3x3 pad 1", x: [32, 8, 6, 6], out: 16, k: 3, pad: 1 },
  { name: "(16,8,28,28) -> 16, 3x3 pad 1", x: [16, 8, 28, 28], out: 16, k: 3, pad: 1 },
];

export interface ConvRow {
  name: string;
  dtype: Dtype;
  tapegrad: Timing;
  numpy: Timing | null;
  torch: Timing | null;
  /** torch's gradients equal numpy's on these inputs (the peers did the same work). */
  peersAgree: boolean | null;
}

export interface ConvResults {
  peer: { numpy?: string; torch?: string; missing?: string; torchMissing?: string };
  rows: ConvRow[];
}

const PYTHON = process.env.BENCH_TORCH_PYTHON ?? "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./peers/conv_peer.py", import.meta.url));

interface PeerRow { name: string; dtype: Dtype; numpy: Timing; torch?: Timing; agree?: boolean }

function runPeers(dtypes: readonly Dtype[], quick: boolean): { rows: PeerRow[]; numpy?: string; torch?: string; torchMissing?: string } | { missing: string } {
  const job = { cases: CASES, dtypes, quick };
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(job), env: numpyEnv(), encoding: "utf8", timeout: 20 * 60_000, maxBuffer: 64 * 2 ** 20 });
  if (r.error) return { missing: `${PYTHON}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0) return { missing: `conv peer exited ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").slice(-1)[0] ?? ""}` };
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    return { missing: `conv peer printed no JSON: ${(e as Error).message}` };
  }
}

function tapegradStep(c: ConvCase, dtype: Dtype): () => void {
  const rs = new nd.RandomState(0);
  const conv = new Conv2d(c.x[1], c.out, c.k, { padding: c.pad, dtype, rng: rs });
  const x = new Tensor(rs.randn(...c.x).astype(dtype), true);
  const oh = c.x[2] + 2 * c.pad - c.k + 1;
  const ow = c.x[3] + 2 * c.pad - c.k + 1;
  const r = new Tensor(rs.randn(c.x[0], c.out, oh, ow).astype(dtype));
  return () => {
    x.zeroGrad();
    conv.zeroGrad();
    ag.sum(ag.mul(conv.forward(x), r)).backward();
  };
}

export function runConvBench(o: BenchOptions): ConvResults {
  const timing = o.quick ? { minTimeMs: 100, maxTimeMs: 500 } : {};
  const peers = o.numpy ? runPeers(o.dtypes, o.quick) : { missing: "skipped (--no-numpy)" };
  const rows: ConvRow[] = [];
  for (const c of CASES) {
    for (const dtype of o.dtypes) {
      const p = "rows" in peers ? peers.rows.find((r) => r.name === c.name && r.dtype === dtype) : undefined;
      rows.push({
        name: c.name,
        dtype,
        tapegrad: measure(tapegradStep(c, dtype), timing),
        numpy: p?.numpy ?? null,
        torch: p?.torch ?? null,
        peersAgree: p?.agree ?? null,
      });
    }
  }
  const peer = "rows" in peers ? { numpy: peers.numpy, torch: peers.torch, torchMissing: peers.torchMissing } : { missing: peers.missing };
  return { peer, rows };
}

export function printConv(r: ConvResults): void {
  const p = r.peer;
  const peers = p.missing ? `peers missing (${p.missing})` : `numpy ${p.numpy}; ${p.torch ? `torch ${p.torch}` : `torch missing (${p.torchMissing})`}; one thread each`;
  printTable(
    "conv: Conv2d forward + backward (dx, dW, db), ms per step",
    ["case", "dtype", "tapegrad", "numpy im2col", "torch", "vs numpy", "vs torch"],
    r.rows.map((x) => [
      x.name, x.dtype, x.tapegrad.medianMs, x.numpy?.medianMs ?? (p.missing ? "missing" : null), x.torch?.medianMs ?? (p.torch ? null : "missing"),
      fmtRatio(ratio(x.tapegrad.medianMs, x.numpy?.medianMs)), fmtRatio(ratio(x.tapegrad.medianMs, x.torch?.medianMs)),
    ]),
    [peers, "vs: tapegrad's time over the peer's (below 1 is faster)."],
  );
}
