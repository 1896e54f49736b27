/**
 * Faster JS kernels for cpu-style backends (`cpu`, and the `native` backend, which reuses the cpu
 * backend for everything oneDNN does not do). A profile of the 2D training step on `native` showed
 * the stock tfjs-backend-cpu kernels dominating once convolutions are fast: broadcasting binary ops
 * compute an index array per element, and Slice / Transpose of non-contiguous blocks do the same.
 *
 * Each kernel here handles the common layouts with plain loops (same shape; scalar; an operand
 * that broadcasts along leading or trailing axes; float32) and falls back to the stock kernel for
 * anything else, so results are identical in the cases it does not handle.
 */
import type { KernelFunc, TensorInfo, NamedAttrMap } from "@tensorflow/tfjs-core";
import { splitVSizes } from "./wasm-slice.ts";
import { pooledF32 } from "./js-kernels.ts";

type Arr = Float32Array | Int32Array | Uint8Array;
interface CpuLike {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: string, values?: Arr): TensorInfo;
}
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * An output array of n elements of the input's type. Float32 outputs come from the backend's
 * buffer pool where it has one ({@link pooledF32}: every kernel here writes every output element,
 * so reused contents never show).
 */
function allocLike(be: unknown, like: Arr | typeof Float32Array, n: number): Arr {
  const ctor = (typeof like === "function" ? like : like.constructor) as new (n: number) => Arr;
  const pool = pooledF32(be);
  return ctor === Float32Array && pool ? pool(n) : new ctor(n);
}

type BinOp = (a: Float32Array, b: Float32Array, out: Float32Array, mode: "same" | "aScalar" | "bScalar" | "bInner" | "bOuter" | "aInner" | "aOuter", period: number) => void;

/**
 * Broadcast classification when one operand's shape is the result shape and the other is either
 * its trailing dims ("inner": index = i % size) or its leading dims followed by ones ("outer":
 * index = floor(i / period)).
 */
function classify(big: readonly number[], small: readonly number[]): { kind: "inner" | "outer"; period: number } | null {
  const r = big.length;
  const s = [...new Array(Math.max(0, r - small.length)).fill(1), ...small];
  if (s.length !== r) return null;
  let k = 0;
  while (k < r && s[k] === 1) k++;
  if (s.slice(k).every((v, i) => v === big[k + i])) return { kind: "inner", period: prod(big.slice(k)) };
  let e = r;
  while (e > 0 && s[e - 1] === 1) e--;
  if (s.slice(0, e).every((v, i) => v === big[i])) return { kind: "outer", period: prod(big.slice(e)) };
  return null;
}

function makeBinary(loop: BinOp): (stock: KernelFunc) => KernelFunc {
  return (stock) => (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return stock(args);
    const be = args.backend as unknown as CpuLike;
    const sa = a.shape, sb = b.shape;
    const na = prod(sa), nb = prod(sb);
    let mode: Parameters<BinOp>[3];
    let period = 0;
    let outShape: number[];
    if (sa.length === sb.length && sa.every((v, i) => v === sb[i])) {
      mode = "same";
      outShape = sa;
    } else if (nb === 1 && sb.length <= sa.length) {
      mode = "bScalar";
      outShape = sa;
    } else if (na === 1 && sa.length <= sb.length) {
      mode = "aScalar";
      outShape = sb;
    } else if (na >= nb && sa.length >= sb.length && classify(sa, sb)) {
      const c = classify(sa, sb)!;
      mode = c.kind === "inner" ? "bInner" : "bOuter";
      period = c.kind === "inner" ? nb : c.period;
      outShape = sa;
    } else if (nb > na && sb.length >= sa.length && classify(sb, sa)) {
      const c = classify(sb, sa)!;
      mode = c.kind === "inner" ? "aInner" : "aOuter";
      period = c.kind === "inner" ? na : c.period;
      outShape = sb;
    } else {
      return stock(args);
    }
    const av = be.readSync(a.dataId) as Float32Array;
    const bv = be.readSync(b.dataId) as Float32Array;
    const out = allocLike(be, Float32Array, prod(outShape)) as Float32Array;
    loop(av, bv, out, mode, period);
    return be.makeTensorInfo(outShape, "float32", out);
  };
}

/**
 * Build a BinOp loop for an operator expression in X and Y. Generated with `new Function` so every
 * operator gets its own monomorphic loops: one shared loop calling `op` closures becomes
 * megamorphic after the second operator and runs 5-10x slower (measured: 1M-element add 13-31 ms
 * vs 2 ms).
 */
function loops(expr: string): BinOp {
  const e = (x: string, y: string) => expr.replace(/X/g, `(${x})`).replace(/Y/g, `(${y})`);
  const body = `
    const n = o.length;
    switch (mode) {
      case "same": for (let i = 0; i < n; i++) o[i] = ${e("a[i]", "b[i]")}; break;
      case "bScalar": { const y = b[0]; for (let i = 0; i < n; i++) o[i] = ${e("a[i]", "y")}; break; }
      case "aScalar": { const x = a[0]; for (let i = 0; i < n; i++) o[i] = ${e("x", "b[i]")}; break; }
      case "bInner": for (let i = 0; i < n; i += period) for (let j = 0; j < period; j++) o[i + j] = ${e("a[i + j]", "b[j]")}; break;
      case "aInner": for (let i = 0; i < n; i += period) for (let j = 0; j < period; j++) o[i + j] = ${e("a[j]", "b[i + j]")}; break;
      case "bOuter": for (let i = 0, k = 0; i < n; i += period, k++) { const y = b[k]; for (let j = 0; j < period; j++) o[i + j] = ${e("a[i + j]", "y")}; } break;
      case "aOuter": for (let i = 0, k = 0; i < n; i += period, k++) { const x = a[k]; for (let j = 0; j < period; j++) o[i + j] = ${e("x", "b[i + j]")}; } break;
    }`;
  return new Function("a", "b", "o", "mode", "period", body) as BinOp;
}

/** Below this many elements a contiguous run is copied by a loop rather than set(subarray()). */
const SHORT_RUN = 64;

/**
 * out[dst, dst + n) = src[from, from + n): a loop for short runs (a channel slice of a
 * channels-last tensor; no subarray object per row), set(subarray()) for long ones.
 */
export function copyRun(out: Arr, dst: number, src: Arr, from: number, n: number): void {
  if (n < SHORT_RUN) for (let j = 0; j < n; j++) out[dst + j] = src[from + j]!;
  else out.set(src.subarray(from, from + n), dst);
}

/** Slice: copies contiguous innermost runs (any dtype with a typed-array storage). */
const slice = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const attrs = args.attrs as NamedAttrMap & { begin: number | number[]; size: number | number[] };
  if (x.dtype === "string" || x.dtype === "complex64") return stock(args);
  const r = x.shape.length;
  const begin = typeof attrs.begin === "number" ? [attrs.begin] : attrs.begin;
  const sizeIn = typeof attrs.size === "number" ? [attrs.size] : attrs.size;
  if (begin.length !== r || sizeIn.length !== r) return stock(args);
  const size = sizeIn.map((s, i) => (s === -1 ? x.shape[i]! - begin[i]! : s));
  const be = args.backend as unknown as CpuLike;
  const xv = be.readSync(x.dataId) as Arr;
  const out = allocLike(be, xv, prod(size));
  if (out.length === 0) return be.makeTensorInfo(size, x.dtype, out);
  const strides = new Array(r).fill(1);
  for (let i = r - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1]!;
  // merge the innermost axes that are taken whole into one contiguous run
  let inner = r - 1;
  let run = size[r - 1]!;
  while (inner > 0 && size[inner] === x.shape[inner] && begin[inner] === 0) {
    inner--;
    run *= size[inner]!;
  }
  const outer = size.slice(0, inner);
  const nOuter = prod(outer);
  const idx = new Array(inner).fill(0);
  let base0 = 0;
  for (let i = 0; i <= inner; i++) base0 += begin[i]! * strides[i]!;
  for (let o = 0, dst = 0; o < nOuter; o++, dst += run) {
    let src = base0;
    for (let i = 0; i < inner; i++) src += idx[i] * strides[i]!;
    copyRun(out, dst, xv, src, run);
    for (let i = inner - 1; i >= 0; i--) {
      if (++idx[i] < outer[i]!) break;
      idx[i] = 0;
    }
  }
  return be.makeTensorInfo(size, x.dtype, out);
};

/**
 * Input axes that stay adjacent and in order under `perm` merged into one (e.g. depth-to-space's
 * [N,H,W,b,b,C] -> [N,H,b,W,b,C] becomes a rank-4 transpose whose rows are b*C contiguous values).
 * @returns the collapsed input shape and permutation
 */
export function collapseTranspose(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const groups: number[][] = [];
  for (const p of perm) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1]! + 1 === p) g.push(p);
    else groups.push([p]);
  }
  const order = groups.map((g, i) => ({ first: g[0]!, i })).sort((a, b) => a.first - b.first);
  const newIndex = new Array<number>(groups.length);
  order.forEach((o, k) => (newIndex[o.i] = k));
  const cshape = order.map((o) => groups[o.i]!.reduce((a, ax) => a * shape[ax]!, 1));
  return { shape: cshape, perm: groups.map((_, i) => newIndex[i]!) };
}

/** Transpose: adjacent axes collapsed, then an odometer over the output with incremental input offsets. */
const transpose = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const fullPerm = (args.attrs as { perm: number[] }).perm;
  if (x.dtype === "string" || x.dtype === "complex64") return stock(args);
  const be = args.backend as unknown as CpuLike;
  const xv = be.readSync(x.dataId) as Arr;
  const fullOut = fullPerm.map((p) => x.shape[p]!);
  const out = allocLike(be, xv, xv.length);
  if (xv.length === 0) return be.makeTensorInfo(fullOut, x.dtype, out);
  const { shape, perm } = collapseTranspose(x.shape, fullPerm);
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array(r).fill(1);
  for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1]!;
  const st = perm.map((p) => inStrides[p]!); // input stride of each output axis
  const last = r - 1;
  const nLast = outShape[last]!;
  const sLast = st[last]!;
  const rows = sLast === 1 && nLast >= 1024; // contiguous rows: one memcpy each
  const idx = new Array(r).fill(0);
  let src = 0;
  for (let dst = 0; dst < out.length; dst += nLast) {
    if (rows) out.set(xv.subarray(src, src + nLast), dst);
    else for (let j = 0, s = src; j < nLast; j++, s += sLast) out[dst + j] = xv[s]!;
    for (let i = last - 1; i >= 0; i--) {
      idx[i]++;
      src += st[i]!;
      if (idx[i] < outShape[i]!) break;
      src -= st[i]! * outShape[i]!;
      idx[i] = 0;
    }
  }
  return be.makeTensorInfo(fullOut, x.dtype, out);
};

/** Softmax over the last axis (float32). */
const softmax = (stock: KernelFunc): KernelFunc => (args) => {
  const { logits } = args.inputs as { logits: TensorInfo };
  const dim = (args.attrs as { dim: number }).dim;
  const r = logits.shape.length;
  if (logits.dtype !== "float32" || (dim !== -1 && dim !== r - 1)) return stock(args);
  const be = args.backend as unknown as CpuLike;
  const xv = be.readSync(logits.dataId) as Float32Array;
  const K = logits.shape[r - 1]!;
  const out = allocLike(be, Float32Array, xv.length) as Float32Array;
  for (let i = 0; i < xv.length; i += K) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (xv[i + k]! > m) m = xv[i + k]!;
    let s = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(xv[i + k]! - m);
      out[i + k] = e;
      s += e;
    }
    for (let k = 0; k < K; k++) out[i + k]! /= s;
  }
  return be.makeTensorInfo(logits.shape, "float32", out);
};

/** MirrorPad (reflect / symmetric) with per-axis source-index maps. */
const mirrorPad = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { paddings, mode } = args.attrs as unknown as { paddings: Array<[number, number]>; mode: "reflect" | "symmetric" };
  if (x.dtype === "string" || x.dtype === "complex64" || x.shape.length === 0) return stock(args);
  const r = x.shape.length;
  const off = mode === "reflect" ? 0 : 1;
  const maps = x.shape.map((n, a) => {
    const [b, e] = paddings[a]!;
    const m = new Int32Array(b + n + e);
    for (let o = 0; o < m.length; o++) {
      const i = o - b;
      m[o] = i < 0 ? -i - off : i >= n ? 2 * n - i - 2 + off : i;
    }
    return m;
  });
  const outShape = maps.map((m) => m.length);
  const be = args.backend as unknown as CpuLike;
  const xv = be.readSync(x.dataId) as Arr;
  const out = allocLike(be, xv, prod(outShape));
  const inStrides = new Array(r).fill(1);
  for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * x.shape[i + 1]!;
  const last = maps[r - 1]!;
  const L = last.length;
  const idx = new Array(r - 1).fill(0);
  const nOuter = prod(outShape.slice(0, -1));
  for (let o = 0, dst = 0; o < nOuter; o++, dst += L) {
    let src = 0;
    for (let a = 0; a < r - 1; a++) src += maps[a]![idx[a]]! * inStrides[a]!;
    for (let j = 0; j < L; j++) out[dst + j] = xv[src + last[j]!]!;
    for (let a = r - 2; a >= 0; a--) {
      if (++idx[a] < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return be.makeTensorInfo(outShape, x.dtype, out);
};

/** SplitV as fast slices (the stock cpu SplitV slices element by element). */
const splitV = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const a = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
  if (x.dtype === "string" || x.dtype === "complex64") return stock(args);
  const r = x.shape.length;
  const { axis, sizes } = splitVSizes(x.shape, a);
  const sl = slice(() => {
    throw new Error("SplitV (ummkd cpu fast): unexpected slice fallback");
  });
  let start = 0;
  return sizes.map((n) => {
    const begin = new Array(r).fill(0);
    begin[axis] = start;
    const size = x.shape.slice();
    size[axis] = n;
    start += n;
    return sl({ inputs: { x }, attrs: { begin, size }, backend: args.backend } as never) as TensorInfo;
  });
};

/**
 * Concat (any dtype stored in a typed array, all inputs of one dtype): each input contributes a
 * contiguous run of prod(shape[axis:]) elements per outer index. The stock kernel copies the
 * 3D U-Net's channel concatenations (skip connections, axis = last, runs of 4-16 channels) element
 * by element with index arithmetic: ~50 ms for 2 x 1.9M floats; here plain loops per run.
 */
const concat = (stock: KernelFunc): KernelFunc => (args) => {
  const inputs = args.inputs as unknown as TensorInfo[];
  const axis0 = (args.attrs as unknown as { axis: number | number[] }).axis;
  if (!Array.isArray(inputs) || inputs.length === 0) return stock(args);
  const dtype = inputs[0]!.dtype;
  const r = inputs[0]!.shape.length;
  if (dtype === "string" || dtype === "complex64" || r === 0) return stock(args);
  const a0 = Array.isArray(axis0) ? axis0[0]! : axis0;
  const axis = a0 < 0 ? a0 + r : a0;
  if (!(axis >= 0 && axis < r)) return stock(args);
  for (const t of inputs) {
    if (t.dtype !== dtype || t.shape.length !== r) return stock(args);
    for (let i = 0; i < r; i++) if (i !== axis && t.shape[i] !== inputs[0]!.shape[i]) return stock(args);
  }
  const be = args.backend as unknown as CpuLike;
  const outShape = inputs[0]!.shape.slice();
  outShape[axis] = inputs.reduce((a, t) => a + t.shape[axis]!, 0);
  const nOuter = prod(outShape.slice(0, axis));
  const runs = inputs.map((t) => prod(t.shape.slice(axis)));
  const row = runs.reduce((a, b) => a + b, 0);
  const vals = inputs.map((t) => be.readSync(t.dataId) as Arr);
  const out = allocLike(be, vals[0]!, nOuter * row);
  let off = 0;
  for (let k = 0; k < inputs.length; k++) {
    const v = vals[k]!, run = runs[k]!;
    for (let o = 0; o < nOuter && run > 0; o++) copyRun(out, o * row + off, v, o * run, run);
    off += run;
  }
  return be.makeTensorInfo(outShape, dtype, out);
};

/**
 * Reverse (any dtype stored in a typed array): rows of the trailing axes that are not reversed are
 * copied as runs; the leading axes up to the last reversed one are walked with an odometer. The stock
 * kernel maps every element through indexToLoc and TensorBuffer.get/set (the MirrorPad gradient of
 * the 2D network reverses its borders: ~15 ms per call, a quarter of a cardiac step in a profile).
 */
const reverse = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const dims0 = (args.attrs as unknown as { dims: number | number[] }).dims;
  const r = x.shape.length;
  if (x.dtype === "string" || x.dtype === "complex64" || r === 0) return stock(args);
  const dims = (Array.isArray(dims0) ? dims0 : [dims0]).map((d) => (d < 0 ? d + r : d));
  if (dims.some((d) => !(d >= 0 && d < r))) return stock(args);
  const rev = new Array<boolean>(r).fill(false);
  for (const d of dims) rev[d] = true;
  const be = args.backend as unknown as CpuLike;
  const xv = be.readSync(x.dataId) as Arr;
  const out = allocLike(be, xv, prod(x.shape));
  let k = r - 1;
  while (k >= 0 && !rev[k]) k--;
  if (k < 0 || out.length === 0) {
    out.set(xv);
    return be.makeTensorInfo(x.shape.slice(), x.dtype, out);
  }
  const run = prod(x.shape.slice(k + 1));
  const strides = new Array<number>(k + 1);
  strides[k] = run;
  for (let i = k - 1; i >= 0; i--) strides[i] = strides[i + 1]! * x.shape[i + 1]!;
  const idx = new Array<number>(k + 1).fill(0);
  const nRows = prod(x.shape.slice(0, k + 1));
  for (let row = 0, dst = 0; row < nRows; row++, dst += run) {
    let src = 0;
    for (let i = 0; i <= k; i++) src += (rev[i] ? x.shape[i]! - 1 - idx[i]! : idx[i]!) * strides[i]!;
    copyRun(out, dst, xv, src, run);
    for (let i = k; i >= 0; i--) {
      if (++idx[i]! < x.shape[i]!) break;
      idx[i] = 0;
    }
  }
  return be.makeTensorInfo(x.shape.slice(), x.dtype, out);
};

/** Copies out[off, off + block) into the next rep - 1 blocks (doubling: log2(rep) copies). */
function repeatBlock(out: Arr, off: number, block: number, rep: number): void {
  let filled = 1;
  while (filled < rep) {
    const k = Math.min(filled, rep - filled);
    out.copyWithin(off + filled * block, off, off + k * block);
    filled += k;
  }
}

/**
 * Tile (also what tf.broadcastTo runs): out[..., r_d * s_d + i_d, ...] = x[..., i_d, ...], written
 * block by block with set / fill / copyWithin instead of the stock kernel's per-element index
 * arithmetic. Any dtype stored in a typed array.
 */
function tile(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const reps = (args.attrs as unknown as { reps: number[] }).reps;
    if (x.dtype === "string" || x.dtype === "complex64" || reps.length !== x.shape.length) return stock(args);
    const be = args.backend as unknown as CpuLike;
    const xv = be.readSync(x.dataId) as Arr;
    const shape = x.shape;
    const r = shape.length;
    const outShape = shape.map((v, i) => v * reps[i]!);
    const out = allocLike(be, xv, prod(outShape));
    if (r === 0 || out.length === 0) {
      if (out.length) out[0] = xv[0]!;
      return be.makeTensorInfo(outShape, x.dtype, out);
    }
    const xInner: number[] = new Array(r), oInner: number[] = new Array(r);
    let xa = 1, oa = 1;
    for (let d = r - 1; d >= 0; d--) {
      xInner[d] = xa;
      oInner[d] = oa;
      xa *= shape[d]!;
      oa *= outShape[d]!;
    }
    const rec = (d: number, xo: number, oo: number): void => {
      const s = shape[d]!, rep = reps[d]!;
      if (d === r - 2 && shape[r - 1] === 1) {
        // rows of one value each repeated reps[r-1] times (a [..., n, 1] sum's gradient): no call per row
        const k = reps[r - 1]!, xs = xInner[d]!, os = oInner[d]!;
        for (let i = 0; i < s; i++) {
          const v = xv[xo + i * xs]!;
          const o = oo + i * os;
          for (let j = 0; j < k; j++) out[o + j] = v;
        }
        repeatBlock(out, oo, s * os, rep);
        return;
      }
      if (d === r - 1) {
        if (s === 1) {
          const v = xv[xo]!;
          for (let k = 0; k < rep; k++) out[oo + k] = v;
        } else {
          out.set(xv.subarray(xo, xo + s), oo);
          repeatBlock(out, oo, s, rep);
        }
        return;
      }
      for (let i = 0; i < s; i++) rec(d + 1, xo + i * xInner[d]!, oo + i * oInner[d]!);
      repeatBlock(out, oo, s * oInner[d]!, rep);
    };
    rec(0, 0, 0);
    return be.makeTensorInfo(outShape, x.dtype, out);
  };
}

/** Kernel name -> factory taking the stock kernel (the fallback). */
export const CPU_FAST_KERNELS: Record<string, (stock: KernelFunc) => KernelFunc> = {
  Multiply: makeBinary(loops("X * Y")),
  Add: makeBinary(loops("X + Y")),
  Sub: makeBinary(loops("X - Y")),
  RealDiv: makeBinary(loops("X / Y")),
  Slice: slice,
  Concat: concat,
  Reverse: reverse,
  Transpose: transpose,
  Softmax: softmax,
  MirrorPad: mirrorPad,
  SplitV: splitV,
  Tile: tile,
};
