/**
 * Native elementwise kernels for the `native` backend: float32 Add/Sub/Multiply/RealDiv/Maximum/
 * Minimum/SquaredDifference (same shapes, a scalar operand, or an operand repeated along the
 * leading axes such as a per-channel vector), unary Sqrt/Square/Neg/Exp/Log/Abs/Rsqrt/Reciprocal/
 * Floor/Relu, and Sum over leading or trailing axes. Everything else runs the cpu kernel.
 *
 * Why: a profile of the paper's 2D training step on this backend showed ~75% of the time in the
 * cpu backend's JS Multiply/Add/RealDiv/Sqrt/Sum (Adam updates and losses; its tensor-op-scalar
 * path costs ~50-100 ns per element). Results are identical to tfjs' (float32 rounding of the same
 * IEEE operations; Exp/Log are computed in double like Math.exp/Math.log; Sum accumulates in double).
 */
import { backend_util, util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon.ts";
import { BinaryOp, BroadcastMode, UnaryOp } from "./entries.gen.ts";
import { f32 } from "./conv.ts";
import { allocF32 } from "./buffers.ts";
import { aleaState, checkDropoutAttrs } from "../wasm/dropout-kernels.ts";
import type { UmmkdDropoutAttrs } from "../kernel-names.ts";
import { collapseTranspose } from "../wasm/js-cpu-fast.ts";

/** The addon's op for each tfjs binary kernel. */
const BINARY: Record<string, BinaryOp> = {
  Add: BinaryOp.add, Sub: BinaryOp.sub, Multiply: BinaryOp.mul, RealDiv: BinaryOp.div,
  Maximum: BinaryOp.max, Minimum: BinaryOp.min, SquaredDifference: BinaryOp.squaredDifference,
};
/** The addon's op for each tfjs unary kernel. */
const UNARY: Record<string, UnaryOp> = {
  Sqrt: UnaryOp.sqrt, Square: UnaryOp.square, Neg: UnaryOp.neg, Exp: UnaryOp.exp, Log: UnaryOp.log, Abs: UnaryOp.abs,
  Rsqrt: UnaryOp.rsqrt, Reciprocal: UnaryOp.reciprocal, Floor: UnaryOp.floor, Relu: UnaryOp.relu,
};

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Whether `small` (leading 1s dropped) equals the trailing axes of `out`. */
function isTrailing(small: readonly number[], out: readonly number[]): boolean {
  let i = 0;
  while (i < small.length && small[i] === 1) i++;
  const s = small.slice(i);
  if (s.length > out.length) return false;
  const tail = out.slice(out.length - s.length);
  return s.every((v, k) => v === tail[k]);
}

/** Whether `small` (trailing 1s dropped) equals the leading axes of `out` (same rank). */
function isLeading(small: readonly number[], out: readonly number[]): boolean {
  if (small.length !== out.length) return false;
  let e = small.length;
  while (e > 0 && small[e - 1] === 1) e--;
  return small.slice(0, e).every((v, k) => v === out[k]);
}

/**
 * Broadcast mode of the addon's `binary` for shapes a, b with broadcast shape out: same size, a or
 * b scalar, b (a) repeating over the leading axes (tiled), each b (a) entry repeating over the
 * trailing axes (per row; b is [..., 1]); -1 for any other broadcast.
 */
export function binaryMode(a: readonly number[], b: readonly number[], out: readonly number[]): BroadcastMode | -1 {
  const na = size(a), nb = size(b), n = size(out);
  if (na === n && nb === n) return BroadcastMode.same;
  if (na === 1 && nb === n) return BroadcastMode.aScalar;
  if (nb === 1 && na === n) return BroadcastMode.bScalar;
  if (na === n && isTrailing(b, out)) return BroadcastMode.bTiled;
  if (nb === n && isTrailing(a, out)) return BroadcastMode.aTiled;
  if (na === n && isLeading(b, out)) return BroadcastMode.bPerRow;
  if (nb === n && isLeading(a, out)) return BroadcastMode.aPerRow;
  return -1;
}

/** Kernel functions by kernel name; `fallbacks` are the cpu backend's kernels of the same names. */
export function elementwiseKernels(addon: NativeAddon, fallbacks: Map<string, KernelFunc>): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  const fb = (name: string, args: Parameters<KernelFunc>[0]) => {
    const f = fallbacks.get(name);
    if (!f) throw new Error(`native kernel ${name}: unsupported inputs and no cpu kernel to fall back to`);
    return f(args);
  };
  for (const [name, op] of Object.entries(BINARY)) {
    k.set(name, (args) => {
      const backend = args.backend as MathBackendCPU;
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const av = f32(backend, a), bv = f32(backend, b);
      if (!av || !bv) return fb(name, args);
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const mode = binaryMode(a.shape, b.shape, outShape);
      if (mode === -1) return fb(name, args);
      const out = allocF32(size(outShape));
      addon.binary(op, mode, av, bv, out);
      return backend.makeTensorInfo(outShape, "float32", out);
    });
  }
  for (const [name, op] of Object.entries(UNARY)) {
    k.set(name, (args) => {
      const backend = args.backend as MathBackendCPU;
      const { x } = args.inputs as { x: TensorInfo };
      const xv = f32(backend, x);
      if (!xv) return fb(name, args);
      const out = allocF32(xv.length);
      addon.unary(op, xv, out);
      return backend.makeTensorInfo([...x.shape], "float32", out);
    });
  }
  k.set("Sum", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const xv = f32(backend, x);
    if (!xv || x.shape.length === 0) return fb("Sum", args);
    const axes = [...util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
    const r = x.shape.length;
    if (axes.length === 0) return fb("Sum", args);
    const trailing = axes.every((v, i) => v === r - axes.length + i);
    const leading = axes.every((v, i) => v === i);
    if (!trailing && !leading) return fb("Sum", args);
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const outShape = keepDims ? x.shape.map((v, i) => (axes.includes(i) ? 1 : v)) : kept;
    const out = allocF32(size(kept));
    if (trailing) addon.sumInner(xv, out);
    else addon.sumOuter(xv, out);
    return backend.makeTensorInfo(outShape, "float32", out);
  });
  k.set("LeakyRelu", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const xv = f32(backend, x);
    if (!xv) return fb("LeakyRelu", args);
    const out = allocF32(xv.length);
    addon.leakyRelu(xv, out, Number((args.attrs as { alpha: number }).alpha));
    return backend.makeTensorInfo([...x.shape], "float32", out);
  });
  k.set("ClipByValue", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const { clipValueMin: lo, clipValueMax: hi } = args.attrs as unknown as { clipValueMin: number; clipValueMax: number };
    const xv = f32(backend, x);
    if (!xv) return fb("ClipByValue", args);
    const out = allocF32(xv.length);
    // tfjs cpu: x > max ? max : (x < min ? min : x) (NaN stays NaN); a plain loop, no native call needed.
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i]!;
      out[i] = v > hi ? hi : v < lo ? lo : v;
    }
    return backend.makeTensorInfo([...x.shape], "float32", out);
  });
  // Custom kernels of ../kernel-names.ts (same formulas and double-precision order as the engine's JS kernels).
  k.set("UmmkdLeakyReluGrad", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
    const dyv = f32(backend, dy), xv = f32(backend, x);
    if (!dyv || !xv || dyv.length !== xv.length) return fb("UmmkdLeakyReluGrad", args);
    const out = allocF32(xv.length);
    addon.leakyReluGrad(dyv, xv, out, Number((args.attrs as { alpha: number }).alpha));
    return backend.makeTensorInfo([...x.shape], "float32", out);
  });
  k.set("UmmkdAdamUpdate", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { value, gradient, m, v } = args.inputs as Record<"value" | "gradient" | "m" | "v", TensorInfo>;
    const a = args.attrs as unknown as { lr: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number };
    const vals = [value, gradient, m, v].map((t) => f32(backend, t!));
    if (vals.some((x) => !x || x.length !== vals[0]!.length)) return fb("UmmkdAdamUpdate", args);
    const [w, g, mv, vv] = vals as Float32Array[];
    const n = w!.length, w2 = allocF32(n), m2 = allocF32(n), v2 = allocF32(n);
    addon.adamUpdate(w!, g!, mv!, vv!, Float64Array.from([a.lr, a.beta1, a.beta2, a.epsilon, a.c1, a.c2]), w2, m2, v2);
    const shape = [...value!.shape];
    return [backend.makeTensorInfo(shape, "float32", w2), backend.makeTensorInfo(shape, "float32", m2), backend.makeTensorInfo(shape, "float32", v2)];
  });
  if (typeof addon.transpose === "function") k.set("Transpose", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const perm = (args.attrs as { perm: number[] }).perm;
    const xv = f32(backend, x);
    if (!xv || x.dtype !== "float32" || xv.length === 0) return fb("Transpose", args);
    const c = collapseTranspose(x.shape, perm);
    const out = allocF32(xv.length);
    addon.transpose(xv, out, Int32Array.from(c.shape), Int32Array.from(c.perm));
    return backend.makeTensorInfo(perm.map((p) => x.shape[p]!), "float32", out);
  });
  if (typeof addon.softmax === "function") k.set("Softmax", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { logits } = args.inputs as { logits: TensorInfo };
    const dim = (args.attrs as { dim: number }).dim;
    const r = logits.shape.length;
    const xv = f32(backend, logits);
    if (!xv || logits.dtype !== "float32" || r === 0 || (dim !== -1 && dim !== r - 1) || xv.length === 0) return fb("Softmax", args);
    const out = allocF32(xv.length);
    addon.softmax(xv, out, logits.shape[r - 1]!);
    return backend.makeTensorInfo([...logits.shape], "float32", out);
  });
  // (an addon built before this kernel existed lacks it: the JS kernel of the pack is used then)
  if (typeof addon.dropout === "function") k.set("UmmkdDropout", (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const a = args.attrs as unknown as UmmkdDropoutAttrs;
    checkDropoutAttrs(a);
    const xv = f32(backend, x);
    if (!xv) return fb("UmmkdDropout", args);
    const s = aleaState(a.seed);
    const y = allocF32(xv.length), mult = allocF32(xv.length);
    addon.dropout(xv, y, mult, Float64Array.from([s.c, s.s0, s.s1, s.s2]), a.rate);
    const shape = [...x.shape];
    return [backend.makeTensorInfo(shape, "float32", y), backend.makeTensorInfo(shape, "float32", mult)];
  });
  return k;
}
