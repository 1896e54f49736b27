/**
 * Training ops of the engine: batch normalization in training mode and group normalization
 * (instance / layer / group, Table V) with closed-form gradients, and thin convolution wrappers.
 * All run on any backend; the heavy parts dispatch to the active backend's ummkd kernels
 * (`kernel-names.ts`).
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D, type Variable } from "./tf.ts";
import { UmmkdBatchNormTrain, UmmkdDropout, UmmkdGroupNorm, type UmmkdBatchNormTrainAttrs, type UmmkdDropoutAttrs, type UmmkdGroupNormAttrs, type ConvPad } from "./kernel-names.ts";
import { runUmmkdKernel } from "./grads/run-kernel.ts";
import { checkDropoutAttrs } from "./wasm/dropout-kernels.ts";
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

/**
 * Group normalization, which covers instance (groups = C) and layer (groups = 1) normalization:
 * per sample b and group g of C/G consecutive channels, y = gamma_c * (x - mean_bg) /
 * sqrt(var_bg + epsilon) + beta_c, with the mean and biased variance over the spatial axes and the
 * group's channels (the same in training and at test time).
 *
 * Differentiable in x, gamma and beta (closed form, `UmmkdGroupNormGrad`). One fused kernel each
 * way (`UmmkdGroupNorm`: native OpenMP kernel on the native engine, JS loops on cpu / wasm, tf ops
 * elsewhere) instead of a moments / sub / mul / add composition and its many gradient kernels.
 *
 * @param x [B, ...spatial, C] float32 (NHWC or NDHWC; rank >= 2)
 * @param gamma [C]
 * @param beta [C]
 * @param groups G, a divisor of C
 * @param epsilon added to the variance
 * @returns y, shape of x
 * @throws ShapeError if x is not float32 of rank >= 2, gamma/beta are not [C] or G does not divide C
 */
export function groupNorm(x: Tensor, gamma: Tensor, beta: Tensor, groups: number, epsilon: number): Tensor {
  const C = x.shape[x.shape.length - 1]!;
  if (x.rank < 2) throw new ShapeError(`groupNorm: x must have rank >= 2 (channels last), got shape [${x.shape}]`);
  if (x.dtype !== "float32") throw new ShapeError(`groupNorm: x must be float32, got ${x.dtype}`);
  if (gamma.rank !== 1 || gamma.shape[0] !== C) throw new ShapeError(`groupNorm: gamma must be [${C}], got [${gamma.shape}]`);
  if (beta.rank !== 1 || beta.shape[0] !== C) throw new ShapeError(`groupNorm: beta must be [${C}], got [${beta.shape}]`);
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) throw new ShapeError(`groupNorm: groups must be a positive divisor of C = ${C}, got ${groups}`);
  installGradients();
  const attrs: UmmkdGroupNormAttrs = { groups, epsilon };
  const [y, mean, rstd] = runUmmkdKernel(UmmkdGroupNorm, { x, gamma, beta }, attrs) as [Tensor, Tensor, Tensor];
  // the gradient tape keeps its own copies
  mean!.dispose();
  rstd!.dispose();
  return y!;
}

/** Backends whose tensors JS reads synchronously and cheaply (no device sync). */
const HOST_MEMORY_BACKENDS = new Set(["cpu", "native", "wasm"]);

/**
 * Batch norm's moving statistics after a training batch, updated in place:
 * movingMean <- m * movingMean + (1 - m) * mean and movingVar <- m * movingVar + (1 - m) * variance * n / (n - 1)
 * (unbiased batch variance, as TF's fused batch norm and PyTorch), each product and sum rounded to
 * float32 exactly as the same tf ops would. On host-memory backends (cpu, native, wasm) it is a
 * plain JS loop over the [C] arrays: no kernels, nothing on the gradient tape (the tf-op form costs
 * six kernels and six tape nodes per normalization layer); elsewhere the tf ops.
 * @param n number of values per channel the batch statistics were computed over
 * @throws ShapeError if the four tensors do not have one shape
 */
export function updateMovingStats(movingMean: Variable, movingVar: Variable, mean: Tensor, variance: Tensor, momentum: number, n: number): void {
  for (const t of [movingVar, mean, variance]) {
    if (t.size !== movingMean.size) throw new ShapeError(`updateMovingStats: shapes differ ([${movingMean.shape}] vs [${t.shape}])`);
  }
  const correction = n > 1 ? n / (n - 1) : 1;
  if (HOST_MEMORY_BACKENDS.has(tf.getBackend())) {
    const f = Math.fround;
    const fm = f(momentum), f1m = f(1 - momentum), fc = f(correction);
    const mm = movingMean.dataSync(), mv = movingVar.dataSync(), me = mean.dataSync(), va = variance.dataSync();
    const C = mm.length;
    const nm = new Float32Array(C), nv = new Float32Array(C);
    for (let i = 0; i < C; i++) {
      nm[i] = f(mm[i]! * fm) + f(me[i]! * f1m);
      const unbiased = n > 1 ? f(va[i]! * fc) : va[i]!;
      nv[i] = f(mv[i]! * fm) + f(unbiased * f1m);
    }
    tf.tidy(() => {
      // the variables keep the data; the wrapping tensors go with the scope
      movingMean.assign(tf.tensor(nm, movingMean.shape));
      movingVar.assign(tf.tensor(nv, movingVar.shape));
    });
    return;
  }
  tf.tidy(() => {
    movingMean.assign(tf.add(tf.mul(movingMean, momentum), tf.mul(mean, 1 - momentum)));
    const unbiased = n > 1 ? tf.mul(variance, correction) : variance;
    movingVar.assign(tf.add(tf.mul(movingVar, momentum), tf.mul(unbiased, 1 - momentum)));
  });
}

/**
 * Inverted dropout, bit-identical to `tf.dropout(x, rate, undefined, seed)` (same Alea stream for
 * String(seed), same float32 mask floor(u + keep) / keep) and differentiable (dx = dy * mask), run
 * as one `UmmkdDropout` kernel instead of tf.dropout's five (a native one on the native engine).
 * @param x float32
 * @param rate dropped fraction in [0, 1); 0 returns a clone of x, as tf.dropout
 * @param seed as tf.dropout's seed
 * @throws RangeError if rate is outside [0, 1)
 */
export function dropout(x: Tensor, rate: number, seed: number | string): Tensor {
  const attrs: UmmkdDropoutAttrs = { rate, seed };
  checkDropoutAttrs(attrs);
  if (x.dtype !== "float32") throw new ShapeError(`dropout: x must be float32, got ${x.dtype}`);
  if (rate === 0) return x.clone();
  installGradients();
  const [y, mult] = runUmmkdKernel(UmmkdDropout, { x }, attrs) as [Tensor, Tensor];
  mult!.dispose(); // the gradient tape keeps its own copy
  return y!;
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
