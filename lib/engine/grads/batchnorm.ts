/**
 * Gradient of the `UmmkdBatchNormTrain` kernel: the closed form, via the active backend's
 * `UmmkdBatchNormTrainGrad`. The `mean` and `variance` outputs are treated as constants
 * (stop-gradient): they feed moving statistics, never the loss.
 */
import type { Tensor, Tensor1D } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";
import { UmmkdBatchNormTrain, UmmkdBatchNormTrainGrad, type UmmkdBatchNormTrainGradAttrs } from "../kernel-names.ts";
import { runUmmkdKernel } from "./run-kernel.ts";

export const batchNormTrainGrad: GradConfig = {
  kernelName: UmmkdBatchNormTrain,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [x, gamma, mean, variance] = saved as [Tensor, Tensor1D, Tensor1D, Tensor1D];
    const a: UmmkdBatchNormTrainGradAttrs = { epsilon: attrs.epsilon as number };
    // Computed eagerly: tfjs runs each input's gradient thunk in its own tidy, which would dispose
    // the other two outputs of a lazily computed multi-output kernel.
    const res = runUmmkdKernel(UmmkdBatchNormTrainGrad, { dy, x, gamma, mean, variance }, a) as Tensor[];
    return { x: () => res[0]!, gamma: () => res[1]!, beta: () => res[2]! };
  },
};
