/**
 * Conv3D for the wasm backend as a sum over the kernel's depth taps of 2D convolutions (XNNPACK)
 * on strided depth slices: y[:, od] = sum_a conv2d(x_padded[:, od*sd + a*dd], w[a]).
 * tfjs-backend-wasm's own Conv3D is a plain C++ loop nest without SIMD/XNNPACK; this routes the
 * work to the fast 2D path. Padding follows TensorFlow (`tfPads3D`), like the rest of the pack.
 */
import { tf, type Tensor, type Tensor4D, type Tensor5D } from "../tf.ts";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { tfPads3D } from "./conv3d-grads.ts";

type Triple = [number, number, number];
const triple = (v: number | number[]): Triple => (typeof v === "number" ? [v, v, v] : [v[0]!, v[1] ?? v[0]!, v[2] ?? v[0]!]);

/**
 * @param x [N,D,H,W,Ci]
 * @param filter [kd,kh,kw,Ci,Co]
 * @returns [N,Do,Ho,Wo,Co]
 */
export function conv3dVia2d(x: Tensor5D, filter: Tensor5D, stridesIn: number | number[], pad: "same" | "valid", dilationsIn: number | number[] = 1): Tensor5D {
  const strides = triple(stridesIn);
  const dil = triple(dilationsIn);
  const [N, D, H, W, Ci] = x.shape;
  const [kd, kh, kw, , Co] = filter.shape;
  const p = tfPads3D(x.shape, filter.shape, strides, dil, pad);
  const Dp = D + p[0]![0] + p[0]![1];
  const Do = Math.floor((Dp - ((kd - 1) * dil[0] + 1)) / strides[0]) + 1;
  return tf.tidy(() => {
    const xp = p[0]![0] || p[0]![1] ? tf.pad(x, [[0, 0], p[0]!, [0, 0], [0, 0], [0, 0]]) : x;
    const filters = tf.unstack(filter, 0) as Tensor4D[]; // kd x [kh,kw,Ci,Co]
    let acc: Tensor | undefined;
    for (let a = 0; a < kd; a++) {
      const start = a * dil[0];
      const slab =
        strides[0] === 1
          ? tf.slice(xp, [0, start, 0, 0, 0], [N, Do, H, W, Ci])
          : tf.stridedSlice(xp, [0, start, 0, 0, 0], [N, start + (Do - 1) * strides[0] + 1, H, W, Ci], [1, strides[0], 1, 1, 1]);
      const x2 = tf.reshape(slab, [N * Do, H, W, Ci]) as Tensor4D;
      const y2 = tf.conv2d(x2, filters[a]!, [strides[1], strides[2]], [[0, 0], p[1]!, p[2]!, [0, 0]], "NHWC", [dil[1], dil[2]]);
      acc = acc ? tf.add(acc, y2) : y2;
    }
    const [, Ho, Wo] = acc!.shape;
    return tf.reshape(acc!, [N, Do, Ho!, Wo!, Co]) as Tensor5D;
  });
}

/** Kernel form for registration as wasm's `Conv3D` (inputs {x, filter}; attrs {strides, pad, dilations}). */
export const conv3dVia2dKernel: KernelFunc = ({ inputs, attrs }) => {
  const { x, filter } = inputs as unknown as { x: Tensor5D; filter: Tensor5D };
  const a = attrs as unknown as { strides: number | number[]; pad: "same" | "valid"; dilations?: number | number[]; dataFormat?: string };
  if (a.dataFormat && a.dataFormat !== "NDHWC") throw new Error(`Conv3D (ummkd wasm pack): only NDHWC is supported, got ${a.dataFormat}`);
  return conv3dVia2d(x, filter, a.strides, a.pad, a.dilations ?? 1) as unknown as TensorInfo;
};
