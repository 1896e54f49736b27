/**
 * Total loss of eq. 5: L = seg_a + seg_b + alpha * L_kd + eta * L2, where L_kd is the halved
 * symmetric KL of `kdLoss` (so alpha * L_kd = alpha/2 * (1/C) sum (KL + KL) of the paper).
 */
import { tf, type Tensor } from "../engine/tf.ts";
import type { NetworkName } from "../models/types.ts";
import { OptionError } from "../util/errors.ts";

export interface TotalLossTerms {
  /** Segmentation loss of modality a (CT), scalar (`segmentationLoss(...).loss`). */
  segA: Tensor;
  /** Segmentation loss of modality b (MRI), scalar. */
  segB: Tensor;
  /** KD loss (`kdLoss(...).loss`), scalar; omitted for settings without KD. */
  kd?: Tensor;
  /** Unweighted L2 term (`l2Loss(vars)`), scalar; omitted for none. */
  l2?: Tensor;
}

export interface TotalLossOptions {
  /** KD weight; default 0.5. */
  alpha?: number;
  /** L2 weight; default 1e-4 (use `defaultEta("unet3d")` = 2e-4 for the released 3D code). */
  eta?: number;
}

/**
 * α, the KD weight of eq. 5: its default and its range, written once (the parameter row of
 * lib/plan/params.ts, the trainer's config check and this loss all read them). The paper uses 0.5
 * and studies 0.1..0.9 (Figure 6); α = 0 is no KD term (Figure 7).
 */
export const DEFAULT_ALPHA = 0.5;
export const ALPHA_RANGE: readonly [number, number] = [0, 1];

/**
 * The L2 weight the released code effectively used: 1e-4 for the 2D network (kernels only),
 * 2e-4 for the 3D U-Net (1e-4 over all variables, added once per modality).
 */
export function defaultEta(network: NetworkName): number {
  return network === "unet3d" ? 2e-4 : 1e-4;
}

/**
 * Eq. 5: segA + segB + alpha * kd + eta * l2 — the one implementation, used by the trainer
 * (through `stepLoss`, lib/train/step-loss.ts) and timed by `ummkd bench train-step`.
 * @returns scalar loss
 * @throws OptionError on an alpha outside ALPHA_RANGE or a negative or non-finite eta
 * @see Dou et al. 2020 eq. 5
 */
export function totalLoss(terms: TotalLossTerms, opts: TotalLossOptions = {}): Tensor {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const eta = opts.eta ?? 1e-4;
  if (!(alpha >= ALPHA_RANGE[0] && alpha <= ALPHA_RANGE[1])) throw new OptionError("totalLoss: alpha", alpha, `a number in [${ALPHA_RANGE[0]}, ${ALPHA_RANGE[1]}]`);
  if (!(eta >= 0 && Number.isFinite(eta))) throw new OptionError("totalLoss: eta", eta, "a finite number >= 0");
  return tf.tidy(() => {
    // summed in this order ((segA + segB) + eta * l2) + alpha * kd: float32 addition is not
    // associative, and the trainer's logged losses are kept bit for bit with this order
    let l = tf.add(terms.segA, terms.segB);
    if (terms.l2 && eta !== 0) l = tf.add(l, tf.mul(terms.l2, eta));
    if (terms.kd && alpha !== 0) l = tf.add(l, tf.mul(terms.kd, alpha));
    return l;
  });
}
