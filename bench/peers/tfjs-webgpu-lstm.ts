// The tfjs-webgpu peer of bench/webgpu.ts: the same LSTM training step (forward and the full
// backward through all T steps; loss = sum(da * h); gradients for x, h0, weight_ih, weight_hh,
// bias_ih and bias_hh) written with TensorFlow.js's ops, tf.valueAndGrads over a hand-written
// cell loop, on its 'webgpu' backend. tfjs records one dispatch per kernel as the ops run (with
// its uniforms written from the host each time) and submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
// of them. Loaded lazily: tfjs finds WebGPU through navigator.gpu when it is imported.

import type * as TF from "@tensorflow/tfjs";
import type { NDArray } from "@tapegrad/tensor";
import * as nd from "@tapegrad/tensor";
import { LSTMCell } from "@tapegrad/nn";
import { lstmRunLoss } from "../lib/tfjs-lstm.js";
import { gradsFromPytorchLayout, type LstmData, type LstmSize, type NotebookGrads } from "../lstm-data.js";

type Tf = typeof TF;

export interface TfjsWebgpu {
  tf: Tf;
  version: string;
  /** The adapter tfjs asked navigator.gpu for, named as bench/webgpu.ts names its own. */
  adapter: string;
  /** Removes the backend and destroys its device (Dawn crashed at exit with a live device). */
  close(): void;
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

interface WebgpuBackend {
  device: GPUDevice;
  adapterInfo?: AdapterInfo;
}

/**
 * Imports @tensorflow/tfjs and its WebGPU backend on `gpu` (a GPU from the npm package webgpu, or
 * a browser's navigator.gpu), and makes 'webgpu' the backend; or says why it can't.
 */
export async function openTfjsWebgpu(gpu: GPU): Promise<TfjsWebgpu | { missing: string }> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  // Node 20 has no navigator; 21 and later have one without gpu, and a getter in its place
  if (g.navigator?.gpu === undefined) Object.defineProperty(globalThis, "navigator", { value: { ...(g.navigator ?? {}), gpu }, configurable: true, writable: true });
  let tf: Tf;
  try {
    tf = (await import("@tensorflow/tfjs")) as Tf;
    await import("@tensorflow/tfjs-backend-webgpu"); // registers 'webgpu' when navigator.gpu exists
  } catch (e) {
    return { missing: `@tensorflow/tfjs or @tensorflow/tfjs-backend-webgpu: ${(e as Error).message.split("\n")[0]}` };
  }
  tf.enableProdMode(); // no NaN check after every kernel (each would be a readback)
  try {
    if (!(await tf.setBackend("webgpu"))) return { missing: `tf.setBackend("webgpu") failed (no adapter for tfjs?)` };
    await tf.ready();
  } catch (e) {
    return { missing: `tfjs webgpu backend: ${(e as Error).message}` };
  }
  const backend = tf.backend() as unknown as WebgpuBackend;
  // the device's own info: tfjs's adapterInfo keeps only the vendor and the architecture
  const info = (backend.device as { adapterInfo?: AdapterInfo }).adapterInfo ?? backend.adapterInfo ?? {};
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" / ") || "unnamed adapter";
  return {
    tf,
    version: tf.version.tfjs,
    adapter,
    close() {
      const device = backend.device;
      tf.removeBackend("webgpu");
      device.destroy();
    },
  };
}

export interface TfjsLstmStep {
  /** One step, resolved once its loss is read back and the queue has drained; gives the loss. */
  step(): Promise<number>;
  /** n steps issued back to back, resolved once the last one's loss is read back and the queue has drained. */
  steps(n: number): Promise<void>;
  /** One step's loss and gradients, in the notebook's layout; dbHh is bias_hh's (d/db is bias_ih's). */
  result(): Promise<{ loss: number; grads: NotebookGrads; dbHh: NDArray }>;
  dispose(): void;
}

/** The step at `size` from `d` (float32), with weights in PyTorch's layout as tapegrad's nn.LSTM holds them. */
export function tfjsWebgpuLstm(t: TfjsWebgpu, { n_x: I, n_a: H, m: B, T }: LstmSize, d: LstmData): TfjsLstmStep {
  const tf = t.tf;
  const cell = LSTMCell.fromNotebookParams(d.p, { dtype: "float32" });
  const f32 = (a: NDArray) => a.astype("float32").contiguous().toTypedArray() as Float32Array;
  const x = tf.tensor3d(f32(d.x.transpose(2, 1, 0)), [T, B, I]);
  const h0 = tf.tensor2d(f32(d.a0.transpose()), [B, H]);
  const wih = tf.tensor2d(f32(cell.weight_ih.data), [4 * H, I]);
  const whh = tf.tensor2d(f32(cell.weight_hh.data), [4 * H, H]);
  const bih = tf.tensor1d(f32(cell.bias_ih!.data));
  const bhh = tf.tensor1d(f32(cell.bias_hh!.data));
  const da = tf.tensor3d(f32(d.da.transpose(2, 1, 0)), [T, B, H]);
  const c0 = tf.zeros([B, H]) as TF.Tensor2D;
  const inputs = [x, h0, wih, whh, bih, bhh];

  // nn.LSTM's step: x's share of the gates for all steps in one product, then per step
  // gates = that share + h W_hh^T, split i, f, g, o; c' = f c + i g; h' = o tanh(c')
  const loss = (...args: TF.Tensor[]): TF.Scalar => {
    const [xs, h0s, wi, wh, bi, bh] = args as [TF.Tensor3D, TF.Tensor2D, TF.Tensor2D, TF.Tensor2D, TF.Tensor1D, TF.Tensor1D];
    const xp = tf.add(tf.matMul(tf.reshape(xs, [T * B, I]), wi, false, true), tf.add(bi, bh));
    return lstmRunLoss(tf, tf.unstack(tf.reshape(xp, [T, B, 4 * H])) as TF.Tensor2D[], h0s, c0, wh, true, da);
  };
  const valueAndGrads = tf.valueAndGrads(loss);
  const device = (tf.backend() as unknown as WebgpuBackend).device;

  /** Records one step's dispatches; the gradients are computed and dropped, as a step would hand them to an optimizer. */
  const issue = (keepGrads: boolean): { value: TF.Scalar; grads: TF.Tensor[] } =>
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(inputs);
      return { value, grads: keepGrads ? grads : [] };
    });
  const readLoss = async (value: TF.Scalar): Promise<number> => {
    const v = (await value.data())[0]!; // submits what is recorded, then maps a copy of the loss
    await device.queue.onSubmittedWorkDone();
    return v;
  };

  return {
    async step() {
      const { value } = issue(false);
      try {
        return await readLoss(value);
      } finally {
        value.dispose();
      }
    },
    async steps(n) {
      const values = Array.from({ length: n }, () => issue(false).value);
      try {
        if (values.length) await readLoss(values.at(-1)!);
      } finally {
        for (const v of values) v.dispose();
      }
    },
    async result() {
      const { value, grads } = issue(true);
      try {
        const lossValue = await readLoss(value);
        const [gx, gh0, gWih, gWhh, gbih, gbhh] = (await Promise.all(grads.map((g) => g.data()))) as Float32Array[];
        return {
          loss: lossValue,
          grads: gradsFromPytorchLayout({
            dx: nd.array(gx!, [T, B, I], "float32"),
            dh0: nd.array(gh0!, [B, H], "float32"),
            dWih: nd.array(gWih!, [4 * H, I], "float32"),
            dWhh: nd.array(gWhh!, [4 * H, H], "float32"),
            db: nd.array(gbih!, [4 * H], "float32"),
          }),
          dbHh: nd.array(gbhh!, [4 * H], "float32"),
        };
      } finally {
        tf.dispose([value, ...grads]);
      }
    },
    dispose() {
      tf.dispose([...inputs, da, c0]);
    },
  };
}
