// How an NDArray looks in Node's console: numpy's repr (`array([1., 2.], dtype=float32)`, see
// format.ts) rather than its fields (data, storageInfo, ...). Set on the prototype from here so
// that ndarray.ts stays the class's core; the hook is found by its registered symbol, so no Node
// module is imported and the package runs unchanged in a browser.

import { NDArray } from "./ndarray.js";
import { formatRepr } from "./format.js";

Object.defineProperty(NDArray.prototype, Symbol.for("nodejs.util.inspect.custom"), {
  value: function (this: NDArray): string {
    return formatRepr(this);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
