// @tapegrad/tensor/internal: what the autograd engine, the tests and the bench need and users
// do not. No promise of stability: these names may change with any release.

export { storageSerial } from "./ndarray.js";
export { recycleStorage, trimSpares } from "./storage.js";
export { allocateUninit } from "./storage.js";
export { walk } from "./iter.js";
export { gemm, gemmTs, setMatmulBackend, matmulKernelFor, matmulWasmVariant, type MatmulBackend } from "./matmul.js";
export { threadsInfo } from "./wasm/threads.js";
export { setThreadMin } from "./wasm/gemm.js";
export { trace, traceDifference, Identities, type ItemRead } from "./record.js";
export { Program, type Step, type CapturedStep, type KernelDifference } from "./program.js";
export { stackParts } from "./join.js";
// the plans and checks behind the indexing ops, which autograd's composites share
export { asIndexArray, indexPlan, moveLeading, rollPairs, rollSplit, repeatShapes, repeatIndices, type IndexPlan } from "./indexing.js";
export { padIndices, checkPad } from "./window.js";
export { flipSpecs, diagonalLayout, expandEllipsis } from "./views.js";
export { sigmoid32, tanh32 } from "./kernels/transcendental.js";
export { transcendentalWasmAvailable } from "./kernels/transcendental-wasm.js";
export { saveState, restoreState, hasReplayState, sameSnapshot, type ReplayState } from "./replay-state.js";
export { markStale, clearStale, isStale, checkFresh } from "./stale.js";
export { Lowering, GpuProgram, LoweringError, type LoweringReport } from "./webgpu/lower.js";
