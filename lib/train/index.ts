// Public API of lib/train (barrel): trainer, configs and presets, checkpoints, progress, inference.
export type { Batch, Batch as TrainBatch, BatchSource, ValidationSet, StepLosses, LogRecord, TrainProgress, TrainResult } from "./types.ts";
export {
  TRAINER_PRESETS,
  TRAINER_PRESET_NAMES,
  TRAIN_CONFIG_SPEC,
  defaultTrainConfig,
  resolveTrainConfig,
  validateTrainConfig,
  type TrainConfig,
  type TrainConfigInput,
  type TrainerPreset,
  type TrainerPresetName,
} from "./config.ts";
export { checkObject, checkField, type FieldSpec, type ObjectSpec } from "./check.ts";
export { learningRateAt, type LrSchedule } from "./schedule.ts";
export { train, stepSeed, type TrainOptions, type TrainSources, type TrainRunResult } from "./trainer.ts";
export { realLosses, realModelBuilder, type TrainLossFns, type ModelBuilder } from "./deps.ts";
export { validate, batchTensors } from "./validation.ts";
export { stepLoss, type StepLossOptions, type StepLossTerms } from "./step-loss.ts";
export {
  CHECKPOINT_DIR,
  findCheckpoint,
  saveCheckpoint,
  readTrainerState,
  loadModelState,
  loadOptimizerState,
  loadTrainedModel,
  releaseState,
  type TrainerState,
} from "./checkpoint.ts";
export { checkResumeCompatible, assertResumable, changedFields, runLockPath, RESUMABLE_CHANGES } from "./resume.ts";
export { createProgress, detectProgressMode, formatProgress, type ProgressMode, type ProgressReporter, type ProgressOptions } from "./progress.ts";
export { CaseBatchSource, validationSet, classSlices, type SampleMode, type SamplingOptions } from "./batch-source.ts";
export { predictVolume2D5, predictVolume3D, padTo, type Predict2D5Options, type Predict3DOptions } from "./predict.ts";
export {
  recomputeNormStatistics,
  setNormStatistics,
  PRECISE_BN_STATISTICS,
  DEFAULT_PRECISE_BN_OPTIONS,
  type PreciseBnOptions,
  type PreciseBnResult,
  type PreciseBnStatistic,
  type NormLayerStatistics,
} from "./precise-bn.ts";
export { measureClassPresence, type ClassPresenceOptions, type ClassPresenceResult } from "./class-presence.ts";
