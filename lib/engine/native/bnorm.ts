/**
 * Native (oneDNN) fused batch normalization for the `native` backend: `UmmkdBatchNormTrain`
 * (y, batch mean, biased batch variance) and `UmmkdBatchNormTrainGrad` (dx, dgamma, dbeta), as
 * specified in `../kernel-names.ts`. Channels-last: statistics over every axis but the last.
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import { f32 } from "./conv.ts";
import { allocF32 } from "./buffers.ts";

/** [N, S, C] for a channels-last shape: batch, product of the middle axes, channels. */
export function bnParams(shape: readonly number[]): Int32Array {
  const n = shape[0] ?? 1, c = shape[shape.length - 1] ?? 1;
  const s = shape.slice(1, -1).reduce((a, b) => a * b, 1);
  return Int32Array.from([n, s, c]);
}

/** Kernel functions by kernel name; `fallbacks` are the cpu backend's kernels of the same names. */
export function bnormKernels(addon: NativeAddon, fallbacks: Map<string, KernelFunc>): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  const fallback = (name: string, args: Parameters<KernelFunc>[0]) => {
    const fb = fallbacks.get(name);
    if (!fb) throw new Error(`native kernel ${name}: unsupported inputs (need float32 tensors of rank >= 2) and no cpu kernel to fall back to`);
    return fb(args);
  };
  k.set("UmmkdBatchNormTrain", (args) => {
    const b = args.backend as MathBackendCPU;
    const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
    const eps = Number((args.attrs as { epsilon?: number }).epsilon ?? 1e-3);
    const xv = f32(b, x!), gv = f32(b, gamma!), bv = f32(b, beta!);
    if (!xv || !gv || !bv || x!.shape.length < 2) return fallback("UmmkdBatchNormTrain", args);
    const c = x!.shape[x!.shape.length - 1]!;
    const y = allocF32(xv.length), mean = new Float32Array(c), variance = new Float32Array(c);
    addon.bnTrain(bnParams(x!.shape), eps, xv, gv, bv, y, mean, variance);
    return [b.makeTensorInfo([...x!.shape], "float32", y), b.makeTensorInfo([c], "float32", mean), b.makeTensorInfo([c], "float32", variance)];
  });
  k.set("UmmkdBatchNormTrainGrad", (args) => {
    const b = args.backend as MathBackendCPU;
    const { dy, x, gamma, mean, variance } = args.inputs as Record<string, TensorInfo>;
    const eps = Number((args.attrs as { epsilon?: number }).epsilon ?? 1e-3);
    const v = [dy, x, gamma, mean, variance].map((t) => (t ? f32(b, t) : undefined));
    if (v.some((a) => !a) || x!.shape.length < 2) return fallback("UmmkdBatchNormTrainGrad", args);
    const [dyv, xv, gv, mv, vv] = v as Float32Array[];
    const c = x!.shape[x!.shape.length - 1]!;
    const dx = allocF32(xv!.length), dg = new Float32Array(c), db = new Float32Array(c);
    addon.bnTrainGrad(bnParams(x!.shape), eps, dyv!, xv!, gv!, mv!, vv!, dx, dg, db);
    return [b.makeTensorInfo([...x!.shape], "float32", dx), b.makeTensorInfo([c], "float32", dg), b.makeTensorInfo([c], "float32", db)];
  });
  return k;
}
