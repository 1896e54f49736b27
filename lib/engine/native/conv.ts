/**
 * Native (oneDNN) convolution kernels for the `native` backend: Conv2D/Conv3D forward, their
 * input and filter gradients (standard tfjs kernels and the dilated `Ummkd*` ones of
 * `../kernel-names.ts`), and FusedConv2D (bias + activation as oneDNN post-ops).
 *
 * Layout: channels-last only (NHWC / NDHWC) and float32 only; anything else is handed to the cpu
 * kernel of the same name. Padding comes from tfjs' own `computeConv2DInfo`/`computeConv3DInfo`,
 * so 'same' splits exactly as tfjs does.
 */
import { backend_util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import { allocF32 } from "./buffers.ts";
import { ConvKind, ConvLayout, ConvPostOp } from "./entries.gen.ts";

type Conv2DInfo = backend_util.Conv2DInfo;
type Conv3DInfo = backend_util.Conv3DInfo;
export { ConvKind } from "./entries.gen.ts";

/** Conv layout (`src/conv.cc`; UMMKD_NATIVE_LAYOUT overrides it with a code): channelsLast = plain activations + blocked weights (measured fastest). */
const LAYOUT = Number(process.env.UMMKD_NATIVE_LAYOUT ?? ConvLayout.channelsLast);

/**
 * The float32 storage of a tensor on the cpu-derived backend, or undefined if not float32. A
 * float32 tensor can be stored in another typed array (the cpu Cast of bool to float32 keeps its
 * Uint8Array): those are converted (a copy).
 */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== "float32") return undefined;
  const v = backend.data.get(t.dataId)?.values;
  if (v instanceof Float32Array) return v;
  if (v instanceof Uint8Array || v instanceof Int32Array) return Float32Array.from(v);
  return undefined;
}

/** Right padding that makes oneDNN's output size equal tfjs' (may be negative for 'valid' + stride). */
function padRight(inSize: number, k: number, dil: number, stride: number, out: number, padL: number): number {
  return (out - 1) * stride + (k - 1) * dil + 1 - inSize - padL;
}

/** Packs a 2D conv (tfjs Conv2DInfo) into the addon's params. */
export function convParams2D(kind: ConvKind, c: Conv2DInfo, post: ConvPostOp = ConvPostOp.none, hasBias = false): Int32Array {
  const pt = c.padInfo.top, pl = c.padInfo.left;
  return Int32Array.from([
    kind, 2, LAYOUT, hasBias ? 1 : 0, post, c.batchSize, c.inChannels, c.outChannels,
    c.inHeight, c.inWidth, c.filterHeight, c.filterWidth, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, c.dilationHeight - 1, c.dilationWidth - 1, pt, pl,
    padRight(c.inHeight, c.filterHeight, c.dilationHeight, c.strideHeight, c.outHeight, pt),
    padRight(c.inWidth, c.filterWidth, c.dilationWidth, c.strideWidth, c.outWidth, pl),
  ]);
}

/** Packs a 3D conv (tfjs Conv3DInfo) into the addon's params. */
export function convParams3D(kind: ConvKind, c: Conv3DInfo): Int32Array {
  const pf = c.padInfo.front, pt = c.padInfo.top, pl = c.padInfo.left;
  return Int32Array.from([
    kind, 3, LAYOUT, 0, ConvPostOp.none, c.batchSize, c.inChannels, c.outChannels,
    c.inDepth, c.inHeight, c.inWidth, c.filterDepth, c.filterHeight, c.filterWidth,
    c.outDepth, c.outHeight, c.outWidth, c.strideDepth, c.strideHeight, c.strideWidth,
    c.dilationDepth - 1, c.dilationHeight - 1, c.dilationWidth - 1, pf, pt, pl,
    padRight(c.inDepth, c.filterDepth, c.dilationDepth, c.strideDepth, c.outDepth, pf),
    padRight(c.inHeight, c.filterHeight, c.dilationHeight, c.strideHeight, c.outHeight, pt),
    padRight(c.inWidth, c.filterWidth, c.dilationWidth, c.strideWidth, c.outWidth, pl),
  ]);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const channelsLast = (fmt: unknown) => fmt === undefined || fmt === "NHWC" || fmt === "NDHWC" || fmt === "channelsLast";

/** Wraps a native kernel body so unsupported cases run the cpu kernel (`fallback`) instead. */
function withFallback(name: string, fallback: KernelFunc | undefined, body: (args: Parameters<KernelFunc>[0]) => TensorInfo | TensorInfo[] | undefined): KernelFunc {
  return (args) => {
    const out = body(args);
    if (out !== undefined) return out;
    if (!fallback) {
      const ins = Object.entries(args.inputs).map(([k, t]) => `${k}: ${t ? `${t.dtype}[${t.shape}]` : "missing"}`).join(", ");
      throw new Error(`native kernel ${name}: unsupported inputs (${ins}; attrs ${JSON.stringify(args.attrs)}) and no cpu kernel to fall back to`);
    }
    return fallback(args);
  };
}

/**
 * Whether oneDNN can express the geometry: padL >= 0 and padR > -stride in every spatial dim.
 * tfjs computes both output sizes of a numeric pad from the height's filter and stride, which
 * can give geometries (e.g. strides [2, 1], pad 1) that no padding reproduces: those run on cpu.
 */
export function convGeometryOk(p: Int32Array): boolean {
  const n = p[1]!;
  for (let d = 0; d < n; d++) {
    const stride = p[8 + 3 * n + d]!, padL = p[8 + 5 * n + d]!, padR = p[8 + 6 * n + d]!;
    if (padL < 0 || padR + stride <= 0) return false;
  }
  return true;
}

/**
 * Copies a channels-last tensor [N, s1..sn, C] without its first `drop[d]` entries along each
 * spatial axis d (drop >= 0), or, with `inverse`, scatters such a cropped tensor back into a zeroed
 * full-size one. Used for tfjs 3D 'same' padding, which can put a negative pad before the data
 * (filter smaller than stride, even size: tfjs does not clamp it at 0, unlike 2D) — a pad oneDNN
 * cannot take; a negative pad of -p is the same conv on the input minus its first p entries.
 */
export function cropLeading(full: Float32Array, fullShape: number[], drop: number[], inverse = false, cropped?: Float32Array): Float32Array {
  const n = fullShape.length - 2;
  const cShape = fullShape.map((v, i) => (i >= 1 && i <= n ? v - drop[i - 1]! : v));
  const fStr = new Array<number>(fullShape.length).fill(1), cStr = new Array<number>(fullShape.length).fill(1);
  for (let i = fullShape.length - 2; i >= 0; i--) {
    fStr[i] = fStr[i + 1]! * fullShape[i + 1]!;
    cStr[i] = cStr[i + 1]! * cShape[i + 1]!;
  }
  const out = inverse ? new Float32Array(size(fullShape)) : new Float32Array(size(cShape));
  const src = inverse ? cropped! : full;
  const rowLen = cShape[n]! * cShape[n + 1]!; // innermost spatial axis x channels, contiguous in both
  const rows = size(cShape) / rowLen;
  const idx = new Array<number>(n + 1).fill(0); // [batch, s1..s(n-1)]
  for (let r = 0; r < rows; r++) {
    let rem = r, fo = 0, co = 0;
    for (let i = n - 1; i >= 0; i--) {
      const dim = cShape[i]!;
      idx[i] = rem % dim;
      rem = Math.floor(rem / dim);
    }
    for (let i = 0; i < n; i++) {
      fo += (idx[i]! + (i >= 1 ? drop[i - 1]! : 0)) * fStr[i]!;
      co += idx[i]! * cStr[i]!;
    }
    fo += drop[n - 1]! * fStr[n]!;
    if (inverse) out.set(src.subarray(co, co + rowLen), fo);
    else out.set(src.subarray(fo, fo + rowLen), co);
  }
  return out;
}

/** Runs one conv: `a`, `b` inputs, result of `outShape`; undefined if oneDNN cannot express it. */
function run(addon: NativeAddon, backend: MathBackendCPU, params: Int32Array, a: Float32Array, b: Float32Array, outShape: number[], bias: Float32Array | null = null, alpha = 0): TensorInfo | undefined {
  const n = params[1]!, kind = params[0]!;
  const drop = Array.from(params.subarray(8 + 5 * n, 8 + 6 * n), (padL) => Math.max(0, -padL));
  if (drop.some((d) => d > 0)) {
    // Negative leading pads: run on the input without those entries (padL 0, same padR).
    const p = Int32Array.from(params);
    const inShape = [params[5]!, ...params.subarray(8, 8 + n), params[6]!];
    for (let d = 0; d < n; d++) {
      p[8 + d] = p[8 + d]! - drop[d]!;
      p[8 + 5 * n + d] = Math.max(0, params[8 + 5 * n + d]!);
    }
    if (!convGeometryOk(p) || p.subarray(8, 8 + n).some((v) => v < 1)) return undefined;
    const cropShape = [inShape[0]!, ...p.subarray(8, 8 + n), inShape[n + 1]!];
    if (kind === ConvKind.backwardData) {
      const cropped = new Float32Array(size(cropShape));
      addon.conv(p, a, b, cropped, bias, alpha);
      return backend.makeTensorInfo(outShape, "float32", cropLeading(new Float32Array(0), outShape, drop, true, cropped));
    }
    const out = allocF32(size(outShape));
    addon.conv(p, cropLeading(a, inShape, drop), b, out, bias, alpha);
    return backend.makeTensorInfo(outShape, "float32", out);
  }
  if (!convGeometryOk(params)) return undefined;
  const out = allocF32(size(outShape));
  addon.conv(params, a, b, out, bias, alpha);
  return backend.makeTensorInfo(outShape, "float32", out);
}

type Attrs = Record<string, unknown> & { strides: number | number[]; pad: never; dilations?: number | number[]; dimRoundingMode?: "floor" | "round" | "ceil"; dataFormat?: string };

/** Kernel functions by kernel name; `fallbacks` are the cpu backend's kernels of the same names. */
export function convKernels(addon: NativeAddon, fallbacks: Map<string, KernelFunc>): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  const def = (name: string, body: (backend: MathBackendCPU, inputs: Record<string, TensorInfo>, attrs: Attrs) => TensorInfo | undefined) =>
    k.set(name, withFallback(name, fallbacks.get(name), ({ inputs, backend, attrs }) =>
      body(backend as MathBackendCPU, inputs as Record<string, TensorInfo>, attrs as unknown as Attrs)));

  // ---- 2D ----
  const fwd2D = (backend: MathBackendCPU, x: TensorInfo, filter: TensorInfo, a: Attrs, post: ConvPostOp = ConvPostOp.none, bias: Float32Array | null = null, alpha = 0) => {
    const xv = f32(backend, x), wv = f32(backend, filter);
    if (!xv || !wv || !channelsLast(a.dataFormat) || x.shape.length !== 4) return undefined;
    const c = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides as [number, number], (a.dilations ?? 1) as [number, number], a.pad, a.dimRoundingMode, false, "channelsLast");
    return run(addon, backend, convParams2D(ConvKind.forward, c, post, bias !== null), xv, wv, c.outShape, bias, alpha);
  };
  const bwdInput2D = (backend: MathBackendCPU, dy: TensorInfo, filter: TensorInfo, a: Attrs) => {
    const dyv = f32(backend, dy), wv = f32(backend, filter);
    const inputShape = a.inputShape as [number, number, number, number];
    if (!dyv || !wv || !channelsLast(a.dataFormat)) return undefined;
    const c = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], a.strides as [number, number], (a.dilations ?? 1) as [number, number], a.pad, a.dimRoundingMode, false, "channelsLast");
    return run(addon, backend, convParams2D(ConvKind.backwardData, c), dyv, wv, [...inputShape]);
  };
  const bwdFilter2D = (backend: MathBackendCPU, x: TensorInfo, dy: TensorInfo, a: Attrs) => {
    const xv = f32(backend, x), dyv = f32(backend, dy);
    const filterShape = a.filterShape as [number, number, number, number];
    if (!xv || !dyv || !channelsLast(a.dataFormat)) return undefined;
    const c = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, a.strides as [number, number], (a.dilations ?? 1) as [number, number], a.pad, a.dimRoundingMode, false, "channelsLast");
    return run(addon, backend, convParams2D(ConvKind.backwardWeights, c), xv, dyv, [...filterShape]);
  };
  def("Conv2D", (b, i, a) => fwd2D(b, i.x!, i.filter!, a));
  def("Conv2DBackpropInput", (b, i, a) => bwdInput2D(b, i.dy!, i.filter!, { ...a, dilations: 1 }));
  def("Conv2DBackpropFilter", (b, i, a) => bwdFilter2D(b, i.x!, i.dy!, { ...a, dilations: 1 }));
  def("UmmkdConv2DBackpropInput", (b, i, a) => bwdInput2D(b, i.dy!, i.filter!, a));
  def("UmmkdConv2DBackpropFilter", (b, i, a) => bwdFilter2D(b, i.x!, i.dy!, a));
  def("FusedConv2D", (b, i, a) => {
    const posts: Record<string, ConvPostOp> = { linear: ConvPostOp.none, relu: ConvPostOp.relu, leakyrelu: ConvPostOp.relu, elu: ConvPostOp.elu, sigmoid: ConvPostOp.sigmoid, relu6: ConvPostOp.relu6 };
    const act = (a.activation as string | undefined) ?? "linear";
    const post = posts[act];
    if (post === undefined || i.preluActivationWeights) return undefined;
    const outC = i.filter!.shape[3]!;
    let bias: Float32Array | null = null;
    if (i.bias) {
      const bv = f32(b, i.bias);
      if (!bv || bv.length !== outC) return undefined; // broadcast forms other than [outC]: cpu kernel
      bias = bv;
    }
    const alpha = act === "leakyrelu" ? Number(a.leakyreluAlpha ?? 0.2) : 0;
    return fwd2D(b, i.x!, i.filter!, a, post, bias, alpha);
  });

  // ---- 3D ----
  const fwd3D = (backend: MathBackendCPU, x: TensorInfo, filter: TensorInfo, a: Attrs) => {
    const xv = f32(backend, x), wv = f32(backend, filter);
    if (!xv || !wv || !channelsLast(a.dataFormat) || x.shape.length !== 5) return undefined;
    const c = backend_util.computeConv3DInfo(x.shape as [number, number, number, number, number], filter.shape as [number, number, number, number, number], a.strides as [number, number, number], (a.dilations ?? 1) as [number, number, number], a.pad);
    return run(addon, backend, convParams3D(ConvKind.forward, c), xv, wv, c.outShape);
  };
  const bwdInput3D = (backend: MathBackendCPU, dy: TensorInfo, filter: TensorInfo, a: Attrs) => {
    const dyv = f32(backend, dy), wv = f32(backend, filter);
    const inputShape = a.inputShape as [number, number, number, number, number];
    if (!dyv || !wv) return undefined;
    const c = backend_util.computeConv3DInfo(inputShape, filter.shape as [number, number, number, number, number], a.strides as [number, number, number], (a.dilations ?? 1) as [number, number, number], a.pad);
    return run(addon, backend, convParams3D(ConvKind.backwardData, c), dyv, wv, [...inputShape]);
  };
  const bwdFilter3D = (backend: MathBackendCPU, x: TensorInfo, dy: TensorInfo, a: Attrs) => {
    const xv = f32(backend, x), dyv = f32(backend, dy);
    const filterShape = a.filterShape as [number, number, number, number, number];
    if (!xv || !dyv) return undefined;
    const c = backend_util.computeConv3DInfo(x.shape as [number, number, number, number, number], filterShape, a.strides as [number, number, number], (a.dilations ?? 1) as [number, number, number], a.pad);
    return run(addon, backend, convParams3D(ConvKind.backwardWeights, c), xv, dyv, [...filterShape]);
  };
  def("Conv3D", (b, i, a) => fwd3D(b, i.x!, i.filter!, a));
  def("Conv3DBackpropInputV2", (b, i, a) => bwdInput3D(b, i.dy!, i.filter!, { ...a, dilations: 1 }));
  def("Conv3DBackpropFilterV2", (b, i, a) => bwdFilter3D(b, i.x!, i.dy!, { ...a, dilations: 1 }));
  def("UmmkdConv3DBackpropInput", (b, i, a) => bwdInput3D(b, i.dy!, i.filter!, a));
  def("UmmkdConv3DBackpropFilter", (b, i, a) => bwdFilter3D(b, i.x!, i.dy!, a));
  return k;
}
