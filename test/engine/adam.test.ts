/**
 * FusedAdamOptimizer (lib/engine/adam.ts) against tfjs's own AdamOptimizer: same parameter
 * trajectory over several steps on cpu and wasm, same optimizer state layout, no leaks per step.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { initEngine, tf, fusedAdam, type BackendName } from "../../lib/engine/index.ts";
import type { Variable, Scalar } from "../../lib/engine/tf.ts";
import { Rng } from "../../lib/util/rng.ts";

function problem(seed: number) {
  const rng = new Rng(seed);
  const r = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const w = tf.variable(tf.tensor(r(12), [3, 4]));
  const b = tf.variable(tf.tensor(r(4), [4]));
  const x = tf.tensor(r(15), [5, 3]);
  const y = tf.tensor(r(20), [5, 4]);
  const loss = () => tf.tidy(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as Scalar);
  return { w, b, loss, dispose: () => tf.dispose([w, b, x, y]) };
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  describe(`fusedAdam on ${backend}`, () => {
    beforeAll(async () => {
      await initEngine({ backend });
    });

    it("follows tf.train.adam step for step, keeps its state layout, and leaks nothing", () => {
      const A = problem(1), B = problem(1);
      const ref = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
      const ours = fusedAdam(0.05, 0.9, 0.999, 1e-7);
      for (let s = 0; s < 6; s++) {
        const before = tf.memory().numTensors;
        tf.dispose(ours.minimize(B.loss, true, [B.w as Variable, B.b as Variable])!);
        if (s > 0) expect(tf.memory().numTensors).toBe(before);
        tf.dispose(ref.minimize(A.loss, true, [A.w as Variable, A.b as Variable])!);
        for (const [p, q] of [
          [A.w, B.w],
          [A.b, B.b],
        ] as const) {
          const pv = p.dataSync(), qv = q.dataSync();
          for (let i = 0; i < pv.length; i++) expect(Math.abs(pv[i]! - qv[i]!)).toBeLessThan(1e-5);
        }
      }
      expect(ours.iterations).toBe(6);
      expect(ours.getClassName()).toBe("Adam");
      const acc = (o: object) => (o as { accBeta1: Variable }).accBeta1.dataSync()[0];
      expect(acc(ours)).toBeCloseTo(acc(ref)!, 6);
      A.dispose();
      B.dispose();
      ref.dispose();
      ours.dispose();
    });
  });
}
