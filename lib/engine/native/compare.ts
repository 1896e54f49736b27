/**
 * Comparison and logical kernels for the `native` backend (Less, LessEqual, Greater,
 * GreaterEqual, Equal, NotEqual on float32; LogicalAnd/LogicalOr on bool), for the broadcast
 * forms of `./elementwise.ts` (same size, scalar, operand repeated over leading axes, or each
 * entry repeated over trailing axes). The cpu backend's broadcast path indexes every element
 * through coordinate arithmetic (~100 ns each; GreaterEqual on the 2D network's loss inputs took
 * ~20 ms per call). Float comparisons run in the addon (a shared JS loop over 6 comparison
 * callbacks turned megamorphic, ~50 ns per element); the bool ops are JS loops. Output: bool
 * (Uint8Array 0/1), as tfjs.
 */
import { backend_util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { binaryMode } from "./elementwise.ts";
import type { NativeAddon } from "./addon.ts";
import { BroadcastMode, CompareOp } from "./entries.gen.ts";
import { f32 } from "./conv.ts";

/** The addon's op for each float comparison kernel. */
const NATIVE_OP: Record<string, CompareOp> = {
  Less: CompareOp.less, LessEqual: CompareOp.lessEqual, Greater: CompareOp.greater,
  GreaterEqual: CompareOp.greaterEqual, Equal: CompareOp.equal, NotEqual: CompareOp.notEqual,
};

type Arr = ArrayLike<number>;
type Cmp = (x: number, y: number) => boolean;

const FLOAT_OPS: Record<string, Cmp> = {
  Less: (x, y) => x < y,
  LessEqual: (x, y) => x <= y,
  Greater: (x, y) => x > y,
  GreaterEqual: (x, y) => x >= y,
  Equal: (x, y) => x === y,
  NotEqual: (x, y) => x !== y,
};
const BOOL_OPS: Record<string, Cmp> = {
  LogicalAnd: (x, y) => x !== 0 && y !== 0,
  LogicalOr: (x, y) => x !== 0 || y !== 0,
};

/** out[i] = op(a, b) in broadcast `mode` (see binaryMode); 1/0. */
export function compareLoop(op: Cmp, mode: BroadcastMode, a: Arr, b: Arr, out: Uint8Array): void {
  const n = out.length;
  switch (mode) {
    case BroadcastMode.same: for (let i = 0; i < n; i++) out[i] = op(a[i]!, b[i]!) ? 1 : 0; break;
    case BroadcastMode.aScalar: { const s = a[0]!; for (let i = 0; i < n; i++) out[i] = op(s, b[i]!) ? 1 : 0; break; }
    case BroadcastMode.bScalar: { const s = b[0]!; for (let i = 0; i < n; i++) out[i] = op(a[i]!, s) ? 1 : 0; break; }
    case BroadcastMode.bTiled: { const l = b.length; for (let i = 0; i < n; i++) out[i] = op(a[i]!, b[i % l]!) ? 1 : 0; break; }
    case BroadcastMode.aTiled: { const l = a.length; for (let i = 0; i < n; i++) out[i] = op(a[i % l]!, b[i]!) ? 1 : 0; break; }
    case BroadcastMode.bPerRow: { const w = n / b.length; for (let i = 0; i < n; i++) out[i] = op(a[i]!, b[Math.floor(i / w)]!) ? 1 : 0; break; }
    case BroadcastMode.aPerRow: { const w = n / a.length; for (let i = 0; i < n; i++) out[i] = op(a[Math.floor(i / w)]!, b[i]!) ? 1 : 0; break; }
    default: throw new Error(`compareLoop: unknown mode ${mode}`);
  }
}

/** Kernel functions by kernel name; `fallbacks` are the cpu backend's kernels of the same names. */
export function compareKernels(addon: NativeAddon, fallbacks: Map<string, KernelFunc>): Map<string, KernelFunc> {
  const k = new Map<string, KernelFunc>();
  const make = (name: string, op: Cmp, dtype: "float32" | "bool"): KernelFunc => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const av = backend.data.get(a.dataId)?.values, bv = backend.data.get(b.dataId)?.values;
    const typed = (v: unknown) => v instanceof Float32Array || v instanceof Uint8Array || v instanceof Int32Array;
    const outShape = a.dtype === dtype && b.dtype === dtype && typed(av) && typed(bv) ? backend_util.assertAndGetBroadcastShape(a.shape, b.shape) : undefined;
    const mode = outShape ? binaryMode(a.shape, b.shape, outShape) : -1;
    if (!outShape || mode === -1) {
      const fb = fallbacks.get(name);
      if (!fb) throw new Error(`native kernel ${name}: unsupported inputs and no cpu kernel to fall back to`);
      return fb(args);
    }
    const out = new Uint8Array(outShape.reduce((p, q) => p * q, 1));
    const code = NATIVE_OP[name];
    const fa = code !== undefined ? f32(backend, a) : undefined, fbv = code !== undefined ? f32(backend, b) : undefined;
    if (code !== undefined && fa && fbv) addon.compare(code, mode, fa, fbv, out);
    else compareLoop(op, mode, av as Arr, bv as Arr, out);
    return backend.makeTensorInfo(outShape, "bool", out);
  };
  for (const [name, op] of Object.entries(FLOAT_OPS)) k.set(name, make(name, op, "float32"));
  for (const [name, op] of Object.entries(BOOL_OPS)) k.set(name, make(name, op, "bool"));
  return k;
}
