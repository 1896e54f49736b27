/**
 * Eq. 5 in one place: `stepLoss` sums its terms with `totalLoss`, and the trainer's logged total
 * is exactly the `stepLoss` of the initial network on the first pair of batches.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import { totalLoss } from "../../lib/losses/index.ts";
import { resolveTrainConfig, type TrainConfig } from "../../lib/train/config.ts";
import { realLosses } from "../../lib/train/deps.ts";
import { stepLoss } from "../../lib/train/step-loss.ts";
import { train } from "../../lib/train/trainer.ts";
import type { TrainProgress } from "../../lib/train/types.ts";
import { batchTensors } from "../../lib/train/validation.ts";
import { FixedSource, TinyNet } from "./fakes.ts";

beforeAll(async () => {
  await initEngine({ backend: "cpu" });
});

function terms(net: TinyNet, src: FixedSource, o: { alpha: number; eta: number }) {
  return tf.tidy(() => {
    const [ct, mri] = [src.next(0), src.next(1)].map((b) => batchTensors(b));
    const r = stepLoss(net, realLosses(), ct!, mri!, { ...o, temperature: 2, absentClass: "uniform" });
    const v = (t: Tensor) => t.dataSync()[0]!;
    const viaTotal = totalLoss({ segA: r.segCt, segB: r.segMri, kd: r.kd, l2: r.l2 }, o);
    return { total: v(r.total), viaTotal: v(viaTotal), segCt: v(r.segCt), segMri: v(r.segMri), kd: v(r.kd), l2: v(r.l2) };
  });
}

describe("stepLoss (eq. 5 of one training step)", () => {
  const net = new TinyNet({ seed: 4, dropout: 0 });
  afterAll(() => net.dispose());

  it("is totalLoss of its terms: ((segCt + segMri) + eta l2) + alpha kd in float32", () => {
    const t = terms(net, new FixedSource(3, 2), { alpha: 0.5, eta: 1e-2 });
    expect(t.total).toBe(t.viaTotal);
    const f = Math.fround;
    expect(t.total).toBe(f(f(f(t.segCt + t.segMri) + f(t.l2 * f(1e-2))) + f(t.kd * 0.5)));
    expect(t.kd).toBeGreaterThan(0);
  });

  it("leaves the KD term out of the total at alpha = 0 (still computed for the log)", () => {
    const t = terms(net, new FixedSource(3, 2), { alpha: 0, eta: 1e-2 });
    const f = Math.fround;
    expect(t.total).toBe(f(f(t.segCt + t.segMri) + f(t.l2 * f(1e-2))));
    expect(t.kd).toBeGreaterThan(0);
  });
});

describe("the trainer uses stepLoss", () => {
  it("logs, at step 1, exactly stepLoss of the initial network on the first batches", async () => {
    const config: TrainConfig = {
      ...resolveTrainConfig({ model: { network: "dilated2d", setting: "ours", numClasses: 4 }, profile: "smoke" }),
      seed: 7, steps: 1, batchSize: 2, lr: 1e-2, alpha: 0.3, eta: 1e-3, validateEvery: 0, checkpointEvery: 0, logEvery: 1,
    };
    const ref = new TinyNet({ seed: 8, dropout: 0 });
    const want = terms(ref, new FixedSource(12, 2), { alpha: 0.3, eta: 1e-3 });
    ref.dispose();
    const net = new TinyNet({ seed: 8, dropout: 0 });
    let got: TrainProgress["losses"] | undefined;
    await train(config, { train: new FixedSource(12, 2) }, { model: net, progress: "none", onProgress: (p) => (got = p.losses) });
    net.dispose();
    expect(got).toEqual({ total: want.total, segCt: want.segCt, segMri: want.segMri, kd: want.kd, l2: want.l2 });
  });
});
