/**
 * Validation during training: per-modality pooled Dice of argmax predictions (overlaps and voxel
 * counts summed over the whole validation set, then one Dice per class: nnU-Net's "pseudo Dice",
 * not the per-case mean of the paper's tables; lib/metrics/dice.ts), segmentation losses and
 * the KD loss with its soft confusion matrices q^a, q^b on fixed validation batches, with
 * normalization in eval mode (moving statistics) and no dropout. Figure 7 plots the KD value over
 * steps, Figure 8 the q matrices.
 */
import { tf, type Tensor, type Tensor1D } from "../engine/index.ts";
import type { Modality, SegmentationNetwork } from "../models/types.ts";
import { DiceAccumulator } from "../metrics/dice.ts";
import type { TrainConfig } from "./config.ts";
import type { TrainLossFns } from "./deps.ts";
import type { Batch, LogRecord, ValidationSet } from "./types.ts";

/** Batch -> tensors: x float32 of xShape, y int32 of yShape. The caller disposes. */
export function batchTensors(b: Batch): { x: Tensor; y: Tensor } {
  return { x: tf.tensor(b.x, b.xShape, "float32"), y: tf.tensor(Int32Array.from(b.y), b.yShape, "int32") };
}

/**
 * Per-class overlap counts of argmax(pred) and target, summed over the batch.
 * Target values >= K (ignore labels) count as background, as the authors' evaluation does (gt > 4 -> 0).
 * @param pred logits [..., K]
 * @param target int32 labels with pred's shape minus the last axis
 */
export async function diceCounts(pred: Tensor, target: Tensor, numClasses: number): Promise<{ inter: number[]; predSum: number[]; targetSum: number[] }> {
  // one [3, K] tensor, one asynchronous read (a device backend cannot read synchronously)
  const counts = tf.tidy(() => {
    const p = tf.oneHot(tf.cast(tf.reshape(tf.argMax(pred, -1), [-1]), "int32") as Tensor1D, numClasses);
    const t = tf.oneHot(tf.cast(tf.reshape(target, [-1]), "int32") as Tensor1D, numClasses);
    return tf.stack([tf.sum(tf.mul(p, t), 0), tf.sum(p, 0), tf.sum(t, 0)]);
  });
  const v = await readAndDispose(counts);
  const row = (r: number) => Array.from(v.subarray(r * numClasses, (r + 1) * numClasses));
  return { inter: row(0), predSum: row(1), targetSum: row(2) };
}

/** A tensor's values as float32, read with `await t.data()`; disposes the tensor. */
async function readAndDispose(t: Tensor): Promise<Float32Array> {
  try {
    return Float32Array.from((await t.data()) as Float32Array);
  } finally {
    t.dispose();
  }
}

/**
 * Evaluate the validation set. Batches of the two modalities are paired by index for the KD loss
 * (its class means are per batch, eq. 2); Dice counts are pooled over all of a modality's batches
 * (`DiceAccumulator("pooled")`); losses and q matrices are averaged over batches / pairs.
 */
export async function validate(
  model: SegmentationNetwork,
  losses: TrainLossFns,
  config: TrainConfig,
  val: ValidationSet,
  step: number,
): Promise<Extract<LogRecord, { type: "val" }>> {
  const K = model.options.numClasses;
  const dice = [0, 1].map(() => new DiceAccumulator("pooled", { numClasses: K }));
  const seg = [0, 0];
  const n = [val.batches[0].length, val.batches[1].length];
  let kdSum = 0;
  let pairs = 0;
  const qSum: number[][][] = [[], []];
  const nMax = Math.max(n[0]!, n[1]!);
  for (let i = 0; i < nMax; i++) {
    const logits: (Tensor | undefined)[] = [undefined, undefined];
    const targets: (Tensor | undefined)[] = [undefined, undefined];
    try {
      for (const m of [0, 1] as Modality[]) {
        const b = val.batches[m][i];
        if (!b) continue;
        const { x, y } = batchTensors(b);
        targets[m] = y;
        logits[m] = tf.tidy(() => model.apply(x, m, false));
        x.dispose();
        const c = await diceCounts(logits[m]!, y, K);
        dice[m]!.add({ intersection: c.inter, predVoxels: c.predSum, targetVoxels: c.targetSum });
        seg[m]! += (await readAndDispose(tf.tidy(() => losses.segmentationLoss(logits[m]!, y))))[0]!;
      }
      if (logits[0] && logits[1]) {
        const o = tf.tidy(() => {
          const o = losses.kdLoss(logits[0]!, targets[0]!, logits[1]!, targets[1]!, { temperature: config.temperature, absentClass: config.absentClass });
          return [o.loss, o.qA, o.qB] as const;
        });
        const [kdV, qAV, qBV] = await Promise.all(o.map(readAndDispose));
        const rows = (v: Float32Array, shape: number[]) => Array.from({ length: shape[0]! }, (_, a) => Array.from(v.subarray(a * shape[1]!, (a + 1) * shape[1]!)));
        const r = { kd: kdV![0]!, qA: rows(qAV!, o[1].shape), qB: rows(qBV!, o[2].shape) };
        kdSum += r.kd;
        pairs++;
        for (const [m, q] of [r.qA, r.qB].entries()) {
          if (!qSum[m]!.length) qSum[m] = q.map((row) => row.map(() => 0));
          q.forEach((row, a) => row.forEach((v, b) => (qSum[m]![a]![b]! += v)));
        }
      }
    } finally {
      for (const t of [...logits, ...targets]) t?.dispose();
    }
  }
  const pooled = dice.map((d) => d.aggregate());
  const avgQ = (m: number) => qSum[m]!.map((row) => row.map((v) => v / Math.max(pairs, 1)));
  return {
    type: "val",
    step,
    diceCt: pooled[0]!.mean,
    diceMri: pooled[1]!.mean,
    diceCtPerClass: pooled[0]!.perClass,
    diceMriPerClass: pooled[1]!.perClass,
    kd: pairs ? kdSum / pairs : NaN,
    segCt: n[0] ? seg[0]! / n[0]! : NaN,
    segMri: n[1] ? seg[1]! / n[1]! : NaN,
    qCt: avgQ(0),
    qMri: avgQ(1),
  };
}
