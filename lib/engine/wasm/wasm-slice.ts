/**
 * Slice and SplitV for the wasm backend on tensors of rank >= 5 (the 3D U-Net's NDHWC tensors).
 * tfjs-backend-wasm slices ranks 2-4 in C++ but falls back to a per-element JS loop for rank 5
 * (measured ~480 ms for a 2x34x32x8x16 block); its SplitV calls that slice directly. Here axes
 * that are taken whole are merged into their outer neighbour (a free reshape) until the rank is
 * at most 4, and the stock kernel runs on that view.
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";

/** Merge each fully-taken axis into the axis before it. */
export function collapseSlice(shape: number[], begin: number[], size: number[]): { shape: number[]; begin: number[]; size: number[] } {
  const s = [shape[0]!], b = [begin[0]!], z = [size[0]!];
  for (let i = 1; i < shape.length; i++) {
    const full = begin[i] === 0 && size[i] === shape[i];
    if (full) {
      const k = s.length - 1;
      s[k] = s[k]! * shape[i]!;
      b[k] = b[k]! * shape[i]!;
      z[k] = z[k]! * shape[i]!;
    } else {
      s.push(shape[i]!);
      b.push(begin[i]!);
      z.push(size[i]!);
    }
  }
  return { shape: s, begin: b, size: z };
}

function norm(x: TensorInfo, begin: number | number[], size: number | number[]): { begin: number[]; size: number[] } {
  const r = x.shape.length;
  const b = typeof begin === "number" ? [begin, ...new Array(r - 1).fill(0)] : begin.slice();
  const z = typeof size === "number" ? [size, ...new Array(r - 1).fill(-1)] : size.slice();
  for (let i = 0; i < r; i++) if (z[i] === -1 || z[i] === undefined) z[i] = x.shape[i]! - b[i]!;
  while (b.length < r) b.push(0);
  return { begin: b, size: z };
}

/** Slice on the collapsed view, or `undefined` when it cannot reach rank <= 4. */
function sliceCollapsed(stock: KernelFunc, x: TensorInfo, begin: number[], size: number[], backend: unknown): TensorInfo | undefined {
  const c = collapseSlice(x.shape, begin, size);
  if (c.shape.length > 4) return undefined;
  const view: TensorInfo = { dataId: x.dataId, shape: c.shape, dtype: x.dtype };
  const out = stock({ inputs: { x: view }, attrs: { begin: c.begin, size: c.size }, backend } as never) as TensorInfo;
  return { dataId: out.dataId, shape: size, dtype: out.dtype };
}

export const wasmSlice = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const a = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  if (x.shape.length <= 4) return stock(args);
  const { begin, size } = norm(x, a.begin, a.size);
  return sliceCollapsed(stock, x, begin, size, args.backend) ?? stock(args);
};

/** SplitV attrs resolved against a shape: the (non-negative) split axis and every part's size (a -1 size filled in). */
export function splitVSizes(shape: readonly number[], a: { numOrSizeSplits: number | number[]; axis: number | number[] }): { axis: number; sizes: number[] } {
  const axis0 = Array.isArray(a.axis) ? a.axis[0]! : a.axis;
  const axis = axis0 < 0 ? axis0 + shape.length : axis0;
  const dim = shape[axis]!;
  if (typeof a.numOrSizeSplits === "number") return { axis, sizes: new Array(a.numOrSizeSplits).fill(dim / a.numOrSizeSplits) };
  const sizes = a.numOrSizeSplits.slice();
  const neg = sizes.indexOf(-1);
  if (neg >= 0) sizes[neg] = dim - sizes.reduce((s, v) => s + (v === -1 ? 0 : v), 0);
  return { axis, sizes };
}

export const wasmSplitV = (stockSlice: KernelFunc, stockSplit: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const a = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
  if (x.shape.length <= 4) return stockSplit(args);
  const r = x.shape.length;
  const { axis, sizes } = splitVSizes(x.shape, a);
  const outs: TensorInfo[] = [];
  let start = 0;
  for (const n of sizes) {
    const begin = new Array(r).fill(0);
    begin[axis] = start;
    const size = x.shape.slice();
    size[axis] = n;
    const o = sliceCollapsed(stockSlice, x, begin, size, args.backend);
    if (!o) return stockSplit(args);
    outs.push(o);
    start += n;
  }
  return outs;
};

/**
 * Merge input axes that stay adjacent and in order under `perm` (e.g. [4,1,2,3,0] on rank 5 is
 * [2,1,0] on rank 3), so tfjs-wasm's transpose runs on the lowest possible rank.
 */
export function collapseTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  // groups of consecutive output axes whose input axes are consecutive
  const groups: number[][] = [];
  for (const p of perm) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1]! + 1 === p) g.push(p);
    else groups.push([p]);
  }
  // order groups by their first input axis to get the collapsed input shape
  const byInput = groups.map((g, i) => ({ g, i })).sort((a, b) => a.g[0]! - b.g[0]!);
  const newShape = byInput.map(({ g }) => g.reduce((s, a) => s * shape[a]!, 1));
  const rankOf = new Map(byInput.map(({ i }, k) => [i, k]));
  return { shape: newShape, perm: groups.map((_, i) => rankOf.get(i)!) };
}

export const wasmTranspose = (stock: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const perm = (args.attrs as unknown as { perm: number[] }).perm;
  if (x.shape.length <= 2) return stock(args);
  const c = collapseTranspose(x.shape, perm);
  if (c.shape.length === x.shape.length) return stock(args);
  const outShape = perm.map((p) => x.shape[p]!);
  const view: TensorInfo = { dataId: x.dataId, shape: c.shape, dtype: x.dtype };
  const out = stock({ inputs: { x: view }, attrs: { perm: c.perm }, backend: args.backend } as never) as TensorInfo;
  return { dataId: out.dataId, shape: outShape, dtype: out.dtype };
};
