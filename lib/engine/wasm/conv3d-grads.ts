/**
 * Portable 3D convolution gradients built from forward 3D convolutions on transposed operands (same
 * construction as `conv2d-grads.ts`, one more spatial axis), with dilation support. NDHWC layout,
 * filter [kd,kh,kw,Ci,Co].
 */
import { tf, type Tensor5D } from "../tf.ts";
import { padOrCrop, zeroInsert } from "./pad-util.ts";
import { flipSwapFilter } from "./flip.ts";

type Triple = [number, number, number];
type Shape5 = [number, number, number, number, number];

function triple(v: number | number[]): Triple {
  return typeof v === "number" ? [v, v, v] : [v[0]!, v[1] ?? v[0]!, v[2] ?? v[0]!];
}

/**
 * TensorFlow's padding of a 3D conv: [before, after] per spatial axis. SAME: out = ceil(in / s),
 * total = max(0, (out - 1) * s + (k - 1) * d + 1 - in), before = floor(total / 2).
 *
 * NOTE: tfjs-core 4.22's computeConv3DInfo omits the max(0, .) for SAME, so where a kernel is
 * smaller than its stride (the 3D U-Net's [3,3,1] stride-2 transposed convs) tfjs pads by -1 and
 * its conv3d / conv3dTranspose differ from TensorFlow's. Our kernels follow TensorFlow; use
 * `conv3d` / `conv3dTranspose` from `lib/engine/ops.ts` to get TensorFlow's result on every backend.
 */
export function tfPads3D(xShape: Shape5, filterShape: Shape5, stridesIn: number | number[], dilationsIn: number | number[], pad: "same" | "valid"): Array<[number, number]> {
  const strides = triple(stridesIn);
  const dilations = triple(dilationsIn);
  const res: Array<[number, number]> = [];
  for (let a = 0; a < 3; a++) {
    if (pad === "valid") {
      res.push([0, 0]);
      continue;
    }
    const n = xShape[a + 1]!, s = strides[a]!, eff = (filterShape[a]! - 1) * dilations[a]! + 1;
    const out = Math.ceil(n / s);
    const total = Math.max(0, (out - 1) * s + eff - n);
    res.push([Math.floor(total / 2), total - Math.floor(total / 2)]);
  }
  return res;
}

/** Whether tfjs's own SAME padding for this 3D conv differs from TensorFlow's (see {@link tfPads3D}). */
export function tfjsPads3DWrong(xShape: Shape5, filterShape: Shape5, strides: number | number[], dilations: number | number[], pad: "same" | "valid"): boolean {
  if (pad !== "same") return false;
  const info = tf.backend_util.computeConv3DInfo(xShape, filterShape, triple(strides), triple(dilations), pad);
  const ours = tfPads3D(xShape, filterShape, strides, dilations, pad);
  return ours[0]![0] !== info.padInfo.front || ours[1]![0] !== info.padInfo.top || ours[2]![0] !== info.padInfo.left;
}

function convPads3D(xShape: Shape5, filterShape: Shape5, strides: Triple, dilations: Triple, pad: "same" | "valid"): Triple {
  const p = tfPads3D(xShape, filterShape, strides, dilations, pad);
  return [p[0]![0], p[1]![0], p[2]![0]];
}

/**
 * dW of conv3d.
 * @param x [N,D,H,W,Ci]
 * @param dy [N,Do,Ho,Wo,Co]
 * @returns [kd,kh,kw,Ci,Co]
 */
export function conv3dBackpropFilterPortable(
  x: Tensor5D,
  dy: Tensor5D,
  filterShape: Shape5,
  stridesIn: number | number[],
  pad: "same" | "valid",
  dilationsIn: number | number[] = 1,
): Tensor5D {
  const strides = triple(stridesIn);
  const dilations = triple(dilationsIn);
  const before = convPads3D(x.shape, filterShape, strides, dilations, pad);
  return tf.tidy(() => {
    const xt = tf.transpose(x, [4, 1, 2, 3, 0]); // [Ci,D,H,W,N]
    const ft = tf.transpose(dy, [1, 2, 3, 0, 4]); // [Do,Ho,Wo,N,Co]
    const amounts: Array<[number, number]> = [[0, 0]];
    for (let a = 0; a < 3; a++) {
      const L = (filterShape[a]! - 1) * dilations[a]! + (dy.shape[a + 1]! - 1) * strides[a]! + 1;
      amounts.push([before[a]!, L - before[a]! - x.shape[a + 1]!]);
    }
    amounts.push([0, 0]);
    const xp = padOrCrop(xt, amounts);
    const conv = tf.conv3d(xp, ft, dilations, "valid", "NDHWC", strides); // [Ci,kd,kh,kw,Co]
    return tf.transpose(conv, [1, 2, 3, 0, 4]);
  });
}

/**
 * dx of conv3d (= forward of conv3dTranspose).
 * @param dy [N,Do,Ho,Wo,Co]
 * @param filter [kd,kh,kw,Ci,Co]
 * @param inputShape [N,D,H,W,Ci]
 * @returns [N,D,H,W,Ci]
 */
export function conv3dBackpropInputPortable(
  dy: Tensor5D,
  filter: Tensor5D,
  inputShape: Shape5,
  stridesIn: number | number[],
  pad: "same" | "valid",
  dilationsIn: number | number[] = 1,
): Tensor5D {
  const strides = triple(stridesIn);
  const dilations = triple(dilationsIn);
  const before = convPads3D(inputShape, filter.shape, strides, dilations, pad);
  return tf.tidy(() => {
    const dyz = zeroInsert(dy, strides);
    const wf = flipSwapFilter(filter); // [kd,kh,kw,Co,Ci]
    const amounts: Array<[number, number]> = [[0, 0]];
    for (let a = 0; a < 3; a++) {
      const ext = (filter.shape[a]! - 1) * dilations[a]!;
      const b = ext - before[a]!;
      amounts.push([b, inputShape[a + 1]! + ext - b - dyz.shape[a + 1]!]);
    }
    amounts.push([0, 0]);
    const dp = padOrCrop(dyz, amounts);
    return tf.conv3d(dp, wf, 1, "valid", "NDHWC", dilations);
  });
}
