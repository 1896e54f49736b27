/**
 * Portable 2D convolution gradients built from FORWARD convolutions on transposed operands, so they
 * run at forward-conv speed on every backend (wasm's XNNPACK forward conv in particular) and support
 * dilation > 1 (which tfjs-core's own gradients refuse).
 *
 * Notation: x [N,H,W,Ci], filter [kh,kw,Ci,Co], dy [N,Ho,Wo,Co], stride s, dilation d, padding
 * (pt, pl) before. Forward: y[n,o,c] = sum_{k,ci} x[n, o*s + k*d - pt, ci] * w[k,ci,c].
 *
 * - dW[k,ci,c] = sum_{n,o} x[n, k*d + o*s - pt, ci] * dy[n,o,c]: a conv of x^T ([Ci,H,W,N], the
 *   batch and channel axes swapped) with dy^T ([Ho,Wo,N,Co]) as the filter, the stride and dilation
 *   exchanged, padded so that the output is exactly kh x kw.
 * - dx[n,i,ci] = sum_{k,c} dyz[n, i + pt - k*d, c] * w[k,ci,c], dyz = dy with s-1 zeros inserted
 *   between entries: a stride-1 conv of dyz with the spatially flipped, channel-swapped filter at
 *   dilation d, padded by (kh-1)*d - pt before.
 */
import { tf, type Tensor4D } from "../tf.ts";
import type { ConvPad } from "../kernel-names.ts";
import { padOrCrop, zeroInsert } from "./pad-util.ts";
import { flipSwapFilter } from "./flip.ts";

type Pair = [number, number];

function pair(v: number | number[]): Pair {
  return typeof v === "number" ? [v, v] : [v[0]!, v[1] ?? v[0]!];
}

type RoundingMode = "floor" | "round" | "ceil";

/** Padding before (top, left) that tfjs uses for this conv. */
export function convPads2D(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: Pair,
  dilations: Pair,
  pad: ConvPad,
  dimRoundingMode?: RoundingMode,
): { top: number; left: number; outHeight: number; outWidth: number } {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilations, pad, dimRoundingMode);
  return { top: info.padInfo.top, left: info.padInfo.left, outHeight: info.outHeight, outWidth: info.outWidth };
}

/**
 * dW of conv2d, NHWC.
 * @param x [N,H,W,Ci]
 * @param dy [N,Ho,Wo,Co]
 * @returns [kh,kw,Ci,Co]
 */
export function conv2dBackpropFilterPortable(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  stridesIn: number | number[],
  pad: ConvPad,
  dilationsIn: number | number[] = 1,
  dimRoundingMode?: RoundingMode,
): Tensor4D {
  const strides = pair(stridesIn);
  const dilations = pair(dilationsIn);
  const [, H, W] = x.shape;
  const [kh, kw] = filterShape;
  const [, Ho, Wo] = dy.shape;
  const { top, left } = convPads2D(x.shape, filterShape, strides, dilations, pad, dimRoundingMode);
  return tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]); // [Ci,H,W,N]
    const ft = tf.transpose(dy, [1, 2, 0, 3]); // [Ho,Wo,N,Co]
    const Lh = (kh - 1) * dilations[0] + (Ho - 1) * strides[0] + 1;
    const Lw = (kw - 1) * dilations[1] + (Wo - 1) * strides[1] + 1;
    const ph: Pair = [top, Lh - top - H];
    const pw: Pair = [left, Lw - left - W];
    let conv: Tensor4D;
    if (ph[1] >= 0 && pw[1] >= 0) {
      conv = tf.conv2d(xt, ft, dilations, [[0, 0], ph, pw, [0, 0]], "NHWC", strides);
    } else {
      const xp = padOrCrop(xt, [[0, 0], ph, pw, [0, 0]]);
      conv = tf.conv2d(xp, ft, dilations, "valid", "NHWC", strides);
    }
    return tf.transpose(conv, [1, 2, 0, 3]); // [kh,kw,Ci,Co]
  });
}

/**
 * dx of conv2d (= forward of conv2dTranspose), NHWC.
 * @param dy [N,Ho,Wo,Co]
 * @param filter [kh,kw,Ci,Co]
 * @param inputShape [N,H,W,Ci]
 * @returns [N,H,W,Ci]
 */
export function conv2dBackpropInputPortable(
  dy: Tensor4D,
  filter: Tensor4D,
  inputShape: [number, number, number, number],
  stridesIn: number | number[],
  pad: ConvPad,
  dilationsIn: number | number[] = 1,
  dimRoundingMode?: RoundingMode,
): Tensor4D {
  const strides = pair(stridesIn);
  const dilations = pair(dilationsIn);
  const [, H, W] = inputShape;
  const [kh, kw] = filter.shape;
  const { top, left } = convPads2D(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode);
  return tf.tidy(() => {
    const dyz = zeroInsert(dy, strides); // [N, Ho*sh, Wo*sw, Co]
    const [, Hz, Wz] = dyz.shape;
    const wf = flipSwapFilter(filter); // [kh,kw,Co,Ci]
    const bh = (kh - 1) * dilations[0] - top;
    const bw = (kw - 1) * dilations[1] - left;
    const ph: Pair = [bh, H + (kh - 1) * dilations[0] - bh - Hz];
    const pw: Pair = [bw, W + (kw - 1) * dilations[1] - bw - Wz];
    if (ph[0] >= 0 && ph[1] >= 0 && pw[0] >= 0 && pw[1] >= 0) {
      return tf.conv2d(dyz, wf, 1, [[0, 0], ph, pw, [0, 0]], "NHWC", dilations);
    }
    const dp = padOrCrop(dyz, [[0, 0], ph, pw, [0, 0]]);
    return tf.conv2d(dp, wf, 1, "valid", "NHWC", dilations);
  });
}
