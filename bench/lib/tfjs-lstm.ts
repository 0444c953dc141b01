// The LSTM run both tfjs peers time (bench/tfjs.ts on the CPU, bench/peers/tfjs-webgpu-lstm.ts
// on WebGPU), written once: per step gates = x's share + h W_hh, split i, f, g, o;
// c' = f c + i g; h' = o tanh(c'); the loss is sum over steps of h_t · da_t.

import type * as TF from "@tensorflow/tfjs-core";

/**
 * sum(stack(h_t) * da) over the steps, from each step's input share of the gates (B, 4H).
 * `whTransposed`: W_hh is stored (4H, H) as PyTorch's weight_hh, else (H, 4H) as the notebook's.
 */
export function lstmRunLoss(
  tf: typeof TF, steps: readonly TF.Tensor2D[], h0: TF.Tensor2D, c0: TF.Tensor2D, wh: TF.Tensor2D, whTransposed: boolean, da: TF.Tensor,
): TF.Scalar {
  let h = h0;
  let c = c0;
  const hs: TF.Tensor2D[] = [];
  for (const share of steps) {
    const z = tf.add(share, tf.matMul(h, wh, false, whTransposed));
    const [i, f, g, o] = tf.split(z, 4, 1) as [TF.Tensor2D, TF.Tensor2D, TF.Tensor2D, TF.Tensor2D];
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    hs.push(h);
  }
  return tf.sum(tf.mul(tf.stack(hs), da));
}
