/**
 * Installs ummkd's gradient configs over tfjs-core's (idempotent). Called by `initEngine()`.
 */
import { tf } from "../tf.ts";
import { conv2DBackpropInputGrad, conv2DGrad, conv3DBackpropInputV2Grad, conv3DGrad, ummkdConv2DBackpropInputGrad, ummkdConv3DBackpropInputGrad } from "./conv.ts";
import { batchNormTrainGrad } from "./batchnorm.ts";
import { groupNormGrad } from "./groupnorm.ts";
import { leakyReluGrad, clipByValueGrad } from "./activation.ts";
import { dropoutGrad } from "./dropout.ts";
import { sumGrad } from "./sum.ts";
import { mirrorPadGrad } from "./mirror-pad.ts";

export { conv2dBackpropFilter, conv2dBackpropInput, conv3dBackpropFilter, conv3dBackpropInput } from "./conv.ts";

let installed = false;

/** Register our gradients for Conv2D, Conv3D, Conv2DBackpropInput, Conv3DBackpropInputV2, UmmkdBatchNormTrain, UmmkdGroupNorm, LeakyRelu, UmmkdDropout, Sum, ClipByValue, MirrorPad. */
export function installGradients(): void {
  if (installed) return;
  for (const g of [conv2DGrad, conv3DGrad, conv2DBackpropInputGrad, conv3DBackpropInputV2Grad, ummkdConv2DBackpropInputGrad, ummkdConv3DBackpropInputGrad, batchNormTrainGrad, groupNormGrad, leakyReluGrad, dropoutGrad, sumGrad, clipByValueGrad, mirrorPadGrad]) tf.registerGradient(g);
  installed = true;
}
