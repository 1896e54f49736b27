/**
 * Native (oneDNN) max pooling (2D/3D, forward and gradient) vs the tfjs cpu backend, and the fused
 * batch-norm kernels (UmmkdBatchNormTrain / UmmkdBatchNormTrainGrad) vs a float64 reference and
 * finite differences; no tensor leaks.
 */
import { describe, it, expect } from "vitest";
import { tf, type Tensor, type Tensor4D, type Tensor5D } from "../../lib/engine/tf.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native, randn, runOn, expectClose, dot } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";

interface PoolCase { x: number[]; k: number | number[]; s: number | number[]; pad: "same" | "valid" }
const pools: PoolCase[] = [
  { x: [2, 7, 9, 3], k: 3, s: 2, pad: "same" },
  { x: [2, 7, 9, 3], k: 2, s: 2, pad: "valid" },
  { x: [1, 8, 8, 2], k: 2, s: 2, pad: "same" },
  { x: [1, 9, 7, 2], k: 3, s: 1, pad: "same" },
  { x: [1, 5, 7, 6, 2], k: 2, s: 2, pad: "valid" },
  { x: [2, 5, 7, 6, 2], k: 2, s: 2, pad: "same" },
  { x: [1, 7, 5, 9, 1], k: 3, s: 2, pad: "same" },
];

describe.skipIf(!native.ok)(`${REQUIRES.native} native max pooling`, () => {
  for (const c of pools) {
    it(`${c.x.length === 4 ? "2D" : "3D"} x=${c.x} k=${c.k} s=${c.s} ${c.pad}: value and gradient match cpu`, async () => {
      const rng = new Rng(c.x.reduce((a, b) => a * 17 + b, 3));
      const xv = randn(rng, c.x);
      const pool = (x: Tensor) => c.x.length === 4
        ? tf.maxPool(x as Tensor4D, c.k as number, c.s as number, c.pad)
        : tf.maxPool3d(x as Tensor5D, c.k as number, c.s as number, c.pad);
      const outShape = tf.tidy(() => pool(tf.zeros(c.x)).shape);
      const dyv = randn(rng, outShape);
      const run = (be: "native" | "cpu") => runOn(be, () => {
        const x = tf.tensor(xv, c.x);
        const g = tf.grad((t: Tensor) => tf.sum(tf.mul(pool(t), tf.tensor(dyv, outShape))))(x);
        return [pool(x), g];
      });
      const [yN, gN] = await run("native");
      const [yC, gC] = await run("cpu");
      expect(Array.from(yN!)).toEqual(Array.from(yC!)); // max is exact
      expectClose(gN!, gC!, 1e-6, "max pool gradient");
    });
  }
});

/** Float64 batch norm over all axes but the last: y, mean, biased variance. */
function bnRef(x: Float32Array, c: number, gamma: Float32Array, beta: Float32Array, eps: number) {
  const m = x.length / c, mean = new Float64Array(c), variance = new Float64Array(c), y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) mean[i % c]! += x[i]! / m;
  for (let i = 0; i < x.length; i++) variance[i % c]! += (x[i]! - mean[i % c]!) ** 2 / m;
  for (let i = 0; i < x.length; i++) y[i] = gamma[i % c]! * (x[i]! - mean[i % c]!) / Math.sqrt(variance[i % c]! + eps) + beta[i % c]!;
  return { y, mean, variance };
}

describe.skipIf(!native.ok)(`${REQUIRES.native} native fused batch norm`, () => {
  for (const shape of [[2, 5, 7, 3], [3, 4, 5, 6, 2], [6, 4], [1, 3, 3, 5]]) {
    it(`shape ${shape}: forward vs float64 reference, gradient vs the closed form and finite differences`, async () => {
      const rng = new Rng(shape.reduce((a, b) => a * 13 + b, 1));
      const c = shape[shape.length - 1]!, eps = 1e-3;
      const xv = randn(rng, shape).map((v) => 2 * v + 0.5), gv = randn(rng, [c]), bv = randn(rng, [c]), dyv = randn(rng, shape);
      const bn = (xa: Float32Array, ga = gv) => runOn("native", () => tf.engine().runKernel("UmmkdBatchNormTrain",
        { x: tf.tensor(xa, shape), gamma: tf.tensor1d(ga), beta: tf.tensor1d(bv) }, { epsilon: eps }) as Tensor[]);
      const [y, mean, variance] = await bn(xv);
      const ref = bnRef(xv, c, gv, bv, eps);
      expectClose(y!, ref.y, 1e-5, "y");
      expectClose(mean!, ref.mean, 1e-5, "mean");
      expectClose(variance!, ref.variance, 1e-5, "variance");

      const [dx, dgamma, dbeta] = await runOn("native", () => tf.engine().runKernel("UmmkdBatchNormTrainGrad",
        { dy: tf.tensor(dyv, shape), x: tf.tensor(xv, shape), gamma: tf.tensor1d(gv), mean: tf.tensor1d(mean!), variance: tf.tensor1d(variance!) },
        { epsilon: eps }) as Tensor[]);
      // Closed form (kernel-names.ts): dx = gamma*rstd/N * (N*dy - sum(dy) - xhat*sum(dy*xhat)).
      const n = xv.length / c, sdy = new Float64Array(c), sdyx = new Float64Array(c), dxRef = new Float64Array(xv.length);
      const xhat = (i: number) => (xv[i]! - ref.mean[i % c]!) / Math.sqrt(ref.variance[i % c]! + eps);
      for (let i = 0; i < xv.length; i++) { sdy[i % c]! += dyv[i]!; sdyx[i % c]! += dyv[i]! * xhat(i); }
      for (let i = 0; i < xv.length; i++) {
        const k = i % c;
        dxRef[i] = gv[k]! / Math.sqrt(ref.variance[k]! + eps) / n * (n * dyv[i]! - sdy[k]! - xhat(i) * sdyx[k]!);
      }
      expectClose(dx!, dxRef, 1e-4, "dx");
      expectClose(dgamma!, sdyx, 1e-4, "dgamma");
      expectClose(dbeta!, sdy, 1e-4, "dbeta");

      // Finite differences of L = <bn_native(x, gamma), dy>.
      const h = 1e-2;
      for (let t = 0; t < 3; t++) {
        const i = rng.int(xv.length), p = Float32Array.from(xv), q = Float32Array.from(xv);
        p[i]! += h; q[i]! -= h;
        const fd = (dot((await bn(p))[0]!, dyv) - dot((await bn(q))[0]!, dyv)) / (2 * h);
        expect(Math.abs(fd - dx![i]!), `dx[${i}] fd ${fd} vs ${dx![i]}`).toBeLessThanOrEqual(1e-2 * (1 + Math.abs(fd)));
        const j = rng.int(c), gp = Float32Array.from(gv), gq = Float32Array.from(gv);
        gp[j]! += h; gq[j]! -= h;
        const fdg = (dot((await bn(xv, gp))[0]!, dyv) - dot((await bn(xv, gq))[0]!, dyv)) / (2 * h);
        expect(Math.abs(fdg - dgamma![j]!), `dgamma[${j}]`).toBeLessThanOrEqual(1e-2 * (1 + Math.abs(fdg)));
      }
    });
  }
});
