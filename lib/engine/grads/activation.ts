/** LeakyRelu and ClipByValue gradients through the active backend's fused kernels (one pass each). */
import type { Tensor } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";
import { UmmkdLeakyReluGrad, UmmkdClipByValueGrad, type UmmkdLeakyReluGradAttrs, type UmmkdClipByValueGradAttrs } from "../kernel-names.ts";
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

/** ClipByValue gradient through the active backend's `UmmkdClipByValueGrad` kernel (one fused pass). */
export const clipByValueGrad: GradConfig = {
  kernelName: "ClipByValue",
  inputsToSave: ["x"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const a: UmmkdClipByValueGradAttrs = { clipValueMin: attrs.clipValueMin as number, clipValueMax: attrs.clipValueMax as number };
    return { x: () => runUmmkdKernel(UmmkdClipByValueGrad, { dy: (Array.isArray(dy) ? dy[0] : dy) as Tensor, x }, a) as Tensor };
  },
};
