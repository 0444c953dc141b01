// The default random generator (PyTorch's default CPU generator): what draws without a generator
// of their own use, from tensor's arrays up to nn's initial weights, so that one manualSeed
// seeds them all, as torch.manual_seed does. It lives here, in the lowest layer that draws.

import { RandomState } from "./random.js";

// Seeded, not from entropy: a program that never calls manualSeed still draws the same numbers
// each run, as it always has with nn's default stream.
const defaultRng = new RandomState(0);

/**
 * Starts the default random generator afresh from `seed` (PyTorch's torch.manual_seed): the
 * autograd factories (randn, rand, ...), nn's initial weights and Dropout's masks drawn
 * afterwards without an `rng` of their own are the same each run. The generator is reseeded in
 * place (RandomState.seed, a kernel), so inside a compiled step a replay reseeds it too.
 *
 * @example
 * ```ts
 * manualSeed(42);
 * const a = getDefaultRng().randn(3);
 * manualSeed(42);
 * getDefaultRng().randn(3).toArray(); // a.toArray(): the same three numbers
 * ```
 */
export function manualSeed(seed: number): void {
  defaultRng.seed(seed);
}

/**
 * The default random generator: what draws without an `rng` of their own read from. It is always
 * the same object; manualSeed reseeds it, and getState/setState save and restore it.
 *
 * @example
 * ```ts
 * const saved = getDefaultRng().getState();
 * const a = getDefaultRng().rand(2);
 * getDefaultRng().setState(saved);
 * getDefaultRng().rand(2).toArray(); // a.toArray() again
 * ```
 */
export function getDefaultRng(): RandomState {
  return defaultRng;
}
