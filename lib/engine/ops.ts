/**
 * Training ops of the engine: batch normalization in training mode with a closed-form gradient,
 * and thin convolution wrappers. All run on any backend; the heavy parts dispatch to the active
 * backend's ummkd kernels (`kernel-names.ts`).
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from "./tf.ts";
import { UmmkdBatchNormTrain, type UmmkdBatchNormTrainAttrs, type ConvPad } from "./kernel-names.ts";
import { runUmmkdKernel } from "./grads/run-kernel.ts";
import { installGradients } from "./grads/index.ts";
import { ShapeError } from "../util/errors.ts";
import { conv3dBackpropInput } from "./grads/index.ts";
import { conv3dTfPads } from "./grads/conv.ts";
import { tfPads3D } from "./wasm/conv3d-grads.ts";

export { conv2dBackpropFilter, conv2dBackpropInput, conv3dBackpropFilter, conv3dBackpropInput } from "./grads/index.ts";

export interface BatchNormTrainingResult {
  /** Normalized, scaled and shifted x (shape of x). */
  y: Tensor;
  /** Per-channel batch mean [C] (constant for gradients). */
  mean: Tensor1D;
  /** Per-channel biased batch variance [C] (divided by N; constant for gradients). */
  variance: Tensor1D;
}

/**
 * Batch normalization in training mode, normalizing over all axes but the last (channels-last):
 * y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, with batch statistics.
 *
 * Differentiable in x, gamma and beta with the closed-form gradient
 * dx = gamma * rstd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat)). `mean` and `variance` are
 * returned for the moving statistics and are constants for gradients. Runs the active backend's
 * `UmmkdBatchNormTrain` kernel (portable tf-op version where the backend has none).
 *
 * @param x [..., C] float32 (NHWC or NDHWC)
 * @param gamma [C]
 * @param beta [C]
 * @param epsilon added to the variance (TF default 1e-3)
 * @throws ShapeError if gamma/beta do not have C entries
 */
export function batchNormTraining(x: Tensor, gamma: Tensor1D, beta: Tensor1D, epsilon = 1e-3): BatchNormTrainingResult {
  const C = x.shape[x.shape.length - 1];
  if (x.rank < 2) throw new ShapeError(`batchNormTraining: x must have rank >= 2 (channels last), got shape [${x.shape}]`);
  if (gamma.rank !== 1 || gamma.shape[0] !== C) throw new ShapeError(`batchNormTraining: gamma must be [${C}], got [${gamma.shape}]`);
  if (beta.rank !== 1 || beta.shape[0] !== C) throw new ShapeError(`batchNormTraining: beta must be [${C}], got [${beta.shape}]`);
  installGradients();
  const attrs: UmmkdBatchNormTrainAttrs = { epsilon };
  const [y, mean, variance] = runUmmkdKernel(UmmkdBatchNormTrain, { x, gamma, beta }, attrs) as [Tensor, Tensor1D, Tensor1D];
  return { y: y!, mean: mean!, variance: variance! };
}

/** tf.conv2d (NHWC) with gradients for any dilation (our gradient configs). */
export function conv2d(x: Tensor4D, filter: Tensor4D, strides: number | [number, number], pad: ConvPad, dilations: number | [number, number] = 1): Tensor4D {
  installGradients();
  return tf.conv2d(x, filter, strides, pad, "NHWC", dilations);
}

/**
 * 3D convolution (NDHWC) with TensorFlow's SAME padding and gradients for any dilation.
 * Differs from `tf.conv3d` only where tfjs's SAME padding is wrong (kernel smaller than stride,
 * see `tfPads3D`): there x is padded explicitly and a VALID conv is run.
 * @param x [N,D,H,W,Ci]
 * @param filter [kd,kh,kw,Ci,Co]
 */
export function conv3d(x: Tensor5D, filter: Tensor5D, strides: number | [number, number, number], pad: "same" | "valid", dilations: number | [number, number, number] = 1): Tensor5D {
  installGradients();
  return conv3dTfPads(x, filter, strides, pad, dilations);
}

/**
 * 3D transposed convolution (NDHWC) with TensorFlow's semantics, trainable (tfjs has no gradient
 * for its own conv3dTranspose). Runs the active backend's `UmmkdConv3DBackpropInput` kernel.
 * @param x [N,D,H,W,Cin]
 * @param filter [kd,kh,kw,Cout,Cin] (as tf.conv3dTranspose: output channels before input channels)
 * @param outputShape [N,D',H',W',Cout]
 * @throws ShapeError if x's shape is not the conv3d output shape of outputShape
 */
export function conv3dTranspose(x: Tensor5D, filter: Tensor5D, outputShape: [number, number, number, number, number], strides: number | [number, number, number], pad: "same" | "valid"): Tensor5D {
  installGradients();
  const st = typeof strides === "number" ? [strides, strides, strides] : strides;
  const p = tfPads3D(outputShape, filter.shape, st, 1, pad);
  const want = [outputShape[0], ...[0, 1, 2].map((a) => Math.floor((outputShape[a + 1]! + p[a]![0] + p[a]![1] - filter.shape[a]!) / st[a]!) + 1), filter.shape[4]];
  if (want.some((v, i) => v !== x.shape[i])) {
    throw new ShapeError(`conv3dTranspose: x has shape [${x.shape}], but outputShape [${outputShape}] with filter [${filter.shape}] and strides [${st}] needs x of shape [${want}]`);
  }
  return conv3dBackpropInput(x, filter, outputShape, strides, pad, 1);
}
