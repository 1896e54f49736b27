/**
 * The fast JS kernels for cpu-style backends (js-cpu-fast.ts) against tfjs-backend-wasm's C++
 * kernels (an independent implementation), over same-shape, scalar, leading/trailing-broadcast
 * and fallback (general broadcast, int32) cases; plus Slice, Concat, Reverse, Transpose and Softmax.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { initEngine, tf } from "../../lib/engine/index.ts";
import type { Tensor } from "../../lib/engine/tf.ts";
import { Rng } from "../../lib/util/rng.ts";
import { collapseTranspose } from "../../lib/engine/wasm/js-cpu-fast.ts";

function rand(rng: Rng, shape: number[], positive = false): { v: Float32Array; shape: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = positive ? 0.5 + rng.next() : rng.next() * 2 - 1;
  return { v, shape };
}

/** Run f on cpu (our fast kernels registered) and on wasm, return both results. */
async function both(f: () => Tensor): Promise<[Float32Array | Int32Array, Float32Array | Int32Array, number[], number[]]> {
  await tf.setBackend("cpu");
  const a = f();
  const av = a.dataSync() as Float32Array, as = a.shape;
  a.dispose();
  await tf.setBackend("wasm");
  const b = f();
  const bv = b.dataSync() as Float32Array, bs = b.shape;
  b.dispose();
  return [av, bv, as, bs];
}

const PAIRS: Array<[number[], number[]]> = [
  [[2, 3, 4, 5], [2, 3, 4, 5]], // same
  [[2, 3, 4, 5], []], // scalar
  [[], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [5]], // trailing (channel) broadcast
  [[5], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [4, 5]],
  [[2, 3, 4, 5], [2, 3, 4, 1]], // leading dims, trailing ones
  [[2, 3, 4, 1], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [2, 1, 1, 5]], // general broadcast: falls back to the stock kernel
  [[2, 1, 4, 1], [1, 3, 1, 5]], // both broadcast
  [[1, 1], [3, 4]],
];

describe("fast cpu kernels vs wasm", () => {
  beforeAll(async () => {
    await initEngine({ backend: "wasm" });
    await initEngine({ backend: "cpu" });
  });

  it.each(PAIRS.map(([a, b]) => ({ a, b })))("binary ops $a with $b", async ({ a, b }) => {
    const rng = new Rng(a.length * 10 + b.length);
    const A = rand(rng, a), B = rand(rng, b, true);
    for (const op of [tf.mul, tf.add, tf.sub, tf.div]) {
      const [x, y, sx, sy] = await both(() => tf.tidy(() => op(tf.tensor(A.v, A.shape), tf.tensor(B.v, B.shape))));
      expect(sx).toEqual(sy);
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(y[i]!)));
    }
  });

  it("int32 binary ops fall back to the stock kernel", async () => {
    const [x, y] = await both(() => tf.tidy(() => tf.mul(tf.tensor([1, 2, 3, 4], [2, 2], "int32"), tf.tensor([3, -1], [2], "int32"))));
    expect(Array.from(x)).toEqual([3, -2, 9, -4]);
    expect(Array.from(y)).toEqual([3, -2, 9, -4]);
  });

  it.each([
    { shape: [4, 5, 6, 7], begin: [1, 0, 2, 0], size: [2, 5, 3, 7] },
    { shape: [4, 5, 6, 7], begin: [0, 1, 1, 1], size: [4, 3, 4, 5] },
    { shape: [3, 8], begin: [1, 2], size: [-1, 4] },
    { shape: [2, 3, 4, 5, 6], begin: [0, 0, 0, 0, 0], size: [2, 3, 4, 5, 6] },
    { shape: [6], begin: [2], size: [0] },
    { shape: [2, 6, 5, 4, 3], begin: [0, 1, 0, 0, 0], size: [2, 4, 5, 4, 3] }, // rank 5: wasm collapses to rank 2
    { shape: [2, 6, 5, 4, 3], begin: [1, 1, 2, 0, 1], size: [1, 4, 2, 4, 2] }, // rank 5 not collapsible: stock path
    { shape: [2, 3, 2, 3, 2, 2], begin: [0, 0, 1, 0, 0, 0], size: [2, 3, 1, 3, 2, 2] },
  ])("slice $shape from $begin size $size", async ({ shape, begin, size }) => {
    const X = rand(new Rng(1), shape);
    const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.slice(tf.tensor(X.v, shape), begin, size)));
    expect(sx).toEqual(sy);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it.each([
    { shape: [2, 3, 4, 5], perm: [3, 1, 2, 0] },
    { shape: [2, 3, 4, 5], perm: [1, 2, 0, 3] },
    { shape: [2, 3, 4, 5, 6], perm: [4, 1, 2, 3, 0] },
    { shape: [2, 2, 3, 2, 3, 2], perm: [0, 1, 4, 2, 3, 5] },
    { shape: [7, 1], perm: [1, 0] },
  ])("transpose $shape by $perm", async ({ shape, perm }) => {
    const X = rand(new Rng(2), shape);
    const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.transpose(tf.tensor(X.v, shape), perm)));
    expect(sx).toEqual(sy);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it.each([
    { shape: [4, 3, 2, 5, 2], sizes: [1, 3], axis: 0 },
    { shape: [2, 3, 4, 5, 2], sizes: [2, -1], axis: 2 },
    { shape: [2, 3, 4, 5, 2], sizes: [1, 1], axis: -1 },
  ])("split $shape into $sizes on axis $axis", async ({ shape, sizes, axis }) => {
    const X = rand(new Rng(5), shape);
    for (let k = 0; k < sizes.length; k++) {
      const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.split(tf.tensor(X.v, shape), sizes, axis)[k]!));
      expect(sx).toEqual(sy);
      expect(Array.from(x)).toEqual(Array.from(y));
    }
  });

  it.each([
    // channels-last skip connection (short runs: the loop path), long runs (the set path), a middle
    // axis, axis 0, a zero-size input, three inputs, int32, and a rank-1 concat
    { shapes: [[2, 3, 4, 5, 8], [2, 3, 4, 5, 8]], axis: -1, dtype: "float32" },
    { shapes: [[2, 3, 4, 5, 3], [2, 3, 4, 5, 1], [2, 3, 4, 5, 6]], axis: 4, dtype: "float32" },
    { shapes: [[2, 70], [2, 90]], axis: 1, dtype: "float32" },
    { shapes: [[2, 3, 20, 5], [2, 4, 20, 5]], axis: 1, dtype: "float32" },
    { shapes: [[1, 3, 4], [2, 3, 4]], axis: 0, dtype: "float32" },
    { shapes: [[2, 3, 0], [2, 3, 4]], axis: 2, dtype: "float32" },
    { shapes: [[2, 3, 2], [2, 3, 5]], axis: -1, dtype: "int32" },
    { shapes: [[3], [4]], axis: 0, dtype: "float32" },
  ] as const)("concat $shapes on axis $axis ($dtype)", async ({ shapes, axis, dtype }) => {
    const rng = new Rng(13);
    const xs = shapes.map((sh) => rand(rng, [...sh]));
    const make = () => xs.map((x) => (dtype === "int32" ? tf.tensor(Int32Array.from(x.v, (v) => Math.round(v * 100)), x.shape, "int32") : tf.tensor(x.v, x.shape)));
    const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.concat(make(), axis)));
    expect(sx).toEqual(sy);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it.each([
    { shape: [2, 5, 4, 3], dims: [1] },
    { shape: [2, 5, 4, 3], dims: [1, 2] },
    { shape: [2, 5, 4, 3], dims: [-1] },
    { shape: [2, 5, 4, 3], dims: [0, 3] },
    { shape: [3, 70], dims: [0] }, // long runs (set path)
    { shape: [7], dims: [0] },
    { shape: [2, 3, 4, 5, 2], dims: [1, 2, 3] },
  ])("reverse $shape along $dims (float32 and int32)", async ({ shape, dims }) => {
    const X = rand(new Rng(21), shape);
    for (const dtype of ["float32", "int32"] as const) {
      const make = () => (dtype === "int32" ? tf.tensor(Int32Array.from(X.v, (v) => Math.round(v * 100)), shape, "int32") : tf.tensor(X.v, shape));
      const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.reverse(make(), dims)));
      expect(sx).toEqual(sy);
      expect(Array.from(x)).toEqual(Array.from(y));
    }
  });

  it("concat's gradient (split of dy) reaches each input, channels-last", async () => {
    const rng = new Rng(17);
    const A = rand(rng, [2, 3, 4, 5]), B = rand(rng, [2, 3, 4, 2]), W = rand(rng, [2, 3, 4, 7]);
    const grads = async () => {
      const [ga, gb] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.concat([a, b], -1), tf.tensor(W.v, W.shape))))([tf.tensor(A.v, A.shape), tf.tensor(B.v, B.shape)]);
      return [Array.from(ga!.dataSync()), Array.from(gb!.dataSync())];
    };
    await tf.setBackend("cpu");
    const [ga, gb] = await grads();
    // hand: dL/dA[..., c] = W[..., c] and dL/dB[..., c] = W[..., 5 + c]
    const wa: number[] = [], wb: number[] = [];
    for (let i = 0; i < 24; i++) for (let c = 0; c < 7; c++) (c < 5 ? wa : wb).push(W.v[i * 7 + c]!);
    expect(ga).toEqual(wa);
    expect(gb).toEqual(wb);
  });

  it.each([
    { shape: [2, 5, 4, 3], paddings: [[0, 0], [1, 1], [2, 1], [0, 0]], mode: "symmetric" },
    { shape: [2, 5, 4, 3], paddings: [[0, 0], [2, 2], [2, 2], [0, 0]], mode: "reflect" },
    { shape: [3, 4], paddings: [[1, 2], [3, 0]], mode: "symmetric" },
  ] as const)("mirrorPad $mode $paddings", async ({ shape, paddings, mode }) => {
    const X = rand(new Rng(9), [...shape]);
    const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.mirrorPad(tf.tensor(X.v, [...shape]), paddings.map((p) => [...p] as [number, number]), mode)));
    expect(sx).toEqual(sy);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it("softmax over the last axis", async () => {
    const X = rand(new Rng(3), [3, 4, 5]);
    const [x, y] = await both(() => tf.tidy(() => tf.softmax(tf.mul(tf.tensor(X.v, X.shape), 20))));
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-6);
  });

  it.each([
    { shape: [32768, 1], to: [32768, 5] },
    { shape: [1, 5], to: [300, 5] },
    { shape: [1, 1, 1, 1], to: [3, 3, 4, 6] },
    { shape: [2, 1, 3], to: [2, 4, 3] },
    { shape: [3, 1, 2, 1], to: [3, 5, 2, 7] },
    { shape: [4], to: [2, 3, 4] },
  ])("broadcastTo (Tile) $shape -> $to", async ({ shape, to }) => {
    const X = rand(new Rng(21), shape);
    const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.broadcastTo(tf.tensor(X.v, shape), to)));
    expect(sx).toEqual(sy);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it("tile with reps > 1 on non-unit axes, int32 too", async () => {
    const X = rand(new Rng(22), [2, 3, 2]);
    const [x, y, sx, sy] = await both(() => tf.tidy(() => tf.tile(tf.tensor(X.v, [2, 3, 2]), [3, 1, 2])));
    expect(sx).toEqual(sy);
    expect(Array.from(x)).toEqual(Array.from(y));
    const [a, b] = await both(() => tf.tidy(() => tf.tile(tf.tensor([[1, 2], [3, 4]], [2, 2], "int32"), [2, 3])));
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("collapseTranspose merges axes that stay adjacent (hand cases)", () => {
    expect(collapseTranspose([8, 8, 8, 8, 8, 10], [0, 1, 3, 2, 4, 5])).toEqual({ shape: [64, 8, 8, 80], perm: [0, 2, 1, 3] });
    expect(collapseTranspose([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
    expect(collapseTranspose([2, 3, 4], [2, 0, 1])).toEqual({ shape: [6, 4], perm: [1, 0] });
    expect(collapseTranspose([2, 3, 4, 5], [3, 1, 0, 2])).toEqual({ shape: [2, 3, 4, 5], perm: [3, 1, 0, 2] });
  });

  it("the Sum gradient (broadcast of dy) on reduced, kept and all axes: dL/dX[i,j,k] = W at the reduced index, on cpu and wasm", async () => {
    // L = sum(W * sum(X, axes)) with W of the reduced shape, so dL/dX[i,j,k] = W[reduced index of (i,j,k)]
    const X = rand(new Rng(23), [4, 3, 5]);
    for (const [axes, keep] of [[[1], true], [[0, 2], false], [[2], false], [[0, 1, 2], false]] as [number[], boolean][]) {
      const red = [4, 3, 5].map((d, a) => (axes.includes(a) ? 1 : d));
      const W = rand(new Rng(24 + axes.length), red);
      const want = new Float32Array(60);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 5; k++) {
        const [ri, rj, rk] = [i, j, k].map((v, a) => (axes.includes(a) ? 0 : v)) as [number, number, number];
        want[(i * 3 + j) * 5 + k] = W.v[(ri * red[1]! + rj) * red[2]! + rk]!;
      }
      const outShape = keep ? red : red.filter((_, a) => !axes.includes(a));
      const [x, y] = await both(() => tf.tidy(() => tf.grad((t: Tensor) => {
        const s = tf.sum(t, axes.length === 3 ? undefined : axes.length === 1 && axes[0] === 2 ? -1 : axes, keep);
        return tf.sum(tf.mul(s, tf.tensor(W.v, outShape)));
      })(tf.tensor(X.v, X.shape))));
      expect(Array.from(x), `cpu, axes ${axes}`).toEqual(Array.from(want));
      expect(Array.from(y), `wasm, axes ${axes}`).toEqual(Array.from(want));
    }
  });
});

describe("ClipByValue gradient (UmmkdClipByValueGrad)", () => {
  beforeAll(async () => {
    await initEngine({ backend: "wasm" });
    await initEngine({ backend: "cpu" });
  });
  it("equals tfjs' own formula (where(min <= x <= max, dy, 0)) on cpu and wasm, NaN and bounds included", async () => {
    const X = rand(new Rng(31), [6, 7]);
    X.v[0] = NaN; X.v[1] = 0.005; X.v[2] = 1; X.v[3] = 0.0049; X.v[4] = -0;
    const D = rand(new Rng(32), [6, 7]);
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const [ours, ref] = tf.tidy(() => {
        const x = tf.tensor(X.v, X.shape), dy = tf.tensor(D.v, D.shape);
        const g = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.clipByValue(t, 0.005, 1), dy)))(x);
        const r = tf.where(tf.logicalAnd(tf.greaterEqual(x, 0.005), tf.lessEqual(x, 1)), dy, tf.zerosLike(dy));
        return [Array.from(g.dataSync()), Array.from(r.dataSync())];
      });
      expect(ours, backend).toEqual(ref);
      expect(ours[0]).toBe(0);
      expect(ours[1]).toBe(D.v[1]);
      expect(ours[3]).toBe(0);
    }
  });
});
