/**
 * BatchMatMul on the `native` backend with oneDNN's matmul (the cpu backend's JS matmul took
 * ~13 ms per call on the KD loss's [32768, 5] x [5, 5] products in a profile of the 2D step).
 * float32, rank >= 2; leading batch axes collapse to one, which must be equal on both sides or 1
 * on one side; other broadcasts run the cpu kernel.
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import { f32 } from "./conv.ts";
import { allocF32 } from "./buffers.ts";

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** BatchMatMul kernel; `fallback` is the cpu kernel. */
export function matmulKernel(addon: NativeAddon, fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const av = f32(backend, a), bv = f32(backend, b);
    const ra = a.shape.length, rb = b.shape.length;
    let out: TensorInfo | undefined;
    if (av && bv && ra >= 2 && rb >= 2) {
      const M = a.shape[transposeA ? ra - 1 : ra - 2]!, K = a.shape[transposeA ? ra - 2 : ra - 1]!;
      const K2 = b.shape[transposeB ? rb - 1 : rb - 2]!, N = b.shape[transposeB ? rb - 2 : rb - 1]!;
      const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
      const Ba = prod(batchA), Bb = prod(batchB);
      const batchOut = Ba >= Bb ? batchA : batchB;
      const sameBatch = batchA.length === batchB.length && batchA.every((v, i) => v === batchB[i]);
      if (K === K2 && (sameBatch || Ba === 1 || Bb === 1)) {
        const outShape = [...batchOut, M, N];
        const o = allocF32(prod(outShape));
        addon.matmul(Int32Array.from([Ba, Bb, M, K, N, transposeA ? 1 : 0, transposeB ? 1 : 0]), av, bv, o);
        out = backend.makeTensorInfo(outShape, "float32", o);
      }
    }
    if (out) return out;
    if (!fallback) throw new Error("native kernel BatchMatMul: unsupported inputs and no cpu kernel to fall back to");
    return fallback(args);
  };
}
