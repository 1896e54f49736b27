/**
 * UmmkdDropout (lib/engine/ops.ts `dropout`, kernels in lib/engine/wasm/dropout-kernels.ts) against
 * tf.dropout itself, the independent oracle it must equal bit for bit, on the cpu and wasm backends
 * (the native kernel is checked in test/native/elementwise.test.ts); Alea against seedrandom's
 * published first draw; gradient; argument checks.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { initEngine, tf, dropout } from "../../lib/engine/index.ts";
import type { Tensor } from "../../lib/engine/tf.ts";
import { aleaUniforms } from "../../lib/engine/wasm/dropout-kernels.ts";
import { Rng } from "../../lib/util/rng.ts";

function randn(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

describe("dropout (UmmkdDropout)", () => {
  beforeAll(async () => {
    await initEngine({ backend: "wasm" });
    await initEngine({ backend: "cpu" });
  });

  it("Alea reproduces seedrandom's documented stream ('hello.' -> 0.4783254903741181, 0.8297006865032017)", () => {
    const u = aleaUniforms("hello.", 2);
    expect(u[0]).toBe(0.4783254903741181);
    expect(u[1]).toBe(0.8297006865032017);
  });

  it("draws tf.randomUniform's numbers for a numeric seed", () => {
    const u = aleaUniforms(987654321, 1000);
    const ref = tf.randomUniform([1000], 0, 1, "float32", 987654321).dataSync();
    expect(Array.from(Float32Array.from(u))).toEqual(Array.from(ref));
  });

  for (const backend of ["cpu", "wasm"] as const) {
    it(`equals tf.dropout bit for bit on ${backend} (NaN, -0, several seeds and rates)`, async () => {
      await tf.setBackend(backend);
      const rng = new Rng(3);
      for (const [shape, rate, seed] of [[[5, 6, 7], 0.25, 0], [[2, 16, 16, 8], 0.5, 2 ** 31 + 5], [[40000], 0.1, "seed"], [[3, 3], 0.999, 1]] as [number[], number, number | string][]) {
        const xv = randn(rng, shape.reduce((a, b) => a * b, 1));
        xv[0] = NaN;
        xv[1] = -0;
        const before = tf.memory().numTensors;
        const x = tf.tensor(xv, shape);
        const ours = dropout(x, rate, seed);
        const ref = tf.dropout(x, rate, undefined, seed);
        const a = ours.dataSync(), b = ref.dataSync();
        let diff = 0;
        for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
        expect(diff, `${backend} ${shape} rate ${rate} seed ${seed}`).toBe(0);
        tf.dispose([x, ours, ref]);
        expect(tf.memory().numTensors).toBe(before);
      }
    });

    it(`gradient on ${backend} is dy * mask, as tf.dropout's`, async () => {
      await tf.setBackend(backend);
      const x = tf.tensor(randn(new Rng(4), 60), [3, 4, 5]);
      const w = tf.tensor(randn(new Rng(5), 60), [3, 4, 5]);
      const f = (d: (t: Tensor) => Tensor) => tf.grad((t: Tensor) => tf.sum(tf.mul(d(t), w)))(x);
      const ours = f((t) => dropout(t, 0.4, 9)), ref = f((t) => tf.dropout(t, 0.4, undefined, 9));
      expect(Array.from(ours.dataSync())).toEqual(Array.from(ref.dataSync()));
      tf.dispose([x, w, ours, ref]);
    });
  }

  it("rate 0 returns a copy; rates outside [0, 1) and non-float inputs are refused", async () => {
    await tf.setBackend("cpu");
    const x = tf.tensor([1, 2, 3]);
    const y = dropout(x, 0, 1);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    expect(() => dropout(x, 1, 1)).toThrow(/rate must be a number in \[0, 1\)/);
    expect(() => dropout(x, -0.1, 1)).toThrow(/rate/);
    expect(() => dropout(tf.tensor([1, 2], [2], "int32"), 0.5, 1)).toThrow(/float32/);
    tf.dispose([x, y]);
  });
});
