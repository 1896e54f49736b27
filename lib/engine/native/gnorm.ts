/**
 * Native (OpenMP) group normalization for the `native` backend: `UmmkdGroupNorm` (y, and the
 * per-(sample, group) mean and inverse standard deviation) and `UmmkdGroupNormGrad` (dx, dgamma,
 * dbeta), as specified in `../kernel-names.ts` and implemented in `src/gnorm.cc`. Instance norm is
 * groups = C, layer norm groups = 1.
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import type { UmmkdGroupNormAttrs } from "../kernel-names.ts";
import { f32 } from "./conv.ts";
import { allocF32 } from "./buffers.ts";
import { groupNormDims, groupNormGradJs, groupNormJs } from "../wasm/groupnorm.ts";

/** [B, S, C, G] for a channels-last shape and G groups (S = product of the middle axes). */
export function gnParams(shape: readonly number[], groups: number): Int32Array {
  const { B, S, C, G } = groupNormDims(shape, groups);
  return Int32Array.from([B, S, C, G]);
}

/** Kernel functions by kernel name; inputs that are not float32 go to the JS kernels. */
export function gnormKernels(addon: NativeAddon): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  k.set("UmmkdGroupNorm", (args) => {
    const b = args.backend as MathBackendCPU;
    const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as UmmkdGroupNormAttrs;
    const xv = f32(b, x!), gv = f32(b, gamma!), bv = f32(b, beta!);
    if (!xv || !gv || !bv) return groupNormJs(args);
    const p = gnParams(x!.shape, a.groups);
    const bg = p[0]! * p[3]!;
    const y = allocF32(xv.length), mean = new Float32Array(bg), rstd = new Float32Array(bg);
    addon.groupNorm(p, a.epsilon, xv, gv, bv, y, mean, rstd);
    const statShape = [p[0]!, p[3]!];
    return [b.makeTensorInfo([...x!.shape], "float32", y), b.makeTensorInfo(statShape, "float32", mean), b.makeTensorInfo(statShape, "float32", rstd)];
  });
  k.set("UmmkdGroupNormGrad", (args) => {
    const b = args.backend as MathBackendCPU;
    const { dy, x, gamma, mean, rstd } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as UmmkdGroupNormAttrs;
    const v = [dy, x, gamma, mean, rstd].map((t) => (t ? f32(b, t) : undefined));
    if (v.some((u) => !u)) return groupNormGradJs(args);
    const [dyv, xv, gv, mv, rv] = v as Float32Array[];
    const p = gnParams(x!.shape, a.groups);
    const c = p[2]!;
    const dx = allocF32(xv!.length), dg = new Float32Array(c), db = new Float32Array(c);
    addon.groupNormGrad(p, dyv!, xv!, gv!, mv!, rv!, dx, dg, db);
    return [b.makeTensorInfo([...x!.shape], "float32", dx), b.makeTensorInfo([c], "float32", dg), b.makeTensorInfo([c], "float32", db)];
  });
  return k;
}
