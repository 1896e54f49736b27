/**
 * Registers the portable kernel pack for a backend:
 * - the ummkd custom kernels (`../kernel-names.ts`) where the backend has none of its own (the native
 *   engine registers faster ones first, and those are kept);
 * - on `wasm`: tfjs's missing `Conv2DBackpropFilter`, and a replacement for its slow
 *   `Conv2DBackpropInput` (~10x slower than its forward conv), both built from forward convolutions.
 *
 * Kernel functions here are composites of tf ops run inside `tf.tidy`; tfjs's engine accepts a
 * kernel that returns Tensors, and ops nested in a kernel are not recorded on the gradient tape.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from "../tf.ts";
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";
import {
  UmmkdBatchNormTrain,
  UmmkdBatchNormTrainGrad,
  UmmkdConv2DBackpropFilter,
  UmmkdConv2DBackpropInput,
  UmmkdConv3DBackpropFilter,
  UmmkdConv3DBackpropInput,
  type UmmkdBatchNormTrainAttrs,
  type UmmkdConv2DBackpropFilterAttrs,
  type UmmkdConv2DBackpropInputAttrs,
  type UmmkdConv3DBackpropFilterAttrs,
  type UmmkdConv3DBackpropInputAttrs,
} from "../kernel-names.ts";
import { conv2dBackpropFilterPortable, conv2dBackpropInputPortable } from "./conv2d-grads.ts";
import { conv3dBackpropFilterPortable, conv3dBackpropInputPortable } from "./conv3d-grads.ts";
import { batchNormTrainGradPortable, batchNormTrainPortable } from "./batchnorm.ts";
import { batchNormTrainGradJs, batchNormTrainJs, flipSwapFilterJs, depthIm2colJs, leakyReluGradJs, maxPool3dGradJs, maxPool3dJs, maxPoolGradJs, supportsJsKernels } from "./js-kernels.ts";
import { UmmkdFlipSwapFilter, flipSwapFilterOps } from "./flip.ts";
import { CPU_FAST_KERNELS } from "./js-cpu-fast.ts";
import { conv3dVia2dKernel, UmmkdDepthIm2col } from "./conv3d-via-2d.ts";
import { wasmSlice, wasmSplitV, wasmTranspose } from "./wasm-slice.ts";
import { io } from "./js-kernels.ts";
import { adamUpdateJsFactory, adamUpdatePortable } from "./adam-kernels.ts";
import { UmmkdAdamUpdate, type UmmkdAdamUpdateAttrs } from "../kernel-names.ts";
import { UmmkdLeakyReluGrad, type UmmkdLeakyReluGradAttrs } from "../kernel-names.ts";
import { UmmkdDropout, type UmmkdDropoutAttrs } from "../kernel-names.ts";
import { dropoutJsFactory, dropoutPortable } from "./dropout-kernels.ts";
import { UmmkdClipByValueGrad, type UmmkdClipByValueGradAttrs } from "../kernel-names.ts";
import { clipByValueGradJs } from "./js-kernels.ts";
import { UmmkdGroupNorm, UmmkdGroupNormGrad, type UmmkdGroupNormAttrs } from "../kernel-names.ts";
import { groupNormGradJs, groupNormGradPortable, groupNormJs, groupNormPortable } from "./groupnorm.ts";

type Inputs = NamedTensorInfoMap;

/**
 * Backends whose tensors live on a device (webgpu has `readSync` and `makeTensorInfo` too, but a
 * synchronous read there needs OffscreenCanvas and a device round trip): the portable tf-op kernels only.
 */
const DEVICE_BACKENDS = new Set(["webgpu", "webgl"]);
const T = <R extends Tensor>(inputs: Inputs, name: string): R => inputs[name] as unknown as R;
const out = (t: Tensor | Tensor[]): TensorInfo | TensorInfo[] => t as unknown as TensorInfo | TensorInfo[];

/** The portable kernel functions, by kernel name. */
export const PORTABLE_KERNELS: Record<string, KernelFunc> = {
  [UmmkdConv2DBackpropFilter]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdConv2DBackpropFilterAttrs;
    return out(conv2dBackpropFilterPortable(T(inputs, "x"), T(inputs, "dy"), a.filterShape, a.strides, a.pad, a.dilations));
  },
  [UmmkdConv2DBackpropInput]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdConv2DBackpropInputAttrs;
    return out(conv2dBackpropInputPortable(T(inputs, "dy"), T(inputs, "filter"), a.inputShape, a.strides, a.pad, a.dilations));
  },
  [UmmkdConv3DBackpropFilter]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdConv3DBackpropFilterAttrs;
    return out(conv3dBackpropFilterPortable(T(inputs, "x"), T(inputs, "dy"), a.filterShape, a.strides, a.pad, a.dilations));
  },
  [UmmkdConv3DBackpropInput]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdConv3DBackpropInputAttrs;
    return out(conv3dBackpropInputPortable(T(inputs, "dy"), T(inputs, "filter"), a.inputShape, a.strides, a.pad, a.dilations));
  },
  [UmmkdBatchNormTrain]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdBatchNormTrainAttrs;
    return out(batchNormTrainPortable(T(inputs, "x"), T<Tensor1D>(inputs, "gamma"), T<Tensor1D>(inputs, "beta"), a.epsilon));
  },
  [UmmkdBatchNormTrainGrad]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdBatchNormTrainAttrs;
    return out(
      batchNormTrainGradPortable(
        T(inputs, "dy"),
        T(inputs, "x"),
        T<Tensor1D>(inputs, "gamma"),
        T<Tensor1D>(inputs, "mean"),
        T<Tensor1D>(inputs, "variance"),
        a.epsilon,
      ),
    );
  },
  [UmmkdGroupNorm]: ({ inputs, attrs }) =>
    out(groupNormPortable(T(inputs, "x"), T(inputs, "gamma"), T(inputs, "beta"), attrs as unknown as UmmkdGroupNormAttrs)),
  [UmmkdGroupNormGrad]: ({ inputs, attrs }) =>
    out(groupNormGradPortable(T(inputs, "dy"), T(inputs, "x"), T(inputs, "gamma"), T(inputs, "mean"), T(inputs, "rstd"), attrs as unknown as UmmkdGroupNormAttrs)),
  [UmmkdAdamUpdate]: ({ inputs, attrs }) =>
    out(adamUpdatePortable(T(inputs, "value"), T(inputs, "gradient"), T(inputs, "m"), T(inputs, "v"), attrs as unknown as UmmkdAdamUpdateAttrs)),
  [UmmkdFlipSwapFilter]: ({ inputs }) => out(flipSwapFilterOps(T(inputs, "filter"))),
  [UmmkdLeakyReluGrad]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdLeakyReluGradAttrs;
    const x = T(inputs, "x");
    return out(tf.where(tf.greater(x, 0), T(inputs, "dy"), tf.mul(T(inputs, "dy"), a.alpha)));
  },
  [UmmkdDropout]: ({ inputs, attrs }) => out(dropoutPortable(T(inputs, "x"), attrs as unknown as UmmkdDropoutAttrs)),
  [UmmkdClipByValueGrad]: ({ inputs, attrs }) => {
    const a = attrs as unknown as UmmkdClipByValueGradAttrs;
    const x = T(inputs, "x"), dy = T(inputs, "dy");
    return out(tf.where(tf.logicalAnd(tf.greaterEqual(x, a.clipValueMin), tf.lessEqual(x, a.clipValueMax)), dy, tf.zerosLike(dy)));
  },
};

/** Fused JS versions, used where the backend's memory is reachable from JS (wasm, cpu). */
const JS_KERNELS: Record<string, KernelFunc> = {
  [UmmkdBatchNormTrain]: batchNormTrainJs,
  [UmmkdBatchNormTrainGrad]: batchNormTrainGradJs,
  [UmmkdGroupNorm]: groupNormJs,
  [UmmkdGroupNormGrad]: groupNormGradJs,
  [UmmkdLeakyReluGrad]: leakyReluGradJs,
  [UmmkdFlipSwapFilter]: flipSwapFilterJs,
  [UmmkdAdamUpdate]: adamUpdateJsFactory(io),
  [UmmkdDropout]: dropoutJsFactory(io),
  [UmmkdClipByValueGrad]: clipByValueGradJs,
};

/** tfjs's own Conv2DBackpropFilter / Conv2DBackpropInput, implemented with the portable gradients. */
const stockConv2DBackpropFilter: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as { strides: number | [number, number]; pad: "same" | "valid" | number; filterShape: [number, number, number, number]; dimRoundingMode?: "floor" | "round" | "ceil"; dataFormat?: string };
  if (a.dataFormat && a.dataFormat !== "NHWC") throw new Error(`Conv2DBackpropFilter (ummkd wasm pack): only NHWC is supported, got ${a.dataFormat}`);
  return out(conv2dBackpropFilterPortable(T<Tensor4D>(inputs, "x"), T<Tensor4D>(inputs, "dy"), a.filterShape, a.strides, a.pad, 1, a.dimRoundingMode));
};
const stockConv2DBackpropInput: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as { strides: number | [number, number]; pad: "same" | "valid" | number; inputShape: [number, number, number, number]; dimRoundingMode?: "floor" | "round" | "ceil"; dataFormat?: string };
  if (a.dataFormat && a.dataFormat !== "NHWC") throw new Error(`Conv2DBackpropInput (ummkd wasm pack): only NHWC is supported, got ${a.dataFormat}`);
  return out(conv2dBackpropInputPortable(T<Tensor4D>(inputs, "dy"), T<Tensor4D>(inputs, "filter"), a.inputShape, a.strides, a.pad, 1, a.dimRoundingMode));
};

function wrap(f: KernelFunc): KernelFunc {
  // Intermediates are disposed; the returned Tensors become the kernel's outputs.
  return (args) => tf.tidy(() => f(args) as unknown as Tensor | Tensor[]) as unknown as TensorInfo | TensorInfo[];
}

function setKernel(kernelName: string, backendName: string, kernelFunc: KernelFunc, replace: boolean, composite = true): boolean {
  const existing = tf.getKernel(kernelName, backendName);
  if (existing && !replace) return false;
  if (existing) tf.unregisterKernel(kernelName, backendName);
  const config: KernelConfig = { kernelName, backendName, kernelFunc: composite ? wrap(kernelFunc) : kernelFunc };
  tf.registerKernel(config);
  return true;
}

/**
 * Register the portable kernel pack for `backendName`. Idempotent.
 * @returns the names of the kernels this call registered
 */
export function registerKernelPack(backendName: string): string[] {
  const done: string[] = [];
  // the JS kernels read and write the backend's memory synchronously: host-memory backends only
  const js = !DEVICE_BACKENDS.has(backendName) && supportsJsKernels(tf.findBackend(backendName));
  for (const [name, f] of Object.entries(PORTABLE_KERNELS)) {
    const jsf = js ? JS_KERNELS[name] : undefined;
    if (jsf ? setKernel(name, backendName, jsf, false, false) : setKernel(name, backendName, f, false)) done.push(jsf ? `${name} (js)` : name);
  }
  done.push(...registerCpuFastKernels(backendName));
  if (backendName === "wasm") {
    if (setKernel("Conv2DBackpropFilter", "wasm", stockConv2DBackpropFilter, false)) done.push("Conv2DBackpropFilter");
    if (!replacedWasmMaxPoolGrad) {
      setKernel("MaxPoolGrad", "wasm", maxPoolGradJs, true, false);
      setKernel("MaxPool3D", "wasm", maxPool3dJs, true, false);
      setKernel("MaxPool3DGrad", "wasm", maxPool3dGradJs, true, false);
      replacedWasmMaxPoolGrad = true;
      done.push("MaxPoolGrad, MaxPool3D, MaxPool3DGrad (js; wasm's give wrong results)");
    }
    if (!replacedWasmSlice) {
      const stockSlice = tf.getKernel("Slice", "wasm")!.kernelFunc;
      const stockSplit = tf.getKernel("SplitV", "wasm")!.kernelFunc;
      setKernel("Slice", "wasm", wasmSlice(stockSlice), true, false);
      setKernel("SplitV", "wasm", wasmSplitV(stockSlice, stockSplit), true, false);
      setKernel("Transpose", "wasm", wasmTranspose(tf.getKernel("Transpose", "wasm")!.kernelFunc), true, false);
      replacedWasmSlice = true;
      done.push("Slice, SplitV, Transpose (axes collapsed)");
    }
    if (!replacedWasmConv3D) {
      setKernel(UmmkdDepthIm2col, "wasm", depthIm2colJs, true, false);
      setKernel("Conv3D", "wasm", conv3dVia2dKernel, true);
      replacedWasmConv3D = true;
      done.push("Conv3D (via conv2d)");
    }
    if (!replacedWasmBackpropInput) {
      setKernel("Conv2DBackpropInput", "wasm", stockConv2DBackpropInput, true);
      replacedWasmBackpropInput = true;
      done.push("Conv2DBackpropInput");
    }
  }
  return done;
}
let replacedWasmBackpropInput = false;
let replacedWasmConv3D = false;
let replacedWasmSlice = false;
let replacedWasmMaxPoolGrad = false;

/** Stock tfjs-backend-cpu kernel functions, captured before we replace any. */
const stockCpu = new Map<string, KernelFunc>();
const ourFast = new Set<KernelFunc>();

/**
 * On cpu-style backends (`cpu`, and `native`, which copies the cpu kernels), replace the stock
 * Multiply/Add/Sub/RealDiv/Slice/Concat/Reverse/Transpose/Softmax/MirrorPad/SplitV/Tile with the faster JS ones of `js-cpu-fast.ts`
 * (each falls back to the stock kernel outside its fast paths). A kernel the backend has customised
 * (not the stock cpu function) is left alone.
 */
export function registerCpuFastKernels(backendName: string): string[] {
  const b = tf.findBackend(backendName) as unknown as Record<string, unknown> | null;
  if (!b || DEVICE_BACKENDS.has(backendName) || typeof b.typedArrayFromHeap === "function" || typeof b.readSync !== "function" || typeof b.makeTensorInfo !== "function") return [];
  const done: string[] = [];
  for (const [name, make] of Object.entries(CPU_FAST_KERNELS)) {
    if (!stockCpu.has(name)) {
      const k = tf.getKernel(name, "cpu");
      if (!k) continue;
      stockCpu.set(name, k.kernelFunc);
    }
    const stock = stockCpu.get(name)!;
    const cur = tf.getKernel(name, backendName);
    if (cur && cur.kernelFunc !== stock) continue; // customised by that backend, or already ours
    const fast = make(stock);
    ourFast.add(fast);
    if (cur) tf.unregisterKernel(name, backendName);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: fast });
    done.push(`${name} (js fast)`);
  }
  return done;
}

/** Exposed for tests: the portable implementations as plain functions. */
export { conv2dBackpropFilterPortable, conv2dBackpropInputPortable, conv3dBackpropFilterPortable, conv3dBackpropInputPortable, batchNormTrainPortable, batchNormTrainGradPortable, groupNormPortable, groupNormGradPortable };
export type { Tensor5D };
