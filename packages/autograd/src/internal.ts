// @tapegrad/autograd/internal: the engine's parts that tests, the bench and the examples read
// and users do not. No promise of stability: these names may change with any release.

export { Node, edgeOf, type Edge, type Watch } from "./tape.js";
export { OPS, type OpName } from "./ops/index.js";
export { setValueFreeMinSize } from "./value-free.js";
export { setDeferBudgetFloor } from "./accumulator.js";
