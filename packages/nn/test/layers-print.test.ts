// String(module) for issue 26's layers against PyTorch's repr (data/make-layers-reference.py
// printed each module with torch 1.13).

import { describe, expect, it } from "vitest";
import * as nn from "../src/index.js";
import { LAYERS } from "./layers-helpers.js";

const built: Record<string, () => nn.Module> = {
  "nn.BatchNorm1d(3)": () => new nn.BatchNorm1d(3),
  "nn.BatchNorm2d(2, momentum=None, affine=False)": () => new nn.BatchNorm2d(2, { momentum: null, affine: false }),
  "nn.InstanceNorm1d(3)": () => new nn.InstanceNorm1d(3),
  "nn.InstanceNorm2d(2, affine=True, track_running_stats=True)": () => new nn.InstanceNorm2d(2, { affine: true, trackRunningStats: true }),
  "nn.GroupNorm(2, 4)": () => new nn.GroupNorm(2, 4),
  "nn.GroupNorm(1, 3, eps=1e-3, affine=False)": () => new nn.GroupNorm(1, 3, { eps: 1e-3, affine: false }),
  "nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)": () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  "nn.ConvTranspose1d(4, 6, 3, groups=2, bias=False)": () => new nn.ConvTranspose1d(4, 6, 3, { groups: 2, bias: false }),
  "nn.Conv3d(2, 3, 2)": () => new nn.Conv3d(2, 3, 2),
  "nn.MaxPool3d(2)": () => new nn.MaxPool3d(2),
  "nn.MaxPool2d(3, stride=2, ceil_mode=True)": () => new nn.MaxPool2d(3, { stride: 2, ceilMode: true }),
  "nn.AvgPool3d(2, stride=1)": () => new nn.AvgPool3d(2, { stride: 1 }),
  "nn.AdaptiveAvgPool1d(3)": () => new nn.AdaptiveAvgPool1d(3),
  "nn.AdaptiveAvgPool2d((2, 3))": () => new nn.AdaptiveAvgPool2d([2, 3]),
  "nn.AdaptiveAvgPool2d(1)": () => new nn.AdaptiveAvgPool2d(1),
  "nn.MaxUnpool2d(3, stride=2, padding=1)": () => new nn.MaxUnpool2d(3, { stride: 2, padding: 1 }),
  "nn.Upsample(scale_factor=2, mode='nearest')": () => new nn.Upsample({ scaleFactor: 2, mode: "nearest" }),
  "nn.Upsample(size=(5, 7), mode='bilinear')": () => new nn.Upsample({ size: [5, 7], mode: "bilinear" }),
  "nn.PixelShuffle(2)": () => new nn.PixelShuffle(2),
  "nn.PixelUnshuffle(2)": () => new nn.PixelUnshuffle(2),
  "nn.BatchNorm3d(4)": () => new nn.BatchNorm3d(4),
  "nn.InstanceNorm3d(2)": () => new nn.InstanceNorm3d(2),
  "nn.ConvTranspose3d(2, 3, 2, stride=2)": () => new nn.ConvTranspose3d(2, 3, 2, { stride: 2 }),
  "nn.MaxUnpool1d(2)": () => new nn.MaxUnpool1d(2),
  "nn.MaxUnpool3d(2, stride=1)": () => new nn.MaxUnpool3d(2, { stride: 1 }),
  "nn.AdaptiveAvgPool3d(2)": () => new nn.AdaptiveAvgPool3d(2),
  "nn.AdaptiveMaxPool1d(3)": () => new nn.AdaptiveMaxPool1d(3),
  "nn.AdaptiveMaxPool2d((2, 3))": () => new nn.AdaptiveMaxPool2d([2, 3]),
  "nn.CrossEntropyLoss(label_smoothing=0.1)": () => new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }),
  "nn.HuberLoss(delta=2.0)": () => new nn.HuberLoss({ delta: 2 }),
  "nn.BCEWithLogitsLoss()": () => new nn.BCEWithLogitsLoss(),
  "nn.KLDivLoss(reduction='batchmean')": () => new nn.KLDivLoss({ reduction: "batchmean" }),
};

describe(`String(module) as PyTorch ${LAYERS.torch}'s repr`, () => {
  it("covers every module the reference printed", () => expect(Object.keys(built).sort()).toEqual(Object.keys(LAYERS.reprs).sort()));
  for (const [ctor, want] of Object.entries(LAYERS.reprs)) it(ctor, () => expect(String(built[ctor]!())).toBe(want));
});
