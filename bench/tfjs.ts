// The TensorFlow.js peers: the same LSTM step with tf.valueAndGrads, on the `cpu` backend (plain
// JavaScript) and the `wasm` backend (XNNPACK, SIMD; one thread in Node). Loaded lazily, so a
// missing package or a backend that fails to start is reported with its reason, not faked.

import { createRequire, register } from "node:module";
import path from "node:path";
import * as nd from "@tapegrad/tensor";
import { LSTMCell } from "@tapegrad/nn";
import type { FloatDType } from "@tapegrad/tensor";
import type * as TF from "@tensorflow/tfjs-core";
import { lstmRunLoss } from "./lib/tfjs-lstm.js";
import { gradsFromPytorchLayout, type LstmData, type LstmSize } from "./lstm-data.js";
import type { Missing, Prepared } from "./lstm-impls.js";

export type TfBackend = "cpu" | "wasm";


type Tf = typeof TF;
let loaded: Promise<{ tf: Tf; version: string } | { error: string }> | undefined;
const backendError = new Map<TfBackend, string>();

/** Imports tfjs-core and registers both backends (once). */
export function loadTfjs(): Promise<{ tf: Tf; version: string } | { error: string }> {
  loaded ??= (async () => {
    try {
      const tf = (await import("@tensorflow/tfjs-core")) as Tf;
      tf.enableProdMode(); // no NaN checks, and no "use tfjs-node" banner
      // tfjs-core's CommonJS bundle registers no gradients (the @tensorflow/tfjs bundle adds them);
      // they live in its ESM files, which need a resolve hook to load in Node. The registry is
      // global, so registering them there serves the bundle too.
      register(new URL("./lib/tfjs-esm-hooks.mjs", import.meta.url));
      await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
      try {
        await import("@tensorflow/tfjs-backend-cpu");
      } catch (e) {
        backendError.set("cpu", `@tensorflow/tfjs-backend-cpu: ${(e as Error).message}`);
      }
      try {
        const wasm = await import("@tensorflow/tfjs-backend-wasm");
        // In Node the .wasm files are read from the package's dist folder on disk.
        const require = createRequire(import.meta.url);
        const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
        wasm.setWasmPaths(path.join(dir, "dist") + path.sep);
      } catch (e) {
        backendError.set("wasm", `@tensorflow/tfjs-backend-wasm: ${(e as Error).message}`);
      }
      return { tf, version: tf.version_core };
    } catch (e) {
      return { error: `@tensorflow/tfjs-core: ${(e as Error).message}` };
    }
  })();
  return loaded;
}

/** The backend's features, for the report ("wasm: SIMD, 1 thread"). */
export async function describeBackend(backend: TfBackend): Promise<string> {
  const t = await loadTfjs();
  if ("error" in t) return t.error;
  if (backend === "cpu") return "cpu (JavaScript kernels)";
  try {
    const simd = await t.tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await t.tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    return `wasm (${simd ? "SIMD" : "no SIMD"}, ${threads ? "multithreaded" : "1 thread"})`;
  } catch (e) {
    return `wasm (${(e as Error).message})`;
  }
}

/**
 * Prepares the step on one backend, or returns why it can't run. tfjs has float32 kernels only.
 * The module is the same as tapegrad's LSTM: x's share of the gates in one product over all
 * steps, then per step h·W_hh + that share, gates i, f, g, o; loss = sum(stack(h) * da).
 */
export async function prepareTfjs(backend: TfBackend, size: LstmSize, dtype: FloatDType, d: LstmData): Promise<Prepared | Missing> {
  if (dtype !== "float32") return { missing: "tfjs has no float64 kernels" };
  const t = await loadTfjs();
  if ("error" in t) return { missing: t.error };
  const pre = backendError.get(backend);
  if (pre) return { missing: pre };
  const tf = t.tf;
  try {
    if (!(await tf.setBackend(backend))) return { missing: `tf.setBackend("${backend}") failed` };
    await tf.ready();
  } catch (e) {
    return { missing: `backend ${backend}: ${(e as Error).message}` };
  }
  const { n_x, n_a: H, m, T } = size;
  const cell = LSTMCell.fromNotebookParams(d.p, { dtype: "float64" });
  const f32 = (a: nd.NDArray) => a.astype("float32").toTypedArray() as Float32Array;
  const x = tf.tensor3d(f32(d.x.transpose(2, 1, 0)), [T, m, n_x]);
  const h0 = tf.tensor2d(f32(d.a0.transpose()), [m, H]);
  const Wx = tf.tensor2d(f32(cell.weight_ih.data.transpose()), [n_x, 4 * H]);
  const Wh = tf.tensor2d(f32(cell.weight_hh.data.transpose()), [H, 4 * H]);
  const b = tf.tensor1d(f32(nd.add(cell.bias_ih!.data, cell.bias_hh!.data)));
  const da = tf.tensor3d(f32(d.da.transpose(2, 1, 0)), [T, m, H]);
  const c0 = tf.zeros([m, H]);

  const loss = (...args: TF.Tensor[]): TF.Scalar => {
    const [xs, h0s, wx, wh, bias] = args as [TF.Tensor3D, TF.Tensor2D, TF.Tensor2D, TF.Tensor2D, TF.Tensor1D];
    const xp = tf.reshape(tf.add(tf.matMul(tf.reshape(xs, [T * m, n_x]), wx), bias), [T, m, 4 * H]);
    return lstmRunLoss(tf, tf.unstack(xp) as TF.Tensor2D[], h0s, c0 as TF.Tensor2D, wh, false, da);
  };
  const vg = tf.valueAndGrads(loss);
  const inputs = [x, h0, Wx, Wh, b];
  let last: Float32Array[] | null = null;
  const keep = { on: false };

  const step = () => {
    tf.tidy(() => {
      const { value, grads } = vg(inputs);
      value.dataSync(); // cpu and wasm run eagerly; this only makes the end of the step explicit
      if (keep.on) last = grads.map((g) => g.dataSync() as Float32Array);
    });
  };
  return {
    step,
    grads() {
      keep.on = true;
      step();
      keep.on = false;
      const [gx, gh0, gWx, gWh, gb] = last! as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      return gradsFromPytorchLayout({
        dx: nd.array(gx, [T, m, n_x], "float32"),
        dh0: nd.array(gh0, [m, H], "float32"),
        dWih: nd.array(gWx, [n_x, 4 * H], "float32").transpose(),
        dWhh: nd.array(gWh, [H, 4 * H], "float32").transpose(),
        db: nd.array(gb, [4 * H], "float32"),
      });
    },
    dispose() {
      for (const tensor of [...inputs, da, c0]) tensor.dispose();
    },
  };
}
