// Public API of lib/losses (barrel).
export { toOneHot, type LabelInput } from "./labels.ts";
export {
  segmentationLoss,
  DEFAULT_SEGMENTATION_LOSS_OPTIONS,
  IGNORE_MODES,
  type IgnoreMode,
  type SegmentationLossOptions,
  type SegmentationLossResult,
} from "./segmentation.ts";
export { kdLoss, DEFAULT_KD_LOSS_OPTIONS, ABSENT_CLASS_POLICIES, type AbsentClassPolicy, type KdLossOptions, type KdLossResult } from "./kd.ts";
export { l2Loss } from "./l2.ts";
export { totalLoss, defaultEta, DEFAULT_ALPHA, ALPHA_RANGE, type TotalLossTerms, type TotalLossOptions } from "./total.ts";
