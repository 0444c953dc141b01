// How modules and parameters print: PyTorch's `print(model)` tree (Module.__repr__ with each
// module's extra_repr, ModuleList's folding of repeated children) and `Parameter containing:`.
// The methods are set on the prototypes from here, so that the layer files stay as they are; a
// module of your own shows its class name and children, and can override extraRepr().
//
// Each extraRepr below follows the extra_repr of the PyTorch module of the same name (torch/nn/
// modules/*.py), printing Python's spelling of values (True, 1e-05, (3,), 'none') so that a tree
// can be diffed against PyTorch's. Where tapegrad cannot know what PyTorch would print it says
// the nearest thing: a pool's sizes are stored per dim here, so one that is the same in every
// dim prints as one int, as it does in PyTorch when given as one; MultiheadAttention's out_proj
// is a Linear here (PyTorch: NonDynamicallyQuantizableLinear, a Linear in all but name).

import { formatTensor, Tensor } from "@tapegrad/autograd";
import { Module, Parameter } from "./module.js";
import { Linear, Embedding, Dropout } from "./layers.js";
import { ModuleList, Sequential } from "./containers.js";
import { GELU, Softmax, LogSoftmax, Flatten, LeakyReLU, ELU, CELU, Hardtanh, Softplus, Softmin } from "./activations.js";
import { LayerNorm, GroupNorm } from "./norm.js";
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from "./batch-norm.js";
import { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, isPadPairs, type PadPairs } from "./conv.js";
import {
  MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
  AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
} from "./pool.js";
import { Upsample, PixelShuffle, PixelUnshuffle } from "./upsample.js";
import { GatedCell, RecurrentStack } from "./recurrent.js";
import { RNNCell } from "./rnn.js";

declare module "./module.js" {
  interface Module {
    /**
     * The module's settings as PyTorch's extra_repr prints them inside `Name(...)`: "" for none.
     * Override it in a module of your own to show its settings in `String(model)`.
     */
    extraRepr(): string;
  }
}

/** Python's `repr` of a float: shortest round-trip digits, `1.0` for whole numbers, exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant = "", exp = "0"] = x.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mant}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const s = String(x);
  return /[.e]/.test(s) ? s : s + ".0";
}

const pyBool = (b: boolean): string => (b ? "True" : "False");
const pyTuple = (xs: readonly number[]): string => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`);
/** One int when every dim agrees (as PyTorch prints a size given as an int), else a tuple. */
const pySize = (xs: readonly number[]): string => (xs.every((x) => x === xs[0]) ? String(xs[0]) : pyTuple(xs));

/** _addindent: every line after the first indented by n spaces. */
function addIndent(s: string, n: number): string {
  const lines = s.split("\n");
  if (lines.length === 1) return s;
  const pad = " ".repeat(n);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join("\n");
}

/** The module's class name, as PyTorch's _get_name. */
function nameOf(m: Module): string {
  return m.constructor.name || "Module";
}

/**
 * A module as PyTorch's `print(model)` shows it: `Name(extra)` for a module without children,
 * else the name and, one per line and indented, its extra repr and each child as `(key): ...`.
 * A ModuleList folds runs of identical children into `(0-2): 3 x Linear(...)`, as PyTorch's does
 * (a Sequential does not). `String(model)` and `console.log(model)` print this.
 *
 * @example
 * ```ts
 * formatModule(new Sequential(new Linear(2, 3), new ReLU()));
 * // "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)"
 * formatModule(new LSTM(3, 5, { numLayers: 2, batchFirst: true })); // "LSTM(3, 5, num_layers=2, batch_first=True)"
 * ```
 */
export function formatModule(m: Module): string {
  return reprOf(m, new Set());
}

function reprOf(m: Module, path: Set<Module>): string {
  // a module that contains itself would recurse for ever; PyTorch recurses too, and overflows
  if (path.has(m)) return `${nameOf(m)}(<cycle>)`;
  path.add(m);
  try {
    const extra = m.extraRepr();
    const extraLines = extra ? extra.split("\n") : [];
    const children = [...m.namedChildren()];
    let childLines: string[];
    if (m instanceof ModuleList && !(m instanceof Sequential)) {
      childLines = foldRepeats(children.map(([k, c]) => [k, reprOf(c, path)] as const));
    } else {
      childLines = children.map(([key, c]) => `(${key}): ${addIndent(reprOf(c, path), 2)}`);
    }
    const lines = [...extraLines, ...childLines];
    let s = nameOf(m) + "(";
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) s += extraLines[0];
      else s += "\n  " + lines.join("\n  ") + "\n";
    }
    return s + ")";
  } finally {
    path.delete(m);
  }
}

/** ModuleList.__repr__: consecutive children with the same repr as one `(i-j): n x repr` line. */
function foldRepeats(children: readonly (readonly [string, string])[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < children.length) {
    let j = i;
    while (j + 1 < children.length && children[j + 1]![1] === children[i]![1]) j++;
    const [start, r] = children[i]!;
    const local = i === j ? `(${start}): ${r}` : `(${start}-${children[j]![0]}): ${j - i + 1} x ${r}`;
    out.push(addIndent(local, 2));
    i = j + 1;
  }
  return out;
}

function define(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

define(Module.prototype, "extraRepr", function (): string {
  return "";
});
define(Module.prototype, "toString", function (this: Module): string {
  return formatModule(this);
});
define(Module.prototype, inspectCustom, function (this: Module): string {
  return formatModule(this);
});

// Parameter.__repr__: "Parameter containing:\n" + the tensor's repr
const parameterRepr = function (this: Parameter): string {
  return "Parameter containing:\n" + formatTensor(this as Tensor);
};
define(Parameter.prototype, "toString", parameterRepr);
define(Parameter.prototype, inspectCustom, parameterRepr);

// extra_repr, module by module, after torch/nn/modules/*.py
const extras: [abstract new (...args: never[]) => Module, (m: never) => string][] = [
  [Linear, (m: Linear) => `in_features=${m.inFeatures}, out_features=${m.outFeatures}, bias=${pyBool(m.bias !== null)}`],
  [Embedding, (m: Embedding) => `${m.numEmbeddings}, ${m.embeddingDim}`],
  [Dropout, (m: Dropout) => `p=${pyFloat(m.p)}, inplace=False`],
  [GELU, (m: GELU) => `approximate='${m.approximate}'`],
  [Softmax, (m: Softmax) => `dim=${m.dim}`],
  [LogSoftmax, (m: LogSoftmax) => `dim=${m.dim}`],
  [Flatten, (m: Flatten) => `start_dim=${m.startDim}, end_dim=${m.endDim}`],
  [LayerNorm, (m: LayerNorm) => `${pyTuple(m.normalizedShape)}, eps=${pyFloat(m.eps)}, elementwise_affine=${pyBool(m.weight !== null)}`],
  [Conv1d, convRepr],
  [Conv2d, convRepr],
  // MaxPool's kernel_size, stride, padding, dilation stay as given in PyTorch (an int, usually)
  [MaxPool1d, maxPoolRepr],
  [MaxPool2d, maxPoolRepr],
  // AvgPool1d turns its sizes into 1-tuples in __init__; AvgPool2d keeps them as given
  [AvgPool1d, (m: AvgPool1d) => `kernel_size=${pyTuple(m.kernelSize)}, stride=${pyTuple(m.stride)}, padding=${poolPad(m.padding, pyTuple)}`],
  [AvgPool2d, (m: AvgPool2d) => `kernel_size=${pySize(m.kernelSize)}, stride=${pySize(m.stride)}, padding=${poolPad(m.padding, pySize)}`],
  [GatedCell, cellRepr],
  [RecurrentStack, stackRepr],
  // issue 26's layers
  [BatchNorm1d, normRepr],
  [BatchNorm2d, normRepr],
  [InstanceNorm1d, normRepr],
  [InstanceNorm2d, normRepr],
  [BatchNorm3d, normRepr],
  [InstanceNorm3d, normRepr],
  [GroupNorm, (m: GroupNorm) => `${m.numGroups}, ${m.numChannels}, eps=${pyFloat(m.eps)}, affine=${pyBool(m.weight !== null)}`],
  [Conv3d, convRepr],
  [ConvTranspose1d, convTransposeRepr],
  [ConvTranspose2d, convTransposeRepr],
  [ConvTranspose3d, convTransposeRepr],
  [MaxPool3d, maxPoolRepr],
  [AvgPool3d, (m: AvgPool3d) => `kernel_size=${pySize(m.kernelSize)}, stride=${pySize(m.stride)}, padding=${poolPad(m.padding, pySize)}`],
  [MaxUnpool1d, unpoolRepr],
  [MaxUnpool2d, unpoolRepr],
  [MaxUnpool3d, unpoolRepr],
  [AdaptiveAvgPool1d, (m: AdaptiveAvgPool1d) => `output_size=${m.outputSize[0]}`],
  [AdaptiveAvgPool2d, adaptiveRepr],
  [AdaptiveAvgPool3d, adaptiveRepr],
  [AdaptiveMaxPool1d, (m: AdaptiveMaxPool1d) => `output_size=${m.outputSize[0]}`],
  [AdaptiveMaxPool2d, adaptiveRepr],
  [Upsample, upsampleRepr],
  [PixelShuffle, (m: PixelShuffle) => `upscale_factor=${m.upscaleFactor}`],
  [PixelUnshuffle, (m: PixelUnshuffle) => `downscale_factor=${m.downscaleFactor}`],
  // issue 26's activations (SELU, ReLU6, Hardswish, Hardsigmoid, Softsign, Mish, LogSigmoid have no settings to print)
  [LeakyReLU, (m: LeakyReLU) => `negative_slope=${pyFloat(m.negativeSlope)}`],
  [ELU, (m: ELU) => `alpha=${pyFloat(m.alpha)}`],
  [CELU, (m: CELU) => `alpha=${pyFloat(m.alpha)}`],
  [Hardtanh, (m: Hardtanh) => `min_val=${pyFloat(m.minVal)}, max_val=${pyFloat(m.maxVal)}`],
  // Softplus's defaults are Python ints (beta=1, threshold=20): whole numbers print without ".0"
  [Softplus, (m: Softplus) => `beta=${m.beta}, threshold=${m.threshold}`],
  [Softmin, (m: Softmin) => `dim=${m.dim}`],
];
for (const [cls, fn] of extras) {
  define(cls.prototype, "extraRepr", function (this: never): string {
    return fn(this);
  });
}

/** _ConvNd.extra_repr: channels, kernel_size and stride always; the rest when not the default. */
function convRepr(m: Conv1d | Conv2d): string {
  let s = `${m.inChannels}, ${m.outChannels}, kernel_size=${pyTuple(m.kernelSize)}, stride=${pyTuple(m.stride)}`;
  if (m.padding === "same") s += ", padding=same";
  else if (isPadPairs(m.padding)) s += `, padding=${JSON.stringify(m.padding)}`; // asymmetric: PyTorch has no such option (F.pad first)
  else if (m.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(m.padding)}`;
  if (m.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(m.dilation)}`;
  if (m.groups !== 1) s += `, groups=${m.groups}`;
  if (m.bias === null) s += ", bias=False";
  return s;
}

/** MaxUnpoolNd.extra_repr: its sizes as tuples. */
function unpoolRepr(m: MaxUnpool2d): string {
  return `kernel_size=${pyTuple(m.kernelSize)}, stride=${pyTuple(m.stride)}, padding=${pyTuple(m.padding)}`;
}

/** An adaptive pool's output_size: one int when every dim agrees, else a tuple (None keeps a dim). */
function adaptiveRepr(m: AdaptiveAvgPool2d): string {
  const o = m.outputSize;
  return `output_size=${o.every((x) => x === o[0]) ? String(o[0] === null ? "None" : o[0]) : `(${o.map((x) => (x === null ? "None" : x)).join(", ")})`}`;
}

/** _NormBase.extra_repr: the feature count, eps, momentum (None for the cumulative average), affine, track_running_stats. */
function normRepr(m: BatchNorm1d): string {
  const momentum = m.momentum === null ? "None" : String(m.momentum);
  return `${m.numFeatures}, eps=${pyFloat(m.eps)}, momentum=${momentum}, affine=${pyBool(m.affine)}, track_running_stats=${pyBool(m.trackRunningStats)}`;
}

/** _ConvNd.extra_repr for the transposed kinds: output_padding when not 0. */
function convTransposeRepr(m: ConvTranspose1d): string {
  let s = `${m.inChannels}, ${m.outChannels}, kernel_size=${pyTuple(m.kernelSize)}, stride=${pyTuple(m.stride)}`;
  if (m.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(m.padding)}`;
  if (m.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(m.dilation)}`;
  if (m.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyTuple(m.outputPadding)}`;
  if (m.groups !== 1) s += `, groups=${m.groups}`;
  if (m.bias === null) s += ", bias=False";
  return s;
}

/** Upsample.extra_repr: scale_factor (as a float) or size, then the mode, unquoted as PyTorch 1.13 prints it. */
function upsampleRepr(m: Upsample): string {
  const { size, scaleFactor, mode = "nearest" } = m.options;
  const show = (v: number | readonly number[], f: (x: number) => string) => (typeof v === "number" ? f(v) : `(${v.map(f).join(", ")})`);
  const what = scaleFactor !== undefined ? `scale_factor=${show(scaleFactor, pyFloat)}` : `size=${show(size!, String)}`;
  return `${what}, mode=${mode}`;
}

function maxPoolRepr(m: MaxPool1d | MaxPool2d): string {
  return `kernel_size=${pySize(m.kernelSize)}, stride=${pySize(m.stride)}, padding=${poolPad(m.padding, pySize)}, dilation=${pySize(m.dilation)}, ceil_mode=${pyBool(m.ceilMode)}`;
}

/** A pool's padding as PyTorch prints it, or its [before, after] pairs (PyTorch has no such option). */
function poolPad(p: readonly number[] | PadPairs, fmt: (xs: readonly number[]) => string): string {
  return isPadPairs(p) ? JSON.stringify(p) : fmt(p as readonly number[]);
}

/** RNNCellBase.extra_repr: sizes; bias when off; nonlinearity when not tanh (RNNCell). */
function cellRepr(m: GatedCell): string {
  let s = `${m.inputSize}, ${m.hiddenSize}`;
  if (m.bias_ih === null) s += ", bias=False";
  if (m instanceof RNNCell && m.nonlinearity !== "tanh") s += `, nonlinearity=${m.nonlinearity}`;
  return s;
}

/** RNNBase.extra_repr: sizes, then each option that differs from PyTorch's default. */
function stackRepr(m: RecurrentStack<never>): string {
  let s = `${m.inputSize}, ${m.hiddenSize}`;
  if (m.numLayers !== 1) s += `, num_layers=${m.numLayers}`;
  if ((m as unknown as Record<string, unknown>)["bias_ih_l0"] === undefined) s += ", bias=False";
  if (m.batchFirst) s += ", batch_first=True";
  if (m.dropoutP !== 0) s += `, dropout=${pyFloat(m.dropoutP)}`;
  if (m.bidirectional) s += ", bidirectional=True";
  return s;
}
