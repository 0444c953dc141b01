// A way to force a full collection (V8's gc, exposed at run time), for the tests that check
// what a graph lets the collector free; where there is none, those tests are skipped, saying why.

import * as v8 from "node:v8";
import * as vm from "node:vm";
import { it } from "vitest";

function exposeGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return null;
  }
}

const collect = exposeGc();

/** Forces a full collection (only inside itWithGc, where one exists). */
export function gc(): void {
  collect!();
}

/** `it`, or a skip that names the reason when this runtime cannot force a collection. */
export function itWithGc(name: string, fn: () => Promise<void> | void): void {
  if (collect) it(name, fn);
  else it.skip(`${name} (skipped: this runtime cannot force a garbage collection)`, fn);
}
