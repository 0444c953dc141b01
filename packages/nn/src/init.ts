// Initialisation and the default random stream. Modules draw their initial weights from an
// `rng` option or from the default stream, which `manualSeed` resets (PyTorch's manual_seed).

import { RandomState, NDArray, getDefaultRng, type DType } from "@tapegrad/tensor";
import * as nd from "@tapegrad/tensor";

// The default stream is the tensor package's default generator, which autograd's randn and rand
// draw from too: one manualSeed seeds initialisation and those factories alike, as
// torch.manual_seed does. Re-exported so that nn's names keep working.
export { manualSeed, getDefaultRng } from "@tapegrad/tensor";

const defaultRng: RandomState = getDefaultRng();

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
