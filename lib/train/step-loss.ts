/**
 * The training objective of one step, eq. 5, as one graph: both modalities through the network
 * (`applyPair`, so shared normalization layers see both batches), the segmentation losses, the KD
 * loss of eq. 2-4, the L2 term, and their weighted sum by `totalLoss` (lib/losses/total.ts). The
 * trainer differentiates it and `ummkd bench train-step` times it.
 */
import type { Scalar } from "@tensorflow/tfjs-core";
import type { Tensor } from "../engine/index.ts";
import { totalLoss } from "../losses/total.ts";
import type { SegmentationNetwork } from "../models/types.ts";
import type { TrainConfig } from "./config.ts";
import type { TrainLossFns } from "./deps.ts";

/** The weights (alpha, eta) and KD options (temperature T, absent-class policy) of eq. 5, as in TrainConfig. */
export type StepLossOptions = Pick<TrainConfig, "alpha" | "eta" | "temperature" | "absentClass"> & {
  /** Seed of this step's dropout masks (see `stepSeed`). */
  dropoutSeed?: number;
};

/** The scalar terms of eq. 5 and their weighted sum. */
export interface StepLossTerms {
  total: Scalar;
  segCt: Tensor;
  segMri: Tensor;
  kd: Tensor;
  l2: Tensor;
}

/**
 * Eq. 5 for one pair of batches, in training mode. Call inside `tf.variableGrads` / `tf.tidy`; the
 * KD term is computed for the log even when alpha = 0 (then it does not enter the total).
 * @param ct CT batch: x [B, ...spatial, C] float32, y [B, ...spatial] int32
 * @param mri MRI batch, same layout
 * @see Dou et al. 2020 eq. 5
 */
export function stepLoss(
  model: SegmentationNetwork,
  losses: TrainLossFns,
  ct: { x: Tensor; y: Tensor },
  mri: { x: Tensor; y: Tensor },
  o: StepLossOptions,
): StepLossTerms {
  const [lCt, lMri] = model.applyPair(ct.x, mri.x, true, o.dropoutSeed !== undefined ? { dropoutSeed: o.dropoutSeed } : {});
  const segCt = losses.segmentationLoss(lCt, ct.y);
  const segMri = losses.segmentationLoss(lMri, mri.y);
  const kd = losses.kdLoss(lCt, ct.y, lMri, mri.y, { temperature: o.temperature, absentClass: o.absentClass }).loss;
  const l2 = losses.l2Loss(model.regularizedVariables());
  const total = totalLoss({ segA: segCt, segB: segMri, kd, l2 }, { alpha: o.alpha, eta: o.eta }) as Scalar;
  return { total, segCt, segMri, kd, l2 };
}
