/**
 * Native Concat and SplitV (lib/engine/native/copy.ts, the addon's copyRows): bit-identical to a
 * reference written here from coordinates (out[i..] = the input element at the same coordinates,
 * shifted along the axis), along the first, a middle, the last and a negative axis, with parts of
 * size 1 and 0, rank 1 and rank 5 (the 3D U-Net's NDHWC channel concatenation), at 1 and 2
 * threads; int32 inputs take the JS kernel and stay exact; the addon refuses rows that run past
 * a buffer.
 */
import { describe, it, expect } from "vitest";
import { tf, type Tensor } from "../../lib/engine/tf.ts";
import { initEngine } from "../../lib/engine/index.ts";
import { loadAddon, setNativeThreads, type NativeAddon } from "../../lib/engine/native/index.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native, randn } from "./helpers.ts";

if (native.ok) await initEngine({ backend: "native" });

const strides = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};
/** Every coordinate of a shape, row-major. */
function* coords(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const st = strides(shape);
  for (let i = 0; i < n; i++) yield shape.map((s, k) => Math.floor(i / st[k]!) % s);
}
/** Index of the first element where a and b differ (bit for bit), or -1; with the lengths checked. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
const at = (v: ArrayLike<number>, shape: readonly number[], c: readonly number[]) => v[c.reduce((a, x, k) => a + x * strides(shape)[k]!, 0)]!;

/** Reference concat: the output element at c comes from the part whose slot along `axis` holds c[axis]. */
function refConcat(parts: { v: ArrayLike<number>; shape: number[] }[], axis: number): number[] {
  const outShape = parts[0]!.shape.slice();
  outShape[axis] = parts.reduce((a, p) => a + p.shape[axis]!, 0);
  const out: number[] = [];
  for (const c of coords(outShape)) {
    let k = c[axis]!, i = 0;
    while (k >= parts[i]!.shape[axis]!) k -= parts[i++]!.shape[axis]!;
    const cc = c.slice();
    cc[axis] = k;
    out.push(at(parts[i]!.v, parts[i]!.shape, cc));
  }
  return out;
}
/** Reference split: part j's element at c is the input's at c shifted by the sizes before j. */
function refSplit(v: ArrayLike<number>, shape: number[], sizes: number[], axis: number): number[][] {
  let start = 0;
  return sizes.map((n) => {
    const s = shape.slice();
    s[axis] = n;
    const out: number[] = [];
    for (const c of coords(s)) {
      const cc = c.slice();
      cc[axis] = c[axis]! + start;
      out.push(at(v, shape, cc));
    }
    start += n;
    return out;
  });
}

const CASES: Array<{ shapes: number[][]; axis: number }> = [
  { shapes: [[2, 3, 4], [2, 5, 4]], axis: 1 },
  { shapes: [[2, 3, 4], [1, 3, 4], [3, 3, 4]], axis: 0 },
  { shapes: [[2, 3, 4], [2, 3, 1], [2, 3, 0], [2, 3, 7]], axis: -1 },
  { shapes: [[5], [3]], axis: 0 },
  // the 3D U-Net's skip connection: [B, D, H, W, C] along channels
  { shapes: [[2, 4, 6, 6, 8], [2, 4, 6, 6, 4]], axis: 4 },
  // large enough (98K floats) for the OpenMP loop to split the rows between threads
  { shapes: [[2, 8, 16, 16, 16], [2, 8, 16, 16, 8]], axis: 4 },
];

describe.skipIf(!native.ok)("native Concat and SplitV", () => {
  for (const threads of [1, 2]) {
    for (const { shapes, axis } of CASES) {
      it(`concat ${shapes.map((s) => s.join("x")).join(" + ")} along axis ${axis} (${threads} thread(s))`, () => {
        setNativeThreads(threads);
        const rng = new Rng(11);
        const parts = shapes.map((s) => ({ v: randn(rng, s), shape: s }));
        const r = shapes[0]!.length, ax = axis < 0 ? axis + r : axis;
        const got = tf.tidy(() => tf.concat(parts.map((p) => tf.tensor(p.v, p.shape)), axis).dataSync());
        expect(firstDiff(got, refConcat(parts, ax))).toBe(-1);
      });
      it(`split back into ${shapes.map((s) => s.join("x")).join(", ")} along axis ${axis} (${threads} thread(s))`, () => {
        setNativeThreads(threads);
        const rng = new Rng(12);
        const r = shapes[0]!.length, ax = axis < 0 ? axis + r : axis;
        const sizes = shapes.map((s) => s[ax]!);
        const whole = shapes[0]!.slice();
        whole[ax] = sizes.reduce((a, b) => a + b, 0);
        const v = randn(rng, whole);
        const got = tf.tidy(() => tf.split(tf.tensor(v, whole), sizes, axis).map((t: Tensor) => ({ shape: t.shape, v: Array.from(t.dataSync()) })));
        const want = refSplit(v, whole, sizes, ax);
        got.forEach((g, j) => {
          expect(g.shape[ax]).toBe(sizes[j]);
          expect(firstDiff(g.v, want[j]!)).toBe(-1);
        });
      });
    }
  }
  it("a split size of -1 takes the rest; the pieces concatenate back to the input", () => {
    const v = randn(new Rng(13), [3, 10]);
    const { parts, back } = tf.tidy(() => {
      const ps = tf.split(tf.tensor(v, [3, 10]), [2, -1, 3], 1);
      return { parts: ps.map((p) => p.shape[1]), back: Array.from(tf.concat(ps, 1).dataSync()) };
    });
    expect(parts).toEqual([2, 5, 3]);
    expect(back).toEqual(Array.from(v));
  });
  it("int32 tensors take the JS kernel and stay exact", () => {
    const a = Int32Array.from({ length: 12 }, (_, i) => i), b = Int32Array.from({ length: 6 }, (_, i) => 100 + i);
    const got = tf.tidy(() => {
      const c = tf.concat([tf.tensor(a, [2, 6], "int32"), tf.tensor(b, [2, 3], "int32")], 1);
      return { dtype: c.dtype, v: Array.from(c.dataSync()) };
    });
    expect(got.dtype).toBe("int32");
    expect(got.v).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 6, 7, 8, 9, 10, 11, 103, 104, 105]);
  });
  it("copyRows refuses rows that run past a row or a buffer, with a one-line message", () => {
    const addon = (loadAddon() as { addon: NativeAddon }).addon;
    const src = new Float32Array(8), dst = new Float32Array(8);
    expect(() => addon.copyRows!(src, dst, Int32Array.of(2, 4, 2, 4, 0, 3))).toThrow(/copyRows: rows run past/);
    expect(() => addon.copyRows!(src, dst, Int32Array.of(3, 4, 0, 4, 0, 4))).toThrow(/copyRows: rows run past/);
    expect(() => addon.copyRows!(src, dst, Int32Array.of(1, 0, 0, 0, 0))).toThrow(/params must be/);
  });
});
