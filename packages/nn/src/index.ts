// @tapegrad/nn: modules, the composed LSTM/GRU, losses, optimizers, serialization, and the
// closed-form LSTM of the course notebook.

import "./print.js"; // String(model), console.log(model): PyTorch's print(model), attached to the classes

export { Module, Parameter, StateDictError, checkInputDType, type StateDict, type ModuleOptions } from "./module.js";
export { manualSeed, getDefaultRng, uniform, normal } from "./init.js";
export {
  init, kaimingUniform, kaimingNormal, xavierUniform, xavierNormal, orthogonal, calculateGain,
  type InitOptions, type KaimingOptions, type GainOptions, type FanMode, type Nonlinearity as InitNonlinearity,
} from "./init.js";
export { Linear, Embedding, Dropout, ReLU, Tanh, Sigmoid, Sequential, type LayerOptions } from "./layers.js";
export { ModuleList, ModuleDict } from "./containers.js";
export {
  LSTMCell, LSTM, GRUCell, GRU, notebookLayout,
  type LSTMCellOptions, type RecurrentOptions, type StackOptions, type SequenceOptions, type NotebookParams,
} from "./recurrent.js";
export {
  lstmCellForward, lstmForward, lstmCellBackward, lstmBackward,
  type LSTMParameters, type LSTMCellCache, type LSTMCaches, type LSTMCellForwardResult, type LSTMForwardResult,
  type LSTMForwardOptions, type LSTMBackwardOptions, type LSTMGateGradients, type LSTMCellGradients, type LSTMGradients,
} from "./closed-form.js";
export { lstmFused } from "./fused.js";
export {
  mseLoss, crossEntropy, nllLoss, binaryCrossEntropyWithLogits,
  type Reduction, type ClassTarget, type WeightLike, type NumberArray, type MSELossOptions,
  type NLLLossOptions, type CrossEntropyOptions, type BCEWithLogitsOptions,
} from "./losses.js";
export {
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, CosineEmbeddingLoss, BCELoss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss,
  type LossWeight, type BCELossModuleOptions, type BCEWithLogitsLossModuleOptions, type ClassLossModuleOptions,
} from "./loss-modules.js";
export {
  binaryCrossEntropy, l1Loss, smoothL1Loss, huberLoss, klDivLoss, cosineEmbeddingLoss,
  type BCELossOptions, type SmoothL1LossOptions, type HuberLossOptions, type KLDivLossOptions, type CosineEmbeddingLossOptions,
} from "./losses.js";
export {
  Optimizer, SGD, Adam, AdamW,
  type SGDOptions, type AdamOptions, type SGDArgs, type AdamArgs, type ParamGroup, type ParamGroupInput, type ParamsArg, type ParamState,
  type OptimizerStateDict, type OptimizerMeta,
} from "./optim.js";
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR, OneCycleLR, SequentialLR,
  ReduceLROnPlateau, type ReduceLROnPlateauOptions, type ReduceLROnPlateauStateDict,
  type SchedulerStateDict, type OneCycleLROptions, type LrLambda,
} from "./schedulers.js";
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from "./clip.js";
export { type PositionalArgs } from "./positional.js";
export {
  saveSafetensors, loadSafetensors, parseSafetensors, loadSafetensorsInto, SafetensorsError, SAFETENSORS_MAX_HEADER_SIZE,
  type SafetensorsErrorKind, type SaveSafetensorsOptions, type FloatFileDType, type SafetensorsFile, type StateDictModule,
} from "./safetensors.js";
export {
  saveCheckpoint, loadCheckpoint, readCheckpointInfo, CheckpointError, type CheckpointInfo,
  type SaveCheckpointOptions, type LoadCheckpointOptions, type LoadedCheckpoint, type CheckpointScheduler,
} from "./checkpoint.js";
export { GELU, SiLU, Softmax, LogSoftmax, Flatten, Identity, gelu, silu } from "./activations.js";
export {
  LeakyReLU, ELU, CELU, SELU, ReLU6, Hardtanh, Hardswish, Hardsigmoid, Softplus, Softsign, Mish, LogSigmoid, Softmin,
  leakyRelu, elu, celu, selu, relu6, hardtanh, hardswish, hardsigmoid, softplus, softsign, mish, logSigmoid, softmin,
} from "./activations.js";
export { LayerNorm, type LayerNormOptions } from "./norm.js";
export { GroupNorm, type GroupNormOptions } from "./norm.js";
export { BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d, type BatchNormOptions, type InstanceNormOptions } from "./batch-norm.js";
export { BatchNorm3d, InstanceNorm3d } from "./batch-norm.js";
export { Conv1d, Conv2d, type ConvOptions, type IntOrTuple } from "./conv.js";
export { Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, type ConvTransposeOptions, type PadPairs } from "./conv.js";
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, type PoolOptions, type MaxPoolOptions, type AvgPoolOptions } from "./pool.js";
export { MaxPool3d, AvgPool3d, MaxUnpool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d } from "./pool.js";
export { MaxUnpool1d, MaxUnpool3d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d } from "./pool.js";
export { interpolate, Upsample, PixelShuffle, PixelUnshuffle, type InterpolateMode, type InterpolateOptions } from "./upsample.js";
export { sampleLogits, topKFilter, topPFilter, type SampleOptions } from "./sampling.js";
export {
  conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, maxPool1d, maxPool2d, maxPool3d, avgPool1d, avgPool2d, avgPool3d,
  adaptiveAvgPool1d, adaptiveAvgPool2d, maxUnpool2d, pixelShuffle, pixelUnshuffle, batchNorm, groupNorm,
  convTranspose3d, adaptiveAvgPool3d, adaptiveMaxPool1d, adaptiveMaxPool2d,
  type ConvFnOptions, type ConvTransposeFnOptions, type BatchNormFnOptions,
} from "./functional.js";
export { RNNCell, RNN, type RNNCellOptions, type RNNOptions, type Nonlinearity } from "./rnn.js";
export { MultiheadAttention, causalMask, type MultiheadAttentionOptions, type AttentionForwardOptions, type AttentionMask } from "./attention.js";
export { scaledDotProductAttention, type SDPAOptions } from "./attention.js";
export { TransformerEncoderLayer, type TransformerEncoderLayerOptions, type EncoderForwardOptions } from "./transformer.js";
export { formatModule } from "./print.js";
export { summary, type ModelSummary, type SummaryRow } from "./summary.js";
export {
  TensorDataset, DataLoader, defaultCollate, padSequence, sequenceLengths, Vocab, DataError,
  type Dataset, type DataLoaderOptions, type Collated, type PadSequenceOptions, type VocabOptions,
} from "./data.js";
