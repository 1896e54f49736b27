// Public API of lib/models (barrel).
export * from "./types.ts";
export { buildModel, countParams, describeModel, resolveModelOptions } from "./network.ts";
export { SHARING, SEGMENTS, isPerModality, countFromSpecs, type Segment, type SharingRule, type ParamSpec, type ParamRole } from "./sharing.ts";
export { normalize, groupCount, DEFAULT_NORM_EPSILON, DEFAULT_NORM_MOMENTUM, DEFAULT_NORM_GROUPS, type NormParams, type NormApplyOptions } from "./norm.ts";
export { phaseShift } from "./tensor_ctx.ts";
export { dilated2dChannels, DILATED2D_STRIDE } from "./dilated2d.ts";
export { unet3dBase, UNET3D_STRIDE } from "./unet3d.ts";
export { paperParams, UNET3D_PAPER_NOTE } from "./paper_params.ts";
export { ModalityNorm, modalityNorm, type ModalityNormArgs } from "./modality_norm_layer.ts";
