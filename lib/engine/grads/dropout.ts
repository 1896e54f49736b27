/** Gradient of `UmmkdDropout`: dx = dy * multiplier (the saved second output), as tf.dropout's Multiply gradient. */
import { tf, type Tensor } from "../tf.ts";
import type { GradConfig } from "@tensorflow/tfjs-core";
import { UmmkdDropout } from "../kernel-names.ts";

export const dropoutGrad: GradConfig = {
  kernelName: UmmkdDropout,
  outputsToSave: [false, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[]) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [mult] = saved as [Tensor];
    return { x: () => tf.mul(dy, mult) };
  },
};
