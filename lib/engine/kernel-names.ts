/**
 * Names and attribute shapes of the custom kernels of the ummkd kernel pack.
 *
 * These are the gradients tfjs lacks (Conv2DBackpropFilter on wasm), gets slow (wasm's
 * Conv2DBackpropInput) or refuses (any conv gradient with dilation > 1). The portable engine
 * (`lib/engine/wasm/`) registers implementations built from forward convolutions for the `cpu`,
 * `wasm` and `tensorflow` backends; the native engine (`lib/engine/native/`) registers oneDNN
 * implementations of the same names for its backend. Our gradient configs (`lib/engine/grads/`)
 * call these kernels by name, so whichever implementation the active backend registered runs.
 *
 * Layouts are channels-last: NHWC for 2D, NDHWC for 3D. Filters are [kh, kw, inC, outC] and
 * [kd, kh, kw, inC, outC] as in tfjs.
 */

/** Padding as in tfjs conv ops: 'same', 'valid', or an explicit symmetric number of pixels. */
export type ConvPad = "same" | "valid" | number;

/**
 * dW of a 2D convolution. Inputs `{ x: [N,H,W,Ci], dy: [N,Ho,Wo,Co] }`; output the filter gradient
 * `[kh, kw, Ci, Co]`.
 */
export const UmmkdConv2DBackpropFilter = "UmmkdConv2DBackpropFilter";
export interface UmmkdConv2DBackpropFilterAttrs {
  strides: [number, number];
  pad: ConvPad;
  dilations: [number, number];
  filterShape: [number, number, number, number];
}

/**
 * dx of a 2D convolution (also the forward of a transposed convolution). Inputs
 * `{ dy: [N,Ho,Wo,Co], filter: [kh,kw,Ci,Co] }`; output `[N,H,W,Ci]` = `inputShape`.
 */
export const UmmkdConv2DBackpropInput = "UmmkdConv2DBackpropInput";
export interface UmmkdConv2DBackpropInputAttrs {
  strides: [number, number];
  pad: ConvPad;
  dilations: [number, number];
  inputShape: [number, number, number, number];
}

/** dW of a 3D convolution. Inputs `{ x: [N,D,H,W,Ci], dy: [N,Do,Ho,Wo,Co] }`; output `[kd,kh,kw,Ci,Co]`. */
export const UmmkdConv3DBackpropFilter = "UmmkdConv3DBackpropFilter";
export interface UmmkdConv3DBackpropFilterAttrs {
  strides: [number, number, number];
  pad: "same" | "valid";
  dilations: [number, number, number];
  filterShape: [number, number, number, number, number];
}

/** dx of a 3D convolution. Inputs `{ dy: [N,Do,Ho,Wo,Co], filter: [kd,kh,kw,Ci,Co] }`; output `inputShape`. */
export const UmmkdConv3DBackpropInput = "UmmkdConv3DBackpropInput";
export interface UmmkdConv3DBackpropInputAttrs {
  strides: [number, number, number];
  pad: "same" | "valid";
  dilations: [number, number, number];
  inputShape: [number, number, number, number, number];
}

/**
 * Batch normalization in training mode over all axes but the last (channels-last).
 * Inputs `{ x: [..., C], gamma: [C], beta: [C] }`; attrs `{ epsilon }`.
 * Outputs, in this order: `y` (shape of x), `mean` [C], `variance` [C] (biased, divided by N).
 */
export const UmmkdBatchNormTrain = "UmmkdBatchNormTrain";
export interface UmmkdBatchNormTrainAttrs {
  epsilon: number;
}

/**
 * Gradient of {@link UmmkdBatchNormTrain}. Inputs `{ dy, x, gamma, mean, variance }`; attrs
 * `{ epsilon }`. Outputs, in this order: `dx` (shape of x), `dgamma` [C], `dbeta` [C].
 * dx = gamma * rstd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat)), rstd = 1/sqrt(var + eps).
 */
export const UmmkdBatchNormTrainGrad = "UmmkdBatchNormTrainGrad";
export interface UmmkdBatchNormTrainGradAttrs {
  epsilon: number;
}

/**
 * Group normalization (Wu & He 2018) over channels-last x [B, ...spatial, C], which covers the
 * per-sample families of Table V: with the C channels split into `groups` = G runs of C/G
 * consecutive channels, each (sample b, group g) is normalized over its spatial positions and C/G
 * channels (N = S * C/G values): y = gamma_c * (x - mean_bg) * rstd_bg + beta_c, rstd_bg =
 * 1/sqrt(var_bg + epsilon), var biased (divided by N). Instance norm is G = C, layer norm G = 1.
 * Inputs `{ x: [B, ..., C], gamma: [C], beta: [C] }`; attrs `{ groups, epsilon }` (G divides C).
 * Outputs, in this order: `y` (shape of x), `mean` [B, G], `rstd` [B, G] (saved for the gradient).
 */
export const UmmkdGroupNorm = "UmmkdGroupNorm";
export interface UmmkdGroupNormAttrs {
  /** Number of groups G (a divisor of C): C for instance norm, 1 for layer norm. */
  groups: number;
  epsilon: number;
}

/**
 * Gradient of {@link UmmkdGroupNorm}. Inputs `{ dy, x, gamma, mean, rstd }` (mean, rstd as the
 * forward returned them); attrs `{ groups, epsilon }`. Outputs, in this order: `dx` (shape of x),
 * `dgamma` [C], `dbeta` [C]. With xhat = (x - mean_bg) rstd_bg and per-(b, g) means <.> over its N values:
 * dx = rstd_bg (gamma_c dy - <gamma dy> - xhat <gamma dy xhat>), dgamma_c = sum_{b,s} dy xhat,
 * dbeta_c = sum_{b,s} dy.
 */
export const UmmkdGroupNormGrad = "UmmkdGroupNormGrad";
export type UmmkdGroupNormGradAttrs = UmmkdGroupNormAttrs;

/**
 * Gradient of LeakyRelu. Inputs `{ dy, x }`; attrs `{ alpha }`; output dx = x > 0 ? dy : alpha * dy.
 * (tfjs's own gradient is Greater + Multiply + Select: three kernels and two temporaries.)
 */
export const UmmkdLeakyReluGrad = "UmmkdLeakyReluGrad";
export interface UmmkdLeakyReluGradAttrs {
  alpha: number;
}

/**
 * One fused Adam step for one variable. Inputs `{ value, gradient, m, v }`; outputs, in order, the
 * new value, m and v. With c1 = 1 - beta1^t, c2 = 1 - beta2^t:
 * m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2, value' = value - lr (m'/c1) / (sqrt(v'/c2) + eps).
 */
export const UmmkdAdamUpdate = "UmmkdAdamUpdate";
export interface UmmkdAdamUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  c1: number;
  c2: number;
}

/**
 * Inverted dropout exactly as `tf.dropout(x, rate, undefined, seed)` computes it, in one pass.
 * Inputs `{ x }`; attrs `{ rate, seed }`. Outputs, in this order: `y` (shape of x) and the
 * `multiplier` (0 or 1/keep per element, float32; saved for the gradient dx = dy * multiplier).
 * The uniform numbers are seedrandom's Alea stream for `String(seed)`, as tf.randomUniform draws
 * them, so masks are bit-identical to tf.dropout's on every backend.
 * (tf.dropout is RandomUniform in JS + Add + Floor + RealDiv + Multiply: five passes and four temporaries.)
 */
export const UmmkdDropout = "UmmkdDropout";
export interface UmmkdDropoutAttrs {
  /** Dropped fraction, in [0, 1). */
  rate: number;
  /** tf.dropout's seed (a number or string; used as String(seed)). */
  seed: number | string;
}

/**
 * Gradient of ClipByValue. Inputs `{ dy, x }`; attrs `{ clipValueMin, clipValueMax }`; output
 * dx = (x >= min && x <= max) ? dy : 0 (NaN x gives 0), tfjs' own gradient in one pass (it is
 * GreaterEqual + LessEqual + LogicalAnd + ZerosLike + Select: five kernels, four temporaries).
 */
export const UmmkdClipByValueGrad = "UmmkdClipByValueGrad";
export interface UmmkdClipByValueGradAttrs {
  clipValueMin: number;
  clipValueMax: number;
}

/** Every custom kernel name, for registration checks and tests. */
export const UMMKD_KERNELS = [
  UmmkdConv2DBackpropFilter,
  UmmkdConv2DBackpropInput,
  UmmkdConv3DBackpropFilter,
  UmmkdConv3DBackpropInput,
  UmmkdBatchNormTrain,
  UmmkdBatchNormTrainGrad,
  UmmkdGroupNorm,
  UmmkdGroupNormGrad,
  UmmkdLeakyReluGrad,
  UmmkdAdamUpdate,
  UmmkdDropout,
  UmmkdClipByValueGrad,
] as const;
export type UmmkdKernelName = (typeof UMMKD_KERNELS)[number];
