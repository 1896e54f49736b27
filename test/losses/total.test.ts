import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf } from "../../lib/engine/index.ts";
import { defaultEta, l2Loss, totalLoss } from "../../lib/losses/index.ts";
import { OptionError } from "../../lib/util/errors.ts";

beforeAll(async () => {
  await initEngine();
});

describe("l2Loss and totalLoss (eq. 5)", () => {
  it("l2Loss = sum 0.5 ||w||^2 (tf.nn.l2_loss)", () => {
    const a = tf.tensor([1, 2, 3]);
    const b = tf.tensor([[-1, 0.5]]);
    // 0.5 * (1 + 4 + 9) + 0.5 * (1 + 0.25) = 7 + 0.625
    expect(l2Loss([a, b]).dataSync()[0]).toBeCloseTo(7.625, 6);
    expect(l2Loss([]).dataSync()[0]).toBe(0);
    tf.dispose([a, b]);
  });
  it("total = segA + segB + alpha kd + eta l2 with alpha 0.5, eta 1e-4 by default", () => {
    const s = (v: number) => tf.scalar(v);
    const t = totalLoss({ segA: s(1), segB: s(2), kd: s(0.4), l2: s(1000) });
    expect(t.dataSync()[0]).toBeCloseTo(1 + 2 + 0.2 + 0.1, 6);
    const u = totalLoss({ segA: s(1), segB: s(2), kd: s(0.4) }, { alpha: 0.1, eta: 0 });
    expect(u.dataSync()[0]).toBeCloseTo(3.04, 6);
    expect(defaultEta("dilated2d")).toBe(1e-4);
    expect(defaultEta("unet3d")).toBe(2e-4);
    expect(() => totalLoss({ segA: s(1), segB: s(1) }, { alpha: -1 })).toThrow(OptionError);
  });
});
