import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import { kdLoss } from "../../lib/losses/index.ts";
import { OptionError, ShapeError } from "../../lib/util/errors.ts";

const fx = JSON.parse(readFileSync(new URL("../fixtures/losses/losses.json", import.meta.url), "utf8"));
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);
function close(got: ArrayLike<number>, want: number[], tol: number) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!)));
}

beforeAll(async () => {
  await initEngine();
});

describe("kdLoss: hand-computed", () => {
  // A: one pixel of class 0 with logits [2, 0]; B: one pixel of class 0 with logits [0, 0]; class 1 absent in both.
  // T = 2: qA_0 = softmax([1, 0]), qB_0 = [.5, .5]; sum (qA - qB)(log qA - log qB) = (sigmoid(1) - .5) * 1.
  const half = (1 / (1 + Math.exp(-1)) - 0.5) / 2;
  it("uniform policy: absent-in-both class contributes 0 to a mean over both classes", () => {
    const a = tf.tensor([2, 0], [1, 1, 1, 2]);
    const b = tf.tensor([0, 0], [1, 1, 1, 2]);
    const r = kdLoss(a, [0], b, [0]);
    expect(r.loss.dataSync()[0]).toBeCloseTo(half / 2, 6);
    close(r.qA.dataSync(), [1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(1)), 0.5, 0.5], 1e-6);
    close(r.qB.dataSync(), [0.5, 0.5, 0.5, 0.5], 1e-6);
    const s = kdLoss(a, [0], b, [0], { absentClass: "skip" });
    expect(s.loss.dataSync()[0]).toBeCloseTo(half, 6);
    expect(Array.from(s.used.dataSync())).toEqual([1, 0]);
    tf.dispose([a, b, r.loss, r.qA, r.qB, r.perClass, r.used, s.loss, s.qA, s.qB, s.perClass, s.used]);
  });

  it("identical logits and labels give 0; a class absent in one modality only is pulled to uniform under 'uniform'", () => {
    const a = tf.tensor([3, 0, 0, 3], [1, 1, 2, 2]);
    const same = kdLoss(a, [0, 1], a, [0, 1]);
    expect(same.loss.dataSync()[0]).toBeCloseTo(0, 7);
    // B lacks class 1 -> qB_1 uniform, qA_1 = softmax([0, 1.5]): nonzero term under uniform, skipped under skip
    const un = kdLoss(a, [0, 1], a, [0, 255]);
    const sk = kdLoss(a, [0, 1], a, [0, 255], { absentClass: "skip" });
    const q = 1 / (1 + Math.exp(-1.5));
    const term = ((q - 0.5) * 1.5) / 2;
    expect(un.loss.dataSync()[0]).toBeCloseTo(term / 2, 5);
    expect(sk.loss.dataSync()[0]).toBeCloseTo(0, 7);
    tf.dispose([a, same.loss, same.qA, same.qB, same.perClass, same.used, un.loss, un.qA, un.qB, un.perClass, un.used, sk.loss, sk.qA, sk.qB, sk.perClass, sk.used]);
  });
});

describe("kdLoss vs PyTorch float64 fixture (different batch/spatial sizes, ignore labels, absent classes)", () => {
  for (const key of Object.keys(fx.kd)) {
    it(key, () => {
      const want = fx.kd[key];
      const la = tf.tensor(flat(fx.logitsA), fx.shapeA);
      const lb = tf.tensor(flat(fx.logitsB), fx.shapeB);
      const ya = tf.tensor(flat(fx.labelsA), fx.shapeA.slice(0, -1), "int32");
      const yb = tf.tensor(flat(fx.labelsB), fx.shapeB.slice(0, -1), "int32");
      const opts = { temperature: want.temperature, absentClass: want.policy };
      const r = kdLoss(la, ya, lb, yb, opts);
      close(r.loss.dataSync(), [want.loss], fx.tolerance.value);
      close(r.qA.dataSync(), flat(want.qA), fx.tolerance.value);
      close(r.qB.dataSync(), flat(want.qB), fx.tolerance.value);
      close(r.perClass.dataSync(), flat(want.perClass), fx.tolerance.value);
      close(r.used.dataSync(), flat(want.used), 0);
      const g = tf.grads((a: Tensor, b: Tensor) => kdLoss(a, ya, b, yb, opts).loss)([la, lb]);
      close(g[0]!.dataSync(), flat(want.gradA), fx.tolerance.grad);
      close(g[1]!.dataSync(), flat(want.gradB), fx.tolerance.grad);
      tf.dispose([la, lb, ya, yb, r.loss, r.qA, r.qB, r.perClass, r.used, ...g]);
    });
  }
});

describe("kdLoss: errors and leaks", () => {
  it("rejects mismatched class counts and bad options", () => {
    const a = tf.zeros([1, 1, 1, 3]);
    const b = tf.zeros([1, 1, 1, 4]);
    expect(() => kdLoss(a, [0], b, [0])).toThrow(ShapeError);
    expect(() => kdLoss(a, [0], a, [0], { absentClass: "drop" as never })).toThrow(OptionError);
    expect(() => kdLoss(a, [0], a, [0], { temperature: 0 })).toThrow(OptionError);
    tf.dispose([a, b]);
  });
  it("no tensor leaks", () => {
    const a = tf.randomNormal([2, 4, 4, 5]);
    const y = tf.randomUniform([2, 4, 4], 0, 5, "int32");
    const before = tf.memory().numTensors;
    const r = kdLoss(a, y, a, y);
    tf.dispose([r.loss, r.qA, r.qB, r.perClass, r.used]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, y]);
  });
});
