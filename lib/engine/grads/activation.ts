/** LeakyRelu gradient through the active backend's `UmmkdLeakyReluGrad` kernel (one fused pass). */
import type { Tensor } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";
import { UmmkdLeakyReluGrad, type UmmkdLeakyReluGradAttrs } from "../kernel-names.ts";
import { runUmmkdKernel } from "./run-kernel.ts";

export const leakyReluGrad: GradConfig = {
  kernelName: "LeakyRelu",
  inputsToSave: ["x"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const a: UmmkdLeakyReluGradAttrs = { alpha: attrs.alpha as number };
    return { x: () => runUmmkdKernel(UmmkdLeakyReluGrad, { dy: dy as Tensor, x }, a) as Tensor };
  },
};
