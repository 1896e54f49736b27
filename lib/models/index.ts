/**
 * lib/models: the paper's two networks under the seven settings of Section IV-B.
 *
 * Design (see each file for details):
 * - Functional over tf.Variables, not tf.layers: each network's forward code is written once
 *   against `Ctx` (context.ts); traced on shapes it gives the layer description (`describeModel`,
 *   exact full-scale `countParams` without allocation), run on tensors it is the forward pass.
 *   `ModalityNorm` (modality-norm-layer.ts) offers the same normalization as a registered
 *   tf.layers Layer for Keras-style models.
 * - Settings come from one table (sharing.ts): segments (encoder/bottleneck/decoder) with a copy
 *   per modality, and whether the normalization of shared layers is per modality. 2D: encoder =
 *   groups 1-4, bottleneck = 5-7, decoder = 8-10 + output (reproduces Table I exactly). 3D:
 *   encoder = levels 1-3, bottleneck = level 4, decoder = up3..head (Y - Joint = 208,464, as the
 *   paper's 208K; see paper-params.ts for why the 3D totals differ from Table II).
 * - `applyPair` runs layers whose parameters are all shared on the concatenated batch (so Joint's
 *   shared BN uses both modalities' statistics) and modality-specific layers per modality.
 * - Sub-pixel layer: the released code's channel order for batch > 1 (tensor-ctx.ts `phaseShift`).
 * - Init: truncated normal std 0.01 by default (released code); `init: "he"` for faster small-scale
 *   training. BN: decay 0.9, eps 1e-3, moving variance updated with the unbiased batch variance.
 * - 3D transposed convs with a depth-1 kernel and stride 2 on the slice axis (the notes' quirk) are
 *   computed as stride-1 + zero interleave (identical result, tested against a loop).
 */
export * from "./types.ts";
export { buildModel, countParams, describeModel, resolveModelOptions } from "./network.ts";
export { SHARING, SEGMENTS, isPerModality, countFromSpecs, type Segment, type SharingRule, type ParamSpec, type ParamRole } from "./sharing.ts";
export { normalize, groupCount, DEFAULT_NORM_EPSILON, DEFAULT_NORM_MOMENTUM, DEFAULT_NORM_GROUPS, type NormParams, type NormApplyOptions } from "./norm.ts";
export { phaseShift } from "./tensor-ctx.ts";
export { dilated2dChannels, DILATED2D_STRIDE } from "./dilated2d.ts";
export { unet3dBase, UNET3D_STRIDE } from "./unet3d.ts";
export { paperParams, UNET3D_PAPER_NOTE } from "./paper-params.ts";
export { ModalityNorm, modalityNorm, type ModalityNormArgs } from "./modality-norm-layer.ts";
