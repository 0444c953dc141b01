// The one list of recorded ops. The gradcheck table in the tests is typed Record<OpName, ...>,
// so an op added here without a gradient check fails the type check.

import { unaryOps } from "./unary.js";
import { binaryOps } from "./binary.js";
import { reduceOps } from "./reduce.js";
import { movementOps } from "./movement.js";
import { splitOps } from "./split.js";
import { powOps } from "./pow.js";
import { matmulOps } from "./matmul.js";
import { windowOps } from "./window.js";
import { mathOps } from "./math.js";
import { scanOps } from "./scan.js";
import { indexingOps } from "./indexing.js";

export const OPS = { ...unaryOps, ...binaryOps, ...powOps, ...reduceOps, ...movementOps, ...matmulOps, ...splitOps, ...windowOps, ...mathOps, ...indexingOps, ...scanOps };
export type OpName = keyof typeof OPS;
