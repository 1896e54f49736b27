/**
 * The pack's fused JS kernels against independent references, on cpu and wasm: LeakyReLU gradient
 * (vs the definition and vs finite differences), filter flip+swap (vs index arithmetic), BN kernels
 * vs the portable tf-op versions; no leaks. Plus engine selection behaviour.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { initEngine, engineInfo, tf, type BackendName } from "../../lib/engine/index.ts";
import type { Tensor, Tensor1D, Tensor4D } from "../../lib/engine/tf.ts";
import { flipSwapFilter } from "../../lib/engine/wasm/flip.ts";
import { batchNormTrainGradPortable, batchNormTrainPortable } from "../../lib/engine/wasm/batchnorm.ts";
import { Rng } from "../../lib/util/rng.ts";

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() * 2 - 1;
  return a;
}
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  describe(`JS kernels on ${backend}`, () => {
    beforeAll(async () => {
      await initEngine({ backend });
    });

    it("LeakyReLU gradient: definition, finite differences, no leaks", () => {
      const rng = new Rng(4);
      const xv = rand(rng, 2 * 5 * 7 * 3);
      const rv = rand(rng, xv.length);
      const x = tf.tensor(xv, [2, 5, 7, 3]), r = tf.tensor(rv, [2, 5, 7, 3]);
      const f = (a: Tensor) => tf.sum(tf.mul(tf.leakyRelu(a, 0.2), r));
      const before = tf.memory().numTensors;
      const g = tf.grad(f)(x);
      expect(tf.memory().numTensors).toBe(before + 1);
      const gv = g.dataSync();
      const want = Array.from(xv, (v, i) => (v > 0 ? rv[i]! : 0.2 * rv[i]!));
      expect(maxAbs(gv, want)).toBeLessThan(1e-6);
      // finite differences away from the kink
      for (const i of [0, 7, 33, 100]) {
        if (Math.abs(xv[i]!) < 0.05) continue;
        const h = 1e-2;
        const p = xv.slice(), m = xv.slice();
        p[i]! += h;
        m[i]! -= h;
        const fd = tf.tidy(() => (f(tf.tensor(p, x.shape)).dataSync()[0]! - f(tf.tensor(m, x.shape)).dataSync()[0]!) / (2 * h));
        expect(Math.abs(fd - gv[i]!)).toBeLessThan(2e-3);
      }
      tf.dispose([x, r, g]);
    });

    it.each([
      { shape: [2, 8, 8, 3], k: 2, s: 2, pad: "same" },
      { shape: [1, 7, 5, 2], k: 2, s: 2, pad: "same" },
      { shape: [2, 9, 7, 2], k: 3, s: 2, pad: "same" },
      { shape: [1, 6, 6, 1], k: 3, s: 1, pad: "valid" },
    ] as const)("MaxPool gradient $shape k$k s$s $pad vs a loop reference (first maximum of each window)", ({ shape, k, s, pad }) => {
      const rng = new Rng(12);
      const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const xv = rand(rng, n);
      const x = tf.tensor(xv, [...shape]) as Tensor;
      const y = tf.maxPool(x as Tensor4D, k, s, pad) as Tensor;
      const rv = rand(rng, y.size);
      const r = tf.tensor(rv, y.shape);
      const before = tf.memory().numTensors;
      const g = tf.grad((a: Tensor) => tf.sum(tf.mul(tf.maxPool(a as Tensor4D, k, s, pad), r)))(x);
      expect(tf.memory().numTensors).toBe(before + 1);
      const [N, H, W, C] = shape;
      const [, Ho, Wo] = y.shape as number[];
      // TF SAME/VALID geometry from scratch
      const tot = (inn: number, out: number) => (pad === "same" ? Math.max((out - 1) * s + k - inn, 0) : 0);
      const pt = Math.floor(tot(H, Ho!) / 2), pl = Math.floor(tot(W, Wo!) / 2);
      const ref = new Float64Array(n);
      for (let b = 0; b < N; b++)
        for (let i = 0; i < Ho!; i++)
          for (let j = 0; j < Wo!; j++)
            for (let c = 0; c < C; c++) {
              let best = -Infinity, at = -1;
              for (let di = 0; di < k; di++)
                for (let dj = 0; dj < k; dj++) {
                  const ih = i * s - pt + di, iw = j * s - pl + dj;
                  if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                  const q = ((b * H + ih) * W + iw) * C + c;
                  if (xv[q]! > best) {
                    best = xv[q]!;
                    at = q;
                  }
                }
              ref[at]! += rv[((b * Ho! + i) * Wo! + j) * C + c]!;
            }
      expect(maxAbs(g.dataSync(), ref)).toBeLessThan(1e-6);
      tf.dispose([x, y, r, g]);
    });

    it.each([
      { shape: [2, 8, 6, 6, 3], k: 2, s: 2 },
      { shape: [1, 5, 7, 4, 2], k: 2, s: 2 },
      { shape: [2, 4, 4, 4, 1], k: 3, s: 2 },
    ] as const)("MaxPool3D forward and gradient $shape k$k s$s same vs a loop reference", ({ shape, k, s }) => {
      const rng = new Rng(13);
      const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const xv = rand(rng, n);
      const x = tf.tensor(xv, [...shape]) as Tensor;
      const y = tf.maxPool3d(x as never, k, s, "same") as Tensor;
      const rv = rand(rng, y.size);
      const r = tf.tensor(rv, y.shape);
      const g = tf.grad((a: Tensor) => tf.sum(tf.mul(tf.maxPool3d(a as never, k, s, "same"), r)))(x);
      const [N, D, H, W, C] = shape;
      const [, Do, Ho, Wo] = y.shape as number[];
      const before = (inn: number, out: number) => Math.floor(Math.max((out - 1) * s + k - inn, 0) / 2);
      const pf = before(D, Do!), pt = before(H, Ho!), pl = before(W, Wo!);
      const yRef = new Float64Array(y.size), gRef = new Float64Array(n);
      let o = 0;
      for (let b = 0; b < N; b++)
        for (let d = 0; d < Do!; d++)
          for (let i = 0; i < Ho!; i++)
            for (let j = 0; j < Wo!; j++)
              for (let c = 0; c < C; c++, o++) {
                let best = -Infinity, at = -1;
                for (let dd = 0; dd < k; dd++)
                  for (let di = 0; di < k; di++)
                    for (let dj = 0; dj < k; dj++) {
                      const id = d * s - pf + dd, ih = i * s - pt + di, iw = j * s - pl + dj;
                      if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                      const q = (((b * D + id) * H + ih) * W + iw) * C + c;
                      if (xv[q]! > best) {
                        best = xv[q]!;
                        at = q;
                      }
                    }
                yRef[o] = best;
                gRef[at]! += rv[o]!;
              }
      expect(maxAbs(y.dataSync(), yRef)).toBeLessThan(1e-6);
      expect(maxAbs(g.dataSync(), gRef)).toBeLessThan(1e-6);
      tf.dispose([x, y, r, g]);
    });

    it("flip+swap of 2D and 3D filters matches index arithmetic", () => {
      const rng = new Rng(6);
      for (const shape of [
        [3, 2, 4, 5],
        [2, 3, 1, 3, 2],
      ]) {
        const wv = rand(rng, shape.reduce((a, b) => a * b, 1));
        const w = tf.tensor(wv, shape);
        const before = tf.memory().numTensors;
        const o = flipSwapFilter(w);
        expect(tf.memory().numTensors).toBe(before + 1);
        const nsp = shape.length - 2;
        const ci = shape[nsp]!, co = shape[nsp + 1]!;
        expect(o.shape).toEqual([...shape.slice(0, nsp), co, ci]);
        const ov = o.dataSync();
        const K = shape.slice(0, nsp).reduce((a, b) => a * b, 1);
        // spatial index k (row-major over the spatial axes) maps to K-1-k when every axis is reversed
        for (let k = 0; k < K; k++)
          for (let i = 0; i < ci; i++) for (let j = 0; j < co; j++) expect(ov[(K - 1 - k) * ci * co + j * ci + i]).toBe(wv[k * ci * co + i * co + j]);
        tf.dispose([w, o]);
      }
    });

    it("BN kernels agree with the portable tf-op versions and with a float64 oracle", () => {
      const rng = new Rng(8);
      const shape = [3, 4, 5, 6];
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(rand(rng, n), shape), dy = tf.tensor(rand(rng, n), shape);
      const g = tf.tensor1d(rand(rng, 6)) as Tensor1D, b = tf.tensor1d(rand(rng, 6)) as Tensor1D;
      const before = tf.memory().numTensors;
      const fast = tf.engine().runKernel("UmmkdBatchNormTrain", { x, gamma: g, beta: b }, { epsilon: 1e-3 }) as Tensor[];
      const ref = batchNormTrainPortable(x, g, b, 1e-3);
      for (let i = 0; i < 3; i++) expect(maxAbs(fast[i]!.dataSync(), ref[i]!.dataSync())).toBeLessThan(1e-5);
      const fastG = tf.engine().runKernel("UmmkdBatchNormTrainGrad", { dy, x, gamma: g, mean: ref[1]!, variance: ref[2]! }, { epsilon: 1e-3 }) as Tensor[];
      const refG = batchNormTrainGradPortable(dy, x, g, ref[1]!, ref[2]!, 1e-3);
      for (let i = 0; i < 3; i++) expect(maxAbs(fastG[i]!.dataSync(), refG[i]!.dataSync())).toBeLessThan(1e-4);
      // independent float64 oracle (plain loops): y = gamma (x - mean) / sqrt(var + eps) + beta with
      // the biased variance; dx = gamma / sqrt(var + eps) (dy - mean(dy) - xhat mean(dy xhat)),
      // dgamma = sum(dy xhat), dbeta = sum(dy), per channel
      const want = bnReference64(x.dataSync(), dy.dataSync(), g.dataSync(), b.dataSync(), 6, 1e-3);
      const rel = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
        let m = 0, r = 0;
        for (let i = 0; i < ref.length; i++) { m = Math.max(m, Math.abs(got[i]! - ref[i]!)); r = Math.max(r, Math.abs(ref[i]!)); }
        return m / r;
      };
      [want.y, want.mean, want.variance].forEach((w, i) => expect(rel(fast[i]!.dataSync(), w), `forward output ${i}`).toBeLessThan(1e-5));
      [want.dx, want.dgamma, want.dbeta].forEach((w, i) => expect(rel(fastG[i]!.dataSync(), w), `gradient output ${i}`).toBeLessThan(1e-5));
      tf.dispose([...fast, ...ref, ...fastG, ...refG]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, dy, g, b]);
    });
  });
}

/** Float64 batch norm (training mode) forward and backward over all axes but the last (C channels). */
function bnReference64(x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, C: number, eps: number) {
  const m = x.length / C;
  const mean = new Float64Array(C), variance = new Float64Array(C), dbeta = new Float64Array(C), dgamma = new Float64Array(C);
  for (let i = 0; i < x.length; i++) mean[i % C] += x[i]! / m;
  for (let i = 0; i < x.length; i++) variance[i % C] += (x[i]! - mean[i % C]!) ** 2 / m;
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % C]!) / Math.sqrt(variance[i % C]! + eps));
  for (let i = 0; i < x.length; i++) {
    dbeta[i % C] += dy[i]!;
    dgamma[i % C] += dy[i]! * xhat[i]!;
  }
  const y = Float64Array.from(xhat, (v, i) => gamma[i % C]! * v + beta[i % C]!);
  const dx = Float64Array.from(xhat, (v, i) => {
    const c = i % C;
    return (gamma[c]! / Math.sqrt(variance[c]! + eps)) * (dy[i]! - dbeta[c]! / m - (v * dgamma[c]!) / m);
  });
  return { y, mean, variance, dx, dgamma, dbeta };
}

describe("engine selection", () => {
  it("records the backend, the reason and the kernel pack; rejects unknown backends", async () => {
    const info = await initEngine({ backend: "wasm" });
    expect(info.backend).toBe("wasm");
    expect(info.reason).toMatch(/forced/);
    expect(engineInfo()).toBe(info);
    expect(tf.getBackend()).toBe("wasm");
    await expect(initEngine({ backend: "gpu" as BackendName })).rejects.toThrow(/backend.*"gpu".*expected one of/);
  });

  it("tfjs-node without its binding is reported, not fatal", async () => {
    const prev = process.env.UMMKD_BACKEND;
    delete process.env.UMMKD_BACKEND;
    try {
      // Where tfjs-node's binding is installed this loads; here (no binding) it must fail with a reason naming it.
      const r = await initEngine({ backend: "tensorflow" }).then(
        (i) => i.backend,
        (e: Error) => e.message,
      );
      expect(r === "tensorflow" || /@tensorflow\/tfjs-node: native binding absent/.test(r)).toBe(true);
    } finally {
      if (prev !== undefined) process.env.UMMKD_BACKEND = prev;
      await initEngine({ backend: "cpu" });
    }
  });
});
