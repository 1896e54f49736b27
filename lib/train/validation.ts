/**
 * Validation during training: per-modality Dice of argmax predictions, segmentation losses and
 * the KD loss with its soft confusion matrices q^a, q^b on fixed validation batches, with
 * normalization in eval mode (moving statistics) and no dropout. Figure 7 plots the KD value over
 * steps, Figure 8 the q matrices.
 */
import { tf, type Tensor, type Tensor1D } from "../engine/index.ts";
import type { Modality, SegmentationNetwork } from "../models/types.ts";
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
export function diceCounts(pred: Tensor, target: Tensor, numClasses: number): { inter: number[]; predSum: number[]; targetSum: number[] } {
  return tf.tidy(() => {
    const p = tf.oneHot(tf.cast(tf.reshape(tf.argMax(pred, -1), [-1]), "int32") as Tensor1D, numClasses);
    const t = tf.oneHot(tf.cast(tf.reshape(target, [-1]), "int32") as Tensor1D, numClasses);
    const inter = tf.sum(tf.mul(p, t), 0).arraySync() as number[];
    const predSum = tf.sum(p, 0).arraySync() as number[];
    const targetSum = tf.sum(t, 0).arraySync() as number[];
    return { inter, predSum, targetSum };
  });
}

/** Dice per foreground class 1..K-1 from accumulated counts (NaN where pred and target are both empty). */
export function diceFromCounts(c: { inter: number[]; predSum: number[]; targetSum: number[] }): number[] {
  const out: number[] = [];
  for (let k = 1; k < c.inter.length; k++) {
    const d = c.predSum[k]! + c.targetSum[k]!;
    out.push(d === 0 ? NaN : (2 * c.inter[k]!) / d);
  }
  return out;
}

function nanMean(a: number[]): number {
  const v = a.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

/**
 * Evaluate the validation set. Batches of the two modalities are paired by index for the KD loss
 * (its class means are per batch, eq. 2); Dice counts are accumulated over all of a modality's
 * batches; losses and q matrices are averaged over batches / pairs.
 */
export function validate(
  model: SegmentationNetwork,
  losses: TrainLossFns,
  config: TrainConfig,
  val: ValidationSet,
  step: number,
): Extract<LogRecord, { type: "val" }> {
  const K = model.options.numClasses;
  const counts = [0, 1].map(() => ({ inter: new Array(K).fill(0), predSum: new Array(K).fill(0), targetSum: new Array(K).fill(0) }));
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
        const c = diceCounts(logits[m]!, y, K);
        for (let k = 0; k < K; k++) {
          counts[m]!.inter[k] += c.inter[k]!;
          counts[m]!.predSum[k] += c.predSum[k]!;
          counts[m]!.targetSum[k] += c.targetSum[k]!;
        }
        seg[m]! += tf.tidy(() => losses.segmentationLoss(logits[m]!, y).dataSync()[0]!);
      }
      if (logits[0] && logits[1]) {
        const r = tf.tidy(() => {
          const o = losses.kdLoss(logits[0]!, targets[0]!, logits[1]!, targets[1]!, { temperature: config.temperature, absentClass: config.absentClass });
          return { kd: o.loss.dataSync()[0]!, qA: o.qA.arraySync() as number[][], qB: o.qB.arraySync() as number[][] };
        });
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
  const perClass = counts.map(diceFromCounts);
  const avgQ = (m: number) => qSum[m]!.map((row) => row.map((v) => v / Math.max(pairs, 1)));
  return {
    type: "val",
    step,
    diceCt: nanMean(perClass[0]!),
    diceMri: nanMean(perClass[1]!),
    diceCtPerClass: perClass[0]!,
    diceMriPerClass: perClass[1]!,
    kd: pairs ? kdSum / pairs : NaN,
    segCt: n[0] ? seg[0]! / n[0]! : NaN,
    segMri: n[1] ? seg[1]! / n[1]! : NaN,
    qCt: avgQ(0),
    qMri: avgQ(1),
  };
}
