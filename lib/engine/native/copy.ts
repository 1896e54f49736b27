/**
 * Concat and SplitV of float32 tensors for the `native` backend, as row copies in C++
 * (`copyRows`: one memcpy per outer index, OpenMP over the outer indices).
 *
 * Why: the 3D U-Net's skip connections concatenate, and its Chilopod layers split, channels-last
 * tensors along the channel axis: runs of 4-64 floats per voxel. The portable JS kernels
 * (`../wasm/js-cpu-fast.ts`) copy those runs element by element; on the Table II step they took
 * ~12% of the step (SplitV 93 ms + Concat 45 ms of ~1.15 s). Other dtypes take the JS kernel.
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import { allocF32 } from "./buffers.ts";
import { f32 } from "./conv.ts";
import { CPU_FAST_KERNELS } from "../wasm/js-cpu-fast.ts";
import { splitVSizes } from "../wasm/wasm-slice.ts";

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Concat and SplitV kernels; `fallbacks` are the cpu backend's stock kernels (wrapped by the JS fast ones). */
export function copyKernels(addon: NativeAddon, fallbacks: Map<string, KernelFunc>): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  const copyRows = addon.copyRows?.bind(addon);
  if (!copyRows) return k;
  const js = (name: "Concat" | "SplitV"): KernelFunc => {
    const stock = fallbacks.get(name);
    if (!stock) throw new Error(`native kernel ${name}: no cpu kernel to fall back to`);
    return CPU_FAST_KERNELS[name]!(stock);
  };
  const concatJs = js("Concat"), splitJs = js("SplitV");
  k.set("Concat", (args) => {
    const backend = args.backend as MathBackendCPU;
    const inputs = args.inputs as unknown as TensorInfo[];
    const a0 = (args.attrs as unknown as { axis: number | number[] }).axis;
    if (!Array.isArray(inputs) || inputs.length === 0) return concatJs(args);
    const r = inputs[0]!.shape.length;
    const axisIn = Array.isArray(a0) ? a0[0]! : a0;
    const axis = axisIn < 0 ? axisIn + r : axisIn;
    if (r === 0 || !(axis >= 0 && axis < r)) return concatJs(args);
    const vals: Float32Array[] = [];
    for (const t of inputs) {
      const v = f32(backend, t);
      if (!v || t.shape.length !== r || t.shape.some((s, i) => i !== axis && s !== inputs[0]!.shape[i])) return concatJs(args);
      vals.push(v);
    }
    const outShape = inputs[0]!.shape.slice();
    outShape[axis] = inputs.reduce((a, t) => a + t.shape[axis]!, 0);
    const nOuter = prod(outShape.slice(0, axis));
    const runs = inputs.map((t) => prod(t.shape.slice(axis)));
    const row = runs.reduce((a, b) => a + b, 0);
    const out = allocF32(nOuter * row);
    let off = 0;
    inputs.forEach((_, i) => {
      copyRows(vals[i]!, out, Int32Array.of(nOuter, runs[i]!, 0, row, off, runs[i]!));
      off += runs[i]!;
    });
    return backend.makeTensorInfo(outShape, "float32", out);
  });
  k.set("SplitV", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const xv = f32(backend, x);
    if (!xv || x.shape.length === 0) return splitJs(args);
    const { axis, sizes } = splitVSizes(x.shape, args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] });
    const nOuter = prod(x.shape.slice(0, axis));
    const inner = prod(x.shape.slice(axis + 1));
    const row = x.shape[axis]! * inner;
    let start = 0;
    return sizes.map((n) => {
      const shape = x.shape.slice();
      shape[axis] = n;
      const out = allocF32(nOuter * n * inner);
      copyRows(xv, out, Int32Array.of(nOuter, row, start * inner, n * inner, 0, n * inner));
      start += n;
      return backend.makeTensorInfo(shape, "float32", out);
    });
  });
  return k;
}
