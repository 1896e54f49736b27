/**
 * Native (oneDNN) max pooling kernels for the `native` backend: MaxPool, MaxPoolGrad, MaxPool3D,
 * MaxPool3DGrad. Channels-last float32 only (else the cpu kernel runs). Padded positions never
 * win, as in tfjs; window geometry comes from tfjs' `computePool2DInfo`/`computePool3DInfo`.
 */
import { backend_util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import { f32 } from "./conv.ts";
import { allocF32 } from "./buffers.ts";

/** Packs a 2D pooling geometry into the addon's params. */
export function poolParams2D(c: backend_util.Conv2DInfo): Int32Array {
  const pt = c.padInfo.top, pl = c.padInfo.left;
  return Int32Array.from([
    2, c.batchSize, c.inChannels, c.inHeight, c.inWidth, c.filterHeight, c.filterWidth, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, pt, pl,
    (c.outHeight - 1) * c.strideHeight + c.filterHeight - c.inHeight - pt,
    (c.outWidth - 1) * c.strideWidth + c.filterWidth - c.inWidth - pl,
  ]);
}

/** Packs a 3D pooling geometry into the addon's params. */
export function poolParams3D(c: backend_util.Conv3DInfo): Int32Array {
  const pf = c.padInfo.front, pt = c.padInfo.top, pl = c.padInfo.left;
  return Int32Array.from([
    3, c.batchSize, c.inChannels, c.inDepth, c.inHeight, c.inWidth, c.filterDepth, c.filterHeight, c.filterWidth,
    c.outDepth, c.outHeight, c.outWidth, c.strideDepth, c.strideHeight, c.strideWidth, pf, pt, pl,
    (c.outDepth - 1) * c.strideDepth + c.filterDepth - c.inDepth - pf,
    (c.outHeight - 1) * c.strideHeight + c.filterHeight - c.inHeight - pt,
    (c.outWidth - 1) * c.strideWidth + c.filterWidth - c.inWidth - pl,
  ]);
}

type PoolAttrs = { filterSize: number | number[]; strides: number | number[]; pad: "same" | "valid" | number; dimRoundingMode?: "floor" | "round" | "ceil"; dataFormat?: string };

/** Kernel functions by kernel name; `fallbacks` are the cpu backend's kernels of the same names. */
export function poolKernels(addon: NativeAddon, fallbacks: Map<string, KernelFunc>): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  const def = (name: string, body: (backend: MathBackendCPU, inputs: Record<string, TensorInfo>, attrs: PoolAttrs) => TensorInfo | undefined) =>
    k.set(name, (args) => {
      const out = body(args.backend as MathBackendCPU, args.inputs as Record<string, TensorInfo>, args.attrs as unknown as PoolAttrs);
      if (out !== undefined) return out;
      const fb = fallbacks.get(name);
      if (!fb) throw new Error(`native kernel ${name}: unsupported inputs and no cpu kernel to fall back to`);
      return fb(args);
    });
  const geom2D = (shape: number[], a: PoolAttrs) =>
    backend_util.computePool2DInfo(shape as [number, number, number, number], a.filterSize as [number, number], a.strides as [number, number], 1, a.pad, a.dimRoundingMode);
  const geom3D = (shape: number[], a: PoolAttrs) =>
    backend_util.computePool3DInfo(shape as [number, number, number, number, number], a.filterSize as [number, number, number], a.strides as [number, number, number], 1, a.pad, a.dimRoundingMode, "NDHWC");
  // padL >= 0 and padR > -stride in every dim (see convGeometryOk); else the cpu kernel runs.
  const ok = (p: Int32Array) => {
    const n = p[0]!;
    for (let d = 0; d < n; d++) if (p[3 + 4 * n + d]! < 0 || p[3 + 5 * n + d]! + p[3 + 3 * n + d]! <= 0) return false;
    return true;
  };
  const fwd = (backend: MathBackendCPU, x: TensorInfo, outShape: number[], params: Int32Array) => {
    if (!ok(params)) return undefined;
    const xv = f32(backend, x)!;
    const y = allocF32(outShape.reduce((p, q) => p * q, 1));
    addon.maxPool(params, xv, y);
    return backend.makeTensorInfo(outShape, "float32", y);
  };
  const bwd = (backend: MathBackendCPU, x: TensorInfo, dy: TensorInfo, params: Int32Array) => {
    if (!ok(params)) return undefined;
    const xv = f32(backend, x)!, dyv = f32(backend, dy)!;
    const dx = allocF32(xv.length).fill(0); // oneDNN accumulates into dx
    addon.maxPoolGrad(params, xv, dyv, dx);
    return backend.makeTensorInfo([...x.shape], "float32", dx);
  };
  def("MaxPool", (b, i, a) => {
    if (!f32(b, i.x!) || i.x!.shape.length !== 4) return undefined;
    const c = geom2D(i.x!.shape, a);
    return fwd(b, i.x!, c.outShape, poolParams2D(c));
  });
  def("MaxPoolGrad", (b, i, a) => {
    if (!f32(b, i.input!) || !f32(b, i.dy!)) return undefined;
    return bwd(b, i.input!, i.dy!, poolParams2D(geom2D(i.input!.shape, a)));
  });
  def("MaxPool3D", (b, i, a) => {
    if (!f32(b, i.x!) || i.x!.shape.length !== 5 || (a.dataFormat !== undefined && a.dataFormat !== "NDHWC")) return undefined;
    const c = geom3D(i.x!.shape, a);
    return fwd(b, i.x!, c.outShape, poolParams3D(c));
  });
  def("MaxPool3DGrad", (b, i, a) => {
    if (!f32(b, i.input!) || !f32(b, i.dy!)) return undefined;
    return bwd(b, i.input!, i.dy!, poolParams3D(geom3D(i.input!.shape, a)));
  });
  return k;
}
