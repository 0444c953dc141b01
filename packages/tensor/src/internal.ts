// @tapegrad/tensor/internal: what the autograd engine, the tests and the bench need and users
// do not. No promise of stability: these names may change with any release.

export { storageSerial } from "./ndarray.js";
export { recycleStorage, trimSpares } from "./dtype.js";
export { allocateUninit } from "./dtype.js";
