/**
 * Conv3D for the wasm backend as a sum over the kernel's depth taps of 2D convolutions (XNNPACK)
 * on strided depth slices: y[:, od] = sum_a conv2d(x_padded[:, od*sd + a*dd], w[a]).
 * tfjs-backend-wasm's own Conv3D is a plain C++ loop nest without SIMD/XNNPACK; this routes the
 * work to the fast 2D path. Padding follows TensorFlow (`tfPads3D`), like the rest of the pack.
 */
import { tf, type Tensor, type Tensor4D, type Tensor5D } from "../tf.ts";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { tfPads3D } from "./conv3d-grads.ts";
import { padOrCrop } from "./pad-util.ts";

/** Internal kernel name: depth im2col (see js-kernels.ts `depthIm2colJs`). */
export const UmmkdDepthIm2col = "UmmkdDepthIm2col";

type Triple = [number, number, number];
const triple = (v: number | number[]): Triple => (typeof v === "number" ? [v, v, v] : [v[0]!, v[1] ?? v[0]!, v[2] ?? v[0]!]);

/**
 * @param x [N,D,H,W,Ci]
 * @param filter [kd,kh,kw,Ci,Co]
 * @returns [N,Do,Ho,Wo,Co]
 */
export function conv3dVia2d(x: Tensor5D, filter: Tensor5D, stridesIn: number | number[], pad: "same" | "valid", dilationsIn: number | number[] = 1): Tensor5D {
  return conv3dExplicit(x, filter, triple(stridesIn), triple(dilationsIn), tfPads3D(x.shape, filter.shape, stridesIn, dilationsIn, pad));
}

/** Same, with explicit [before, after] pads per spatial axis (negative = crop). */
export function conv3dExplicit(x: Tensor5D, filter: Tensor5D, strides: Triple, dil: Triple, p: Array<[number, number]>): Tensor5D {
  const [N, D, H, W, Ci] = x.shape;
  const [kd, , , , Co] = filter.shape;
  const Dp = D + p[0]![0] + p[0]![1];
  const Do = Math.floor((Dp - ((kd - 1) * dil[0] + 1)) / strides[0]) + 1;
  return tf.tidy(() => {
    // Work on a rank-3 view [N, D, H*W*Ci]: wasm's Slice is fast up to rank 4 but falls back to a
    // per-element JS loop for rank 5 (measured ~480 ms for a 2x34x32x8x16 slab).
    const x3 = tf.reshape(x, [N, D, H * W * Ci]);
    const xp = p[0]![0] || p[0]![1] ? padOrCrop(x3, [[0, 0], p[0]!, [0, 0]]) : x3;
    const hw: Array<[number, number]> = [p[1]!, p[2]!];
    const crop = hw.some(([a, b]) => a < 0 || b < 0);
    if (tf.getKernel(UmmkdDepthIm2col, tf.getBackend())) {
      // One conv2d with the depth taps stacked on the channel axis (K = kd*Ci): no per-tap slices
      // or adds, and a larger GEMM for XNNPACK.
      const cols = tf.engine().runKernel(UmmkdDepthIm2col, { x: tf.reshape(xp, [N, Dp, H * W, Ci]) }, { kd, sd: strides[0], dd: dil[0], Do } as never) as Tensor;
      let x2 = tf.reshape(cols, [N * Do, H, W, kd * Ci]) as Tensor4D;
      let pads = hw;
      if (crop) {
        x2 = padOrCrop(x2, [[0, 0], hw[0]!, hw[1]!, [0, 0]]);
        pads = [[0, 0], [0, 0]];
      }
      const [, kh, kw] = filter.shape;
      const f2 = tf.reshape(tf.transpose(filter, [1, 2, 0, 3, 4]), [kh, kw, kd * Ci, Co]) as Tensor4D;
      const y2 = tf.conv2d(x2, f2, [strides[1], strides[2]], [[0, 0], pads[0]!, pads[1]!, [0, 0]], "NHWC", [dil[1], dil[2]]);
      const [, Ho, Wo] = y2.shape;
      return tf.reshape(y2, [N, Do, Ho, Wo, Co]) as Tensor5D;
    }
    const filters = tf.unstack(filter, 0) as Tensor4D[]; // kd x [kh,kw,Ci,Co]
    let acc: Tensor | undefined;
    for (let a = 0; a < kd; a++) {
      const start = a * dil[0];
      const slab =
        strides[0] === 1
          ? tf.slice(xp, [0, start, 0], [N, Do, H * W * Ci])
          : tf.stridedSlice(xp, [0, start, 0], [N, start + (Do - 1) * strides[0] + 1, H * W * Ci], [1, strides[0], 1]);
      let x2 = tf.reshape(slab, [N * Do, H, W, Ci]) as Tensor4D;
      let pads = hw;
      if (crop) {
        x2 = padOrCrop(x2, [[0, 0], hw[0]!, hw[1]!, [0, 0]]);
        pads = [[0, 0], [0, 0]];
      }
      const y2 = tf.conv2d(x2, filters[a]!, [strides[1], strides[2]], [[0, 0], pads[0]!, pads[1]!, [0, 0]], "NHWC", [dil[1], dil[2]]);
      acc = acc ? tf.add(acc, y2) : y2;
    }
    const [, Ho, Wo] = acc!.shape;
    return tf.reshape(acc!, [N, Do, Ho!, Wo!, Co]) as Tensor5D;
  });
}

/**
 * Kernel form for registration as wasm's `Conv3D` (inputs {x, filter}; attrs {strides, pad,
 * dilations}). As a drop-in for tfjs's kernel it keeps tfjs's own padding (computeConv3DInfo, which
 * differs from TensorFlow's where a kernel is smaller than its stride; `ops.conv3d` avoids that case).
 */
export const conv3dVia2dKernel: KernelFunc = ({ inputs, attrs }) => {
  const { x, filter } = inputs as unknown as { x: Tensor5D; filter: Tensor5D };
  const a = attrs as unknown as { strides: number | number[]; pad: "same" | "valid"; dilations?: number | number[]; dataFormat?: string };
  if (a.dataFormat && a.dataFormat !== "NDHWC") throw new Error(`Conv3D (ummkd wasm pack): only NDHWC is supported, got ${a.dataFormat}`);
  const strides = triple(a.strides);
  const dil = triple(a.dilations ?? 1);
  const info = tf.backend_util.computeConv3DInfo(x.shape, filter.shape, strides, dil, a.pad);
  const pi = info.padInfo;
  const need = (n: number, o: number, s: number, k: number, d: number, before: number): [number, number] => [before, (o - 1) * s + (k - 1) * d + 1 - n - before];
  const pads: Array<[number, number]> = [
    need(x.shape[1], info.outDepth, strides[0], filter.shape[0], dil[0], pi.front),
    need(x.shape[2], info.outHeight, strides[1], filter.shape[1], dil[1], pi.top),
    need(x.shape[3], info.outWidth, strides[2], filter.shape[2], dil[2], pi.left),
  ];
  return conv3dExplicit(x, filter, strides, dil, pads) as unknown as TensorInfo;
};
