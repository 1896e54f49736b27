/**
 * Gradient of the `UmmkdGroupNorm` kernel (instance / layer / group normalization): the closed
 * form, via the active backend's `UmmkdGroupNormGrad`, from the saved x, gamma and the forward's
 * per-(sample, group) mean and inverse standard deviation (internal outputs, never differentiated).
 */
import type { Tensor } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";
import { UmmkdGroupNorm, UmmkdGroupNormGrad, type UmmkdGroupNormGradAttrs } from "../kernel-names.ts";
import { runUmmkdKernel } from "./run-kernel.ts";

export const groupNormGrad: GradConfig = {
  kernelName: UmmkdGroupNorm,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [x, gamma, mean, rstd] = saved as [Tensor, Tensor, Tensor, Tensor];
    const a: UmmkdGroupNormGradAttrs = { groups: attrs.groups as number, epsilon: attrs.epsilon as number };
    // Computed eagerly: tfjs runs each input's gradient thunk in its own tidy, which would dispose
    // the other two outputs of a lazily computed multi-output kernel.
    const res = runUmmkdKernel(UmmkdGroupNormGrad, { dy, x, gamma, mean, rstd }, a) as Tensor[];
    return { x: () => res[0]!, gamma: () => res[1]!, beta: () => res[2]! };
  },
};
