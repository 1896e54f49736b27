/**
 * Segmentation loss of the authors' code (notes section 4): Dice loss (background included, p
 * squared in the denominator) + class-weighted cross-entropy (weights 1 - class share of the
 * batch, probabilities clipped to [0.005, 1]).
 */
import { tf, type Tensor } from "../engine/tf.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { toOneHot, type LabelInput } from "./labels.ts";

/** How pixels whose label is outside 0..K-1 (e.g. 255, MM-WHS label 5) are treated. */
export type IgnoreMode = "mask" | "released";
export const IGNORE_MODES: readonly IgnoreMode[] = ["mask", "released"];

export interface SegmentationLossOptions {
  /** Weight of the Dice term; default 1 (`miu_seg_dice`). */
  diceWeight?: number;
  /** Weight of the cross-entropy term; default 1 (`miu_seg_ce`). */
  ceWeight?: number;
  /** Dice smoothing added to the denominator; default 1e-7. */
  diceEpsilon?: number;
  /** Lower clip of the softmax probability inside the log; default 0.005 (zero gradient below). */
  clipFloor?: number;
  /**
   * "mask" (default): ignore pixels contribute to nothing (not to sum p^2 of the Dice
   * denominator, not to the CE pixel count). "released": as the released code, where they only
   * have an all-zero one-hot (their p^2 stays in the Dice denominator, they count in the CE mean).
   */
  ignore?: IgnoreMode;
}

export const DEFAULT_SEGMENTATION_LOSS_OPTIONS: Required<SegmentationLossOptions> = {
  diceWeight: 1,
  ceWeight: 1,
  diceEpsilon: 1e-7,
  clipFloor: 0.005,
  ignore: "mask",
};

export interface SegmentationLossResult {
  /** diceWeight * dice + ceWeight * ce (scalar). */
  loss: Tensor;
  /** Negative mean Dice, -(1/K) sum_c D_c, in [-1, 0] (scalar). */
  dice: Tensor;
  /** Weighted cross-entropy (scalar). */
  ce: Tensor;
}

/**
 * Dice + weighted cross-entropy of notes section 4 (the "ordinary segmentation loss" of eq. 5).
 *
 * With p = softmax(logits) and g the one-hot target, sums over the whole batch and all pixels:
 * D_c = 2 sum(p_c g_c) / (sum p_c^2 + sum g_c + 1e-7), dice = -(1/K) sum_c D_c (background included);
 * w_c = 1 - sum g_c / sum g (recomputed from this batch's labels, no gradient);
 * ce = mean over pixels of sum_c -w_c g_c log(clip(p_c, 0.005, 1)).
 *
 * @param logits [B, H, W, K] or [B, D, H, W, K] float32 pre-softmax
 * @param target class indices (tensor or flat array of logits.shape[:-1]) or one-hot [.., K];
 *   labels outside 0..K-1 are ignored (see `ignore`)
 * @returns scalars { loss, dice, ce }
 * @throws ShapeError on a target of the wrong size; OptionError on a bad option
 * @see Dou et al. 2020, eq. 5; authors-code-notes section 4
 */
export function segmentationLoss(logits: Tensor, target: LabelInput, opts: SegmentationLossOptions = {}): SegmentationLossResult {
  const o = { ...DEFAULT_SEGMENTATION_LOSS_OPTIONS, ...opts };
  oneOf("segmentationLoss: ignore", o.ignore, IGNORE_MODES);
  if (!(o.clipFloor > 0 && o.clipFloor < 1)) throw new OptionError("segmentationLoss: clipFloor", o.clipFloor, "a number in (0, 1)");
  const g = toOneHot("segmentationLoss", logits, target);
  const out = tf.tidy(() => {
    const K = logits.shape[logits.shape.length - 1]!;
    const p2 = tf.reshape(tf.softmax(tf.reshape(logits, [-1, K])), [-1, K]);
    const g2 = tf.reshape(g, [-1, K]);
    const nPix = g2.shape[0]!;
    // valid pixel mask [N, 1]: 1 where the label is one of the K classes
    const valid = tf.sum(g2, 1, true);
    const pDen = o.ignore === "mask" ? tf.mul(p2, valid) : p2;
    const inter = tf.sum(tf.mul(p2, g2), 0);
    const den = tf.add(tf.add(tf.sum(tf.square(pDen), 0), tf.sum(g2, 0)), o.diceEpsilon);
    const dice = tf.neg(tf.mean(tf.div(tf.mul(inter, 2), den)));
    const classCount = tf.sum(g2, 0);
    const total = tf.sum(classCount);
    // w_c = 1 - share_c; an all-ignore batch has total 0: weights are then irrelevant (g = 0)
    const w = tf.sub(1, tf.div(classCount, tf.maximum(total, 1)));
    const logp = tf.log(tf.clipByValue(p2, o.clipFloor, 1));
    const perPix = tf.neg(tf.sum(tf.mul(tf.mul(g2, logp), w), 1));
    const count = o.ignore === "mask" ? tf.maximum(tf.sum(valid), 1) : tf.scalar(nPix);
    const ce = tf.div(tf.sum(perPix), count);
    const loss = tf.add(tf.mul(dice, o.diceWeight), tf.mul(ce, o.ceWeight));
    return { loss, dice, ce };
  });
  g.dispose();
  return out;
}
