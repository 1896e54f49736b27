import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import { segmentationLoss, toOneHot } from "../../lib/losses/index.ts";
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

describe("segmentationLoss: hand-computed", () => {
  it("uniform prediction, two classes (D_c = 1/1.5, w_c = 0.5, ce = 0.5 ln 2)", () => {
    const logits = tf.zeros([1, 1, 2, 2]);
    const r = segmentationLoss(logits, new Int32Array([0, 1]));
    // per class: sum p g = 0.5, sum p^2 = 0.5, sum g = 1 -> D = 1 / 1.5
    expect(r.dice.dataSync()[0]).toBeCloseTo(-1 / 1.5, 6);
    expect(r.ce.dataSync()[0]).toBeCloseTo(0.5 * Math.LN2, 6);
    expect(r.loss.dataSync()[0]).toBeCloseTo(-1 / 1.5 + 0.5 * Math.LN2, 6);
    tf.dispose([logits, r.loss, r.dice, r.ce]);
  });

  it("ignore pixels: 'mask' drops them from the Dice denominator and the CE mean, 'released' keeps their p^2 and count", () => {
    // pixel 0: class 0, pixel 1: ignore (255); uniform p = 0.5 over 2 classes
    const logits = tf.zeros([1, 1, 2, 2]);
    const m = segmentationLoss(logits, [0, 255]);
    // mask: class 0: inter .5, den .25 + 1 -> D0 = 1/1.25; class 1: inter 0 -> 0. w0 = 0, so ce = 0.
    expect(m.dice.dataSync()[0]).toBeCloseTo(-(1 / 1.25) / 2, 6);
    expect(m.ce.dataSync()[0]).toBeCloseTo(0, 7);
    const r = segmentationLoss(logits, [0, 255], { ignore: "released" });
    expect(r.dice.dataSync()[0]).toBeCloseTo(-(1 / 1.5) / 2, 6);
    tf.dispose([logits, m.loss, m.dice, m.ce, r.loss, r.dice, r.ce]);
  });
});

describe("segmentationLoss vs PyTorch float64 fixture", () => {
  for (const mode of ["mask", "released"] as const) {
    it(`values and gradient (${mode})`, () => {
      const logits = tf.tensor(flat(fx.logitsA), fx.shapeA);
      const labels = tf.tensor(flat(fx.labelsA), fx.shapeA.slice(0, -1), "int32");
      const want = fx.seg[mode];
      const r = segmentationLoss(logits, labels, { ignore: mode });
      close(r.dice.dataSync(), [want.dice], fx.tolerance.value);
      close(r.ce.dataSync(), [want.ce], fx.tolerance.value);
      close(r.loss.dataSync(), [want.loss], fx.tolerance.value);
      const g = tf.grad((l: Tensor) => segmentationLoss(l, labels, { ignore: mode }).loss)(logits);
      close(g.dataSync(), flat(want.gradLogits), fx.tolerance.grad);
      tf.dispose([logits, labels, r.loss, r.dice, r.ce, g]);
    });
  }

  it("the clip floor gives no gradient to a true-class p below 0.005 (CE part)", () => {
    const logits = tf.tensor(flat(fx.logitsA), fx.shapeA);
    const labels = tf.tensor(flat(fx.labelsA), fx.shapeA.slice(0, -1), "int32");
    const g = tf.grad((l: Tensor) => segmentationLoss(l, labels, { diceWeight: 0 }).loss)(logits);
    // pixel (0, 0, 1) has true class 1 with p ~ 2e-6: its CE gradient is exactly zero
    const px = tf.slice(g, [0, 0, 1, 0], [1, 1, 1, fx.K]).dataSync();
    for (const v of px) expect(v).toBe(0);
    tf.dispose([logits, labels, g]);
  });

  it("labels as Uint8Array, Int32 tensor and one-hot tensor give the same loss", () => {
    const logits = tf.tensor(flat(fx.logitsA), fx.shapeA);
    const lab = flat(fx.labelsA);
    const t = tf.tensor(lab, fx.shapeA.slice(0, -1), "int32");
    const oh = toOneHot("test", logits, t);
    const a = segmentationLoss(logits, Uint8Array.from(lab)).loss.dataSync()[0]!;
    const b = segmentationLoss(logits, t).loss.dataSync()[0]!;
    const c = segmentationLoss(logits, oh).loss.dataSync()[0]!;
    expect(b).toBeCloseTo(a, 7);
    expect(c).toBeCloseTo(a, 7);
    tf.dispose([logits, t, oh]);
  });
});

describe("segmentationLoss: errors and leaks", () => {
  it("rejects a target of the wrong size and bad options", () => {
    const logits = tf.zeros([1, 2, 2, 3]);
    expect(() => segmentationLoss(logits, [0, 1, 2])).toThrow(ShapeError);
    expect(() => segmentationLoss(logits, [0, 1, 2, 0], { ignore: "x" as never })).toThrow(OptionError);
    expect(() => segmentationLoss(logits, [0, 1, 2, 0], { clipFloor: 0 })).toThrow(OptionError);
    logits.dispose();
  });

  it("no tensor leaks (value and gradient)", () => {
    const logits = tf.randomNormal([2, 4, 4, 5]);
    const labels = tf.randomUniform([2, 4, 4], 0, 5, "int32");
    const before = tf.memory().numTensors;
    const r = segmentationLoss(logits, labels);
    tf.dispose([r.loss, r.dice, r.ce]);
    const g = tf.grad((l: Tensor) => segmentationLoss(l, labels).loss)(logits);
    g.dispose();
    // tf.grad's inner result tensors are tidied by tf.grad itself except the returned loss object members
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(0);
    tf.dispose([logits, labels]);
  });
});
