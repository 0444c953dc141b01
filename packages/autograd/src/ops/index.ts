// The one list of recorded ops. The gradcheck table in the tests is typed Record<OpName, ...>,
// so an op added here without a gradient check fails the type check.

import { unaryOps } from "./unary.js";
import { binaryOps } from "./binary.js";
import { reduceOps } from "./reduce.js";
import { movementOps } from "./movement.js";
import { splitOps } from "./split.js";
import { markBuiltin } from "../define-op.js";

export const OPS = { ...unaryOps, ...binaryOps, ...reduceOps, ...movementOps, ...splitOps };
// Their VJPs keep no reference to the gradients they are given, so a plain backward may reuse
// those gradients' storage (engine.ts) and run the fast paths (fast.ts) inside them.
markBuiltin(Object.values(OPS));
export type OpName = keyof typeof OPS;
