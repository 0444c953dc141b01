// Initialisation and the default random stream. Modules draw their initial weights from an
// `rng` option or from the default stream, which `manualSeed` resets (PyTorch's manual_seed).

import { RandomState, NDArray, type DType } from "@tapegrad/tensor";
import * as nd from "@tapegrad/tensor";

const defaultRng = new RandomState(0);

/**
 * Starts the default random stream afresh from `seed` (PyTorch's torch.manual_seed): modules made
 * afterwards without an `rng` option draw the same initial weights each run. The stream is
 * reseeded in place (RandomState.seed, a kernel), so that inside a compiled step a replay
 * reseeds it too.
 */
export function manualSeed(seed: number): void {
  defaultRng.seed(seed);
}

/** The default random stream: what modules draw initial weights (and Dropout its masks) from when given no `rng`. It is always the same object; manualSeed reseeds it. */
export function getDefaultRng(): RandomState {
  return defaultRng;
}

/** U(-bound, bound) of the given shape and dtype. */
export function uniform(shape: readonly number[], bound: number, rng: RandomState = defaultRng, dtype: DType = "float64"): NDArray {
  const u = rng.uniform(-bound, bound, [...shape]);
  return dtype === "float64" ? u : u.astype(dtype);
}

/** N(0, std) of the given shape and dtype. */
export function normal(shape: readonly number[], std = 1, rng: RandomState = defaultRng, dtype: DType = "float64"): NDArray {
  const z = rng.randn(...shape);
  if (std !== 1) nd.mul(z, std, z);
  return dtype === "float64" ? z : z.astype(dtype);
}
