/**
 * Functional normalization (paper eq. 1) over channels-last tensors: batch, instance, layer and
 * group normalization (Table V), each with a per-channel scale gamma and shift beta. Batch norm
 * also keeps moving statistics (decay 0.9) used at test time.
 */
import { tf, type Tensor, type Tensor1D, type Variable } from "../engine/tf.ts";
import { batchNormTraining, groupNorm, updateMovingStats } from "../engine/ops.ts";
import { ShapeError } from "../util/errors.ts";
import type { NormKind } from "./types.ts";

/** TF contrib defaults: batch_norm 1e-3, instance_norm 1e-6, layer_norm 1e-12, group_norm 1e-6. */
export const DEFAULT_NORM_EPSILON: Readonly<Record<NormKind, number>> = { batch: 1e-3, instance: 1e-6, layer: 1e-12, group: 1e-6 };
export const DEFAULT_NORM_MOMENTUM = 0.9;
export const DEFAULT_NORM_GROUPS = 32;

export interface NormParams {
  gamma: Tensor;
  beta: Tensor;
  /** Batch norm only. */
  movingMean?: Variable;
  /** Batch norm only. */
  movingVar?: Variable;
}

export interface NormApplyOptions {
  kind: NormKind;
  training: boolean;
  epsilon?: number;
  /** Moving-average decay: moving = decay * moving + (1 - decay) * batch; default 0.9. */
  momentum?: number;
  /** Group norm: the largest divisor of C that is <= this; default 32. */
  groups?: number;
}

/** Number of groups actually used for C channels: the largest divisor of C not above `groups`. */
export function groupCount(c: number, groups: number): number {
  for (let g = Math.min(groups, c); g >= 1; g--) if (c % g === 0) return g;
  return 1;
}

/**
 * Normalizes x [B, ...spatial, C] with gamma, beta [C].
 *
 * - batch, training: statistics over all axes but C (this call's batch); the moving statistics
 *   are updated in place: moving_mean <- m * moving_mean + (1 - m) * mean, moving_var likewise
 *   with the unbiased batch variance (n / (n - 1), as TF's fused batch norm and PyTorch).
 * - batch, inference: the moving statistics.
 * - instance: per sample and channel over the spatial axes (train and test alike).
 * - layer: per sample over all spatial axes and channels.
 * - group: per sample over the spatial axes and the C/G channels of each group.
 *
 * Instance, layer and group norm are all group normalization (G = C, 1, groupCount(C, groups))
 * and run as the engine's fused `groupNorm` op (lib/engine/ops.ts).
 *
 * @returns y, shape of x
 * @throws ShapeError if gamma/beta do not have C entries, or batch norm lacks moving statistics
 */
export function normalize(x: Tensor, p: NormParams, o: NormApplyOptions): Tensor {
  const rank = x.rank;
  const C = x.shape[rank - 1]!;
  if (p.gamma.size !== C || p.beta.size !== C) throw new ShapeError(`normalize: gamma/beta must have ${C} entries, got ${p.gamma.size}/${p.beta.size}`);
  const eps = o.epsilon ?? DEFAULT_NORM_EPSILON[o.kind];
  if (o.kind === "batch") {
    if (!p.movingMean || !p.movingVar) throw new ShapeError("normalize: batch norm needs movingMean and movingVar");
    if (!o.training) return tf.batchNorm(x, p.movingMean, p.movingVar, p.beta, p.gamma, eps);
    const { y, mean, variance } = batchNormTraining(x, p.gamma as Tensor1D, p.beta as Tensor1D, eps);
    const n = x.size / C;
    const m = o.momentum ?? DEFAULT_NORM_MOMENTUM;
    updateMovingStats(p.movingMean, p.movingVar, mean, variance, m, n);
    mean.dispose();
    variance.dispose();
    return y;
  }
  // instance: G = C, layer: G = 1, group: G = groupCount(C, groups); one fused kernel each way
  const G = o.kind === "instance" ? C : o.kind === "layer" ? 1 : groupCount(C, o.groups ?? DEFAULT_NORM_GROUPS);
  return groupNorm(x, p.gamma, p.beta, G, eps);
}
