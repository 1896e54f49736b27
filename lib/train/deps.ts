/**
 * What the trainer needs from lib/losses and lib/models, as interfaces, plus loaders of the real
 * implementations. Tests may inject other implementations (e.g. a tiny fake network).
 */
import type { Tensor, Variable } from "../engine/index.ts";
import type { ModelOptions, SegmentationNetwork } from "../models/types.ts";
import { kdLoss, l2Loss, segmentationLoss } from "../losses/index.ts";
import { buildModel } from "../models/index.ts";
import type { AbsentClassPolicy } from "../losses/kd.ts";

/** The loss functions of eq. 5 (lib/losses). `target` is an int32 label map [B, H, W] / [B, D, H, W]. */
export interface TrainLossFns {
  /** Dice + weighted cross-entropy of one modality's batch (authors-code-notes section 4); scalar. */
  segmentationLoss(pred: Tensor, target: Tensor): Tensor;
  /** KD loss of eq. 2-4 between two modalities' batches; q's are [K, K] soft confusion matrices. */
  kdLoss(
    predA: Tensor,
    targetA: Tensor,
    predB: Tensor,
    targetB: Tensor,
    opts: { temperature: number; absentClass: AbsentClassPolicy },
  ): { loss: Tensor; qA: Tensor; qB: Tensor };
  /** Sum of ||w||^2 / 2 over the variables (tf.nn.l2_loss); scalar. */
  l2Loss(vars: Variable[]): Tensor;
}

export type ModelBuilder = (opts: ModelOptions) => SegmentationNetwork;

/** The real losses of lib/losses, adapted to `TrainLossFns`. */
export function realLosses(): TrainLossFns {
  return {
    segmentationLoss: (pred, target) => segmentationLoss(pred, target).loss,
    kdLoss: (predA, targetA, predB, targetB, o) => {
      const r = kdLoss(predA, targetA, predB, targetB, o);
      r.perClass.dispose();
      r.used.dispose();
      return { loss: r.loss, qA: r.qA, qB: r.qB };
    },
    l2Loss: (vars) => l2Loss(vars),
  };
}

/** The real `buildModel` from lib/models. */
export function realModelBuilder(): ModelBuilder {
  return buildModel;
}
