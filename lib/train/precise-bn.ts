/**
 * "Precise BN" (issue 26, hypothesis H1): after training, re-estimate every batch-norm layer's
 * moving statistics from many training batches instead of the exponential moving average
 * (decay 0.9) of one-patch batch statistics that training leaves behind.
 *
 * The network runs forward in training mode on batches drawn from the training source, exactly as
 * a training step does (`applyPair`: modality-specific layers see their own modality's patches,
 * shared ones both modalities' patches together); each batch-norm layer's input is observed through
 * `ApplyOptions.onNormInput` and reduced per channel (float64). Two estimates are kept per layer instance:
 *
 * - `pooled`: mean and population variance over every voxel of every batch the instance saw (Chan
 *   et al.'s pairwise combination of each batch's float64 moments). It includes the
 *   spread of the patch means, which one-patch training never normalizes with.
 * - `batch-average`: the plain average of the per-batch means and unbiased per-batch variances
 *   (n / (n - 1), as lib/engine/ops.ts updateMovingStats): what the moving average estimates,
 *   without its exponential weighting towards the last ~10 steps (fvcore's PreciseBN).
 *
 * One of them is written into the `moving_mean` / `moving_variance` variables; every other state
 * entry (weights, and the moving statistics not recomputed) is restored to its value before the
 * call, so the forward passes' own moving-average updates leave no trace.
 * @see Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm", Section 3 (PreciseBN)
 */
import { tf, type Tensor } from "../engine/tf.ts";
import { releaseState } from "./checkpoint.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { MODALITY_NAMES, type Modality, type SegmentationNetwork } from "../models/types.ts";
import type { BatchSource } from "./types.ts";

export type PreciseBnStatistic = "pooled" | "batch-average";
export const PRECISE_BN_STATISTICS: readonly PreciseBnStatistic[] = ["pooled", "batch-average"];

export interface PreciseBnOptions {
  /** Patches drawn per modality (rounded up to whole batches); default 200. */
  patches?: number;
  /** Patches per modality per forward pass; default 1 (the `cpu` profile's training batch). Shared layers see 2x this. */
  batchSize?: number;
  /** Which estimate is written into the moving statistics; default "pooled". */
  statistic?: PreciseBnStatistic;
  /**
   * "both" (default): pairs of batches through `applyPair`, every batch-norm instance recomputed.
   * 0 or 1: that modality's batches alone through `apply`; only the instances specific to it are
   * written (shared ones would see one modality only and are left as they were, listed in `skipped`).
   */
  modalities?: "both" | Modality;
  /** Seed of the dropout masks of forward pass k (k + this); default 0. */
  dropoutSeed?: number;
}

export const DEFAULT_PRECISE_BN_OPTIONS: Required<PreciseBnOptions> = { patches: 200, batchSize: 1, statistic: "pooled", modalities: "both", dropoutSeed: 0 };

/** The statistics of one batch-norm instance (a shared layer, or one modality's copy). */
export interface NormLayerStatistics {
  /** Layer name, e.g. `enc1_1/norm`. */
  layer: string;
  /** Which copy: "ct", "mri", or "shared" (one set of statistics for both modalities). */
  instance: "ct" | "mri" | "shared";
  /** The state names of its moving statistics. */
  movingMeanName: string;
  movingVarName: string;
  /** Batches (forward passes) that reached it, and voxels per channel over all of them. */
  batches: number;
  count: number;
  /** Pooled mean and population variance per channel [C]. */
  mean: Float64Array;
  variance: Float64Array;
  /** Average of the per-batch means and unbiased per-batch variances [C]. */
  batchMean: Float64Array;
  batchVariance: Float64Array;
  /** The moving statistics before the call [C]. */
  movingMeanBefore: Float64Array;
  movingVarBefore: Float64Array;
}

export interface PreciseBnResult {
  /** Patches drawn per modality, forward passes, and the estimate written. */
  patches: number;
  forwardPasses: number;
  statistic: PreciseBnStatistic;
  layers: NormLayerStatistics[];
  /** State names written. */
  written: string[];
  /** Shared instances not written because only one modality was run. */
  skipped: string[];
}

interface Acc {
  layer: string;
  instance: "ct" | "mri" | "shared";
  batches: number;
  n: number;
  mean: Float64Array;
  m2: Float64Array;
  sumBatchMean: Float64Array;
  sumBatchVar: Float64Array;
}

/**
 * Per-channel mean and population variance of channels-last data, in float64 (two passes: the
 * mean, then the squared deviations from it). Plain loops over the host copy: much cheaper than
 * tf.moments on large activations of the host backends.
 */
export function channelMoments(d: Float32Array, C: number): { mean: Float64Array; variance: Float64Array } {
  const n = d.length / C;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let i = 0; i < d.length; i += C) for (let c = 0; c < C; c++) mean[c] = mean[c]! + d[i + c]!;
  for (let c = 0; c < C; c++) mean[c] = mean[c]! / n;
  for (let i = 0; i < d.length; i += C) {
    for (let c = 0; c < C; c++) {
      const e = d[i + c]! - mean[c]!;
      variance[c] = variance[c]! + e * e;
    }
  }
  for (let c = 0; c < C; c++) variance[c] = variance[c]! / n;
  return { mean, variance };
}

/** Merge one batch's per-channel moments (count nb, mean mb, population variance vb) into acc. */
function mergeBatch(acc: Acc, nb: number, mb: ArrayLike<number>, vb: ArrayLike<number>): void {
  const n = acc.n + nb;
  for (let c = 0; c < acc.mean.length; c++) {
    const delta = mb[c]! - acc.mean[c]!;
    acc.mean[c] = acc.mean[c]! + (delta * nb) / n;
    acc.m2[c] = acc.m2[c]! + vb[c]! * nb + (delta * delta * acc.n * nb) / n;
    acc.sumBatchMean[c] = acc.sumBatchMean[c]! + mb[c]!;
    acc.sumBatchVar[c] = acc.sumBatchVar[c]! + (nb > 1 ? (vb[c]! * nb) / (nb - 1) : vb[c]!);
  }
  acc.n = n;
  acc.batches++;
}

/**
 * Write one estimate of a {@link recomputeNormStatistics} result into `model`'s moving statistics
 * (e.g. the other estimate than the one the call wrote, after restoring the trained weights).
 * Every other state entry keeps its current value.
 * @param layers `PreciseBnResult.layers`; instances named in `skip` are left alone
 * @returns the state names written
 */
export function setNormStatistics(model: SegmentationNetwork, layers: readonly NormLayerStatistics[], statistic: PreciseBnStatistic, skip: readonly string[] = []): string[] {
  oneOf("setNormStatistics: statistic", statistic, PRECISE_BN_STATISTICS);
  const state = model.getState();
  const next = new Map<string, Tensor>();
  const written: string[] = [];
  try {
    for (const l of layers) {
      if (skip.includes(l.movingMeanName)) continue;
      const mm = state.get(l.movingMeanName);
      const mv = state.get(l.movingVarName);
      if (!mm || !mv) throw new OptionError("setNormStatistics: layers", l.movingMeanName, `moving statistics of this ${model.options.network}/${model.options.setting} network`);
      const [m, v] = statistic === "pooled" ? [l.mean, l.variance] : [l.batchMean, l.batchVariance];
      next.set(l.movingMeanName, tf.tensor(Float32Array.from(m), mm.shape, "float32"));
      next.set(l.movingVarName, tf.tensor(Float32Array.from(v), mv.shape, "float32"));
      written.push(l.movingMeanName, l.movingVarName);
    }
    model.setState(new Map([...state].map(([n, t]) => [n, next.get(n) ?? t])));
    return written;
  } finally {
    tf.dispose([...next.values()]);
    releaseState(state);
  }
}

/**
 * Re-estimate the batch-norm moving statistics of `model` from training batches (precise BN).
 *
 * @param model a network with `norm: "batch"`; its moving statistics are replaced in place
 * @param source the training source (lib/train/batch-source.ts CaseBatchSource for a stored run);
 *   `ceil(patches / batchSize)` batches are drawn per modality run, advancing its counters
 * @param options see {@link PreciseBnOptions}
 * @returns per layer instance the pooled and batch-average statistics and the previous moving ones
 * @throws OptionError if the network has no batch norm or an option is out of range
 * @example const res = recomputeNormStatistics(model, new CaseBatchSource(data.train, "3d", 0, { depth: 16 }), { patches: 200 });
 * @remarks Forward passes run in training mode (batch statistics, dropout on with seeded masks), as
 *   in PreciseBN: the inputs of a layer are those of training, where earlier layers normalize with
 *   their batch statistics, not the recomputed ones.
 */
export function recomputeNormStatistics(model: SegmentationNetwork, source: BatchSource, options: PreciseBnOptions = {}): PreciseBnResult {
  const o = { ...DEFAULT_PRECISE_BN_OPTIONS, ...options };
  if (model.options.norm !== "batch") throw new OptionError("recomputeNormStatistics: model norm", model.options.norm, "batch (only batch norm keeps moving statistics)");
  oneOf("recomputeNormStatistics: statistic", o.statistic, PRECISE_BN_STATISTICS);
  if (o.modalities !== "both" && o.modalities !== 0 && o.modalities !== 1) throw new OptionError("recomputeNormStatistics: modalities", o.modalities, ["both", 0, 1]);
  for (const k of ["patches", "batchSize"] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new OptionError(`recomputeNormStatistics: ${k}`, o[k], "a positive integer");
  }
  const passes = Math.ceil(o.patches / o.batchSize);
  const accs = new Map<string, Acc>();
  const observe = (layer: string, modality: Modality | null, x: Tensor): void => {
    const instance = modality === null ? "shared" : MODALITY_NAMES[modality];
    const key = `${layer}|${instance}`;
    const C = x.shape[x.rank - 1]!;
    let acc = accs.get(key);
    if (!acc) {
      const z = () => new Float64Array(C);
      acc = { layer, instance, batches: 0, n: 0, mean: z(), m2: z(), sumBatchMean: z(), sumBatchVar: z() };
      accs.set(key, acc);
    }
    const { mean, variance } = channelMoments(x.dataSync() as Float32Array, C);
    mergeBatch(acc, x.size / C, mean, variance);
  };
  const before = model.getState();
  try {
    for (let k = 0; k < passes; k++) {
      const opts = { dropoutSeed: o.dropoutSeed + k, onNormInput: observe };
      const batchOf = (m: Modality) => {
        const b = source.next(m, o.batchSize);
        return tf.tensor(b.x, b.xShape, "float32");
      };
      tf.tidy(() => {
        if (o.modalities === "both") model.applyPair(batchOf(0), batchOf(1), true, opts);
        else model.apply(batchOf(o.modalities), o.modalities, true, opts);
      });
    }
    const layers: NormLayerStatistics[] = [];
    const skipped: string[] = [];
    for (const acc of accs.values()) {
      const suffix = acc.instance === "shared" ? "" : `/${acc.instance}`;
      const movingMeanName = `${acc.layer}/moving_mean${suffix}`;
      const movingVarName = `${acc.layer}/moving_variance${suffix}`;
      const mm = before.get(movingMeanName);
      const mv = before.get(movingVarName);
      if (!mm || !mv) throw new Error(`recomputeNormStatistics: internal: no state entries ${movingMeanName} / ${movingVarName}`);
      layers.push({
        layer: acc.layer, instance: acc.instance, movingMeanName, movingVarName, batches: acc.batches, count: acc.n,
        mean: acc.mean, variance: acc.m2.map((v) => v / acc.n),
        batchMean: acc.sumBatchMean.map((v) => v / acc.batches), batchVariance: acc.sumBatchVar.map((v) => v / acc.batches),
        movingMeanBefore: Float64Array.from(mm.dataSync()), movingVarBefore: Float64Array.from(mv.dataSync()),
      });
      if (acc.instance === "shared" && o.modalities !== "both") skipped.push(movingMeanName, movingVarName);
    }
    // every entry back to its value before the forward passes (their moving-average updates undone), then the estimate
    model.setState(before);
    const written = setNormStatistics(model, layers, o.statistic, skipped);
    return { patches: passes * o.batchSize, forwardPasses: passes, statistic: o.statistic, layers, written, skipped };
  } catch (e) {
    model.setState(before);
    throw e;
  } finally {
    releaseState(before);
  }
}
