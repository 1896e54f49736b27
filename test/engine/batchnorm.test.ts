/**
 * batchNormTraining (lib/engine/ops.ts): values vs a float64 loop reference, closed-form gradient vs
 * tfjs autodiff of the naive formula (gradient flowing through mean and variance), on cpu and wasm,
 * for 4D and 5D inputs, and no tensor leaks (forward, and forward+backward).
 */
import { describe, it, expect, beforeAll } from "vitest";
import { initEngine, tf, batchNormTraining, updateMovingStats, type BackendName } from "../../lib/engine/index.ts";
import type { Tensor, Tensor1D } from "../../lib/engine/tf.ts";
import { Rng } from "../../lib/util/rng.ts";

function rand(rng: Rng, n: number, scale = 1, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale + offset;
  return a;
}
function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-6, m = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m / scale;
}

const SHAPES = [
  [4, 5, 3, 6],
  [2, 3, 4, 5, 3],
  [3, 1],
];

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  describe(`batchNormTraining on ${backend}`, () => {
    beforeAll(async () => {
      await initEngine({ backend });
    });

    it.each(SHAPES.map((s) => ({ shape: s })))("values vs float64 loops, shape $shape", ({ shape }) => {
      const rng = new Rng(1);
      const C = shape[shape.length - 1]!;
      const n = shape.reduce((a, b) => a * b, 1);
      const xv = rand(rng, n, 2, 0.5), gv = rand(rng, C, 1, 1), bv = rand(rng, C);
      const x = tf.tensor(xv, shape), g = tf.tensor1d(gv), b = tf.tensor1d(bv);
      const eps = 1e-3;
      const before = tf.memory().numTensors;
      const { y, mean, variance } = batchNormTraining(x, g, b, eps);
      expect(tf.memory().numTensors).toBe(before + 3);
      const N = n / C;
      const m = new Float64Array(C), v = new Float64Array(C);
      for (let i = 0; i < n; i++) m[i % C]! += xv[i]! / N;
      for (let i = 0; i < n; i++) v[i % C]! += (xv[i]! - m[i % C]!) ** 2 / N;
      const yRef = Array.from(xv, (xi, i) => ((xi - m[i % C]!) / Math.sqrt(v[i % C]! + eps)) * gv[i % C]! + bv[i % C]!);
      expect(y.shape).toEqual(shape);
      expect(maxRelErr(y.dataSync(), yRef)).toBeLessThan(1e-5);
      expect(maxRelErr(mean.dataSync(), m)).toBeLessThan(1e-5);
      expect(maxRelErr(variance.dataSync(), v)).toBeLessThan(1e-5);
      tf.dispose([x, g, b, y, mean, variance]);
    });

    it.each(SHAPES.slice(0, 2).map((s) => ({ shape: s })))("gradient vs autodiff of the naive formula, shape $shape, no leaks", ({ shape }) => {
      const rng = new Rng(2);
      const C = shape[shape.length - 1]!;
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(rand(rng, n, 2, 0.5), shape), g = tf.tensor1d(rand(rng, C, 1, 1)), b = tf.tensor1d(rand(rng, C));
      const r = tf.tensor(rand(rng, n), shape);
      const eps = 1e-3;
      const axes = shape.slice(0, -1).map((_, i) => i);
      const naive = (xx: Tensor, gg: Tensor, bb: Tensor) => {
        const { mean, variance } = tf.moments(xx, axes);
        return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, eps))), gg), bb), r));
      };
      const ours = (xx: Tensor, gg: Tensor, bb: Tensor) => {
        const res = batchNormTraining(xx, gg as Tensor1D, bb as Tensor1D, eps);
        return tf.sum(tf.mul(res.y, r));
      };
      const want = tf.grads(naive)([x, g, b]);
      const before = tf.memory().numTensors;
      const got = tf.grads(ours)([x, g, b]);
      expect(tf.memory().numTensors).toBe(before + 3);
      for (let i = 0; i < 3; i++) expect(maxRelErr(got[i]!.dataSync(), want[i]!.dataSync())).toBeLessThan(2e-4);
      tf.dispose([...want, ...got, x, g, b, r]);
    });

    it("rejects gamma/beta of the wrong length", () => {
      const x = tf.zeros([2, 3, 4]);
      expect(() => batchNormTraining(x, tf.zeros([3]) as Tensor1D, tf.zeros([4]) as Tensor1D)).toThrow(/gamma must be \[4\]/);
      tf.disposeVariables();
      x.dispose();
    });
  });
}

describe("updateMovingStats (batch norm's moving statistics)", () => {
  for (const backend of ["cpu", "wasm"] as BackendName[]) {
    it(`on ${backend}: equals the tf-op formula bit for bit, no tensor leak`, async () => {
      await initEngine({ backend });
      const rng = new Rng(31);
      const C = 37;
      const mm0 = rand(rng, C, 2), mv0 = rand(rng, C, 1, 1.5), me = rand(rng, C, 3), va = rand(rng, C, 1, 1.2);
      const n = 8 * 16 * 16, m = 0.9;
      // reference: the tf ops the update replaces, run on the cpu backend
      await tf.setBackend("cpu");
      const ref = tf.tidy(() => {
        const mm = tf.tensor1d(mm0), mv = tf.tensor1d(mv0), mean = tf.tensor1d(me), variance = tf.tensor1d(va);
        const a = tf.add(tf.mul(mm, m), tf.mul(mean, 1 - m));
        const b = tf.add(tf.mul(mv, m), tf.mul(tf.mul(variance, n / (n - 1)), 1 - m));
        return [Array.from(a.dataSync()), Array.from(b.dataSync())];
      });
      await tf.setBackend(backend);
      const mm = tf.variable(tf.tensor1d(mm0)), mv = tf.variable(tf.tensor1d(mv0));
      const mean = tf.tensor1d(me), variance = tf.tensor1d(va);
      const before = tf.memory().numTensors;
      updateMovingStats(mm, mv, mean, variance, m, n);
      expect(Array.from(mm.dataSync())).toEqual(ref[0]);
      expect(Array.from(mv.dataSync())).toEqual(ref[1]);
      expect(tf.memory().numTensors).toBe(before);
      expect(() => updateMovingStats(mm, mv, tf.tensor1d([1, 2]), variance, m, n)).toThrow(/shapes differ/);
      tf.dispose([mm, mv, mean, variance]);
    });
  }
});
