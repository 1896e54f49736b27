/**
 * Knowledge-distillation loss of Dou et al. 2020, eq. 2-4 (notes section 3): per class, the
 * class-mean logit vector over the ground-truth mask (whole batch, all pixels), softened with a
 * temperature-T softmax; the symmetric KL divergence between the two modalities, halved, averaged
 * over classes. No T^2 factor, no stop-gradient.
 */
import { tf, type Tensor } from "../engine/tf.ts";
import { OptionError, ShapeError, oneOf } from "../util/errors.ts";
import { toOneHot, type LabelInput } from "./labels.ts";

/**
 * How a class absent from one modality's batch is treated. "uniform" (released code): its mean
 * logit is 0, so its soft prediction is uniform and still enters the mean over classes.
 * "skip": classes absent from either modality's batch are left out of the mean.
 */
export type AbsentClassPolicy = "uniform" | "skip";
export const ABSENT_CLASS_POLICIES: readonly AbsentClassPolicy[] = ["uniform", "skip"];

export interface KdLossOptions {
  /** Softmax temperature T of eq. 2; default 2 (Section III-B). */
  temperature?: number;
  /** Default "uniform" (released code). */
  absentClass?: AbsentClassPolicy;
  /** Added to the class pixel count before dividing; default 1e-6. */
  epsilon?: number;
}

export const DEFAULT_KD_LOSS_OPTIONS: Required<KdLossOptions> = { temperature: 2, absentClass: "uniform", epsilon: 1e-6 };

export interface KdLossResult {
  /** (1/C') sum_c (KL(qA_c||qB_c) + KL(qB_c||qA_c)) / 2 (scalar); C' = K, or the classes present in both for "skip". */
  loss: Tensor;
  /** Soft confusion matrix of modality A [K, K]: row c = softmax(mean logit over class-c pixels / T). */
  qA: Tensor;
  /** Same for modality B [K, K]. */
  qB: Tensor;
  /** Per-class halved symmetric KL [K] (0 for skipped classes under "skip"). */
  perClass: Tensor;
  /** Which classes entered the mean [K] (float32 0/1). */
  used: Tensor;
}

/** Class-mean logits [K, K] (row c = mean logit vector over class-c pixels) and class counts [K]. */
function classMeanLogits(logits: Tensor, g: Tensor, eps: number): { z: Tensor; count: Tensor } {
  const K = logits.shape[logits.shape.length - 1]!;
  const L = tf.reshape(logits, [-1, K]);
  const G = tf.reshape(g, [-1, K]);
  const sums = tf.matMul(G, L, true, false); // [K(class), K(logit)]
  const count = tf.sum(G, 0);
  return { z: sums, count };
}

/**
 * KD loss (eq. 2-4), symmetric KL of the per-class soft predictions of two modalities.
 *
 * @param logitsA modality A (CT) logits [B, H, W, K] or [B, D, H, W, K], training forward pass
 * @param targetA A's labels (indices of logitsA.shape[:-1] or one-hot); labels outside 0..K-1 are in no class
 * @param logitsB modality B (MRI) logits, same K (batch and spatial size may differ)
 * @param targetB B's labels
 * @returns { loss, qA, qB, perClass, used }; qA/qB are the per-class soft confusion matrices of Figure 8
 * @throws ShapeError if the class counts differ; OptionError on a bad option
 * @see Dou et al. 2020 eq. 2-4; authors-code-notes section 3
 */
export function kdLoss(logitsA: Tensor, targetA: LabelInput, logitsB: Tensor, targetB: LabelInput, opts: KdLossOptions = {}): KdLossResult {
  const o = { ...DEFAULT_KD_LOSS_OPTIONS, ...opts };
  oneOf("kdLoss: absentClass", o.absentClass, ABSENT_CLASS_POLICIES);
  if (!(o.temperature > 0)) throw new OptionError("kdLoss: temperature", o.temperature, "a positive number");
  const K = logitsA.shape[logitsA.shape.length - 1]!;
  const KB = logitsB.shape[logitsB.shape.length - 1]!;
  if (K !== KB) throw new ShapeError(`kdLoss: logitsA and logitsB must have the same number of classes, got ${K} and ${KB}`);
  const gA = toOneHot("kdLoss (targetA)", logitsA, targetA);
  const gB = toOneHot("kdLoss (targetB)", logitsB, targetB);
  const out = tf.tidy(() => {
    const a = classMeanLogits(logitsA, gA, o.epsilon);
    const b = classMeanLogits(logitsB, gB, o.epsilon);
    const zA = tf.div(a.z, tf.expandDims(tf.add(a.count, o.epsilon), 1));
    const zB = tf.div(b.z, tf.expandDims(tf.add(b.count, o.epsilon), 1));
    const lpA = tf.logSoftmax(tf.div(zA, o.temperature));
    const lpB = tf.logSoftmax(tf.div(zB, o.temperature));
    const qA = tf.exp(lpA);
    const qB = tf.exp(lpB);
    // KL(a||b) + KL(b||a) = sum (qA - qB)(log qA - log qB)
    const sym = tf.div(tf.sum(tf.mul(tf.sub(qA, qB), tf.sub(lpA, lpB)), 1), 2);
    let used: Tensor;
    if (o.absentClass === "skip") {
      used = tf.cast(tf.logicalAnd(tf.greater(a.count, 0), tf.greater(b.count, 0)), "float32");
    } else {
      used = tf.onesLike(a.count);
    }
    const perClass = tf.mul(sym, used);
    const loss = tf.div(tf.sum(perClass), tf.maximum(tf.sum(used), 1));
    return { loss, qA, qB, perClass, used };
  });
  gA.dispose();
  gB.dispose();
  return out;
}
