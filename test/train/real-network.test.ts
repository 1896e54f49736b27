/**
 * The trainer with the real networks of lib/models (tiny widths) on whatever backend initEngine
 * is forced (default cpu, the portable reference; UMMKD_BACKEND=native runs the same checks on the
 * oneDNN engine): training steps, resume-after-kill, checkpoint -> reloaded model predicts identically.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type BackendName } from "../../lib/engine/index.ts";
import type { ImageVolume } from "../../lib/data/types.ts";
import { buildModel } from "../../lib/models/index.ts";
import { SETTINGS, usesKD, type SegmentationNetwork } from "../../lib/models/types.ts";
import { loadTrainedModel, releaseState } from "../../lib/train/checkpoint.ts";
import { resolveTrainConfig, type TrainConfig } from "../../lib/train/config.ts";
import { predictVolume2D5, predictVolume3D } from "../../lib/train/predict.ts";
import { train } from "../../lib/train/trainer.ts";
import { CounterSource, FixedSource } from "./fakes.ts";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "ummkd-train-real-"));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  await initEngine({ backend: (process.env.UMMKD_BACKEND as BackendName | undefined) || "cpu" });
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function state(net: SegmentationNetwork): Map<string, number[]> {
  const st = net.getState();
  const out = new Map([...st].map(([k, t]) => [k, Array.from(t.dataSync())]));
  releaseState(st);
  return out;
}

function vol(nx: number, ny: number, nz: number, seed: number): ImageVolume {
  const data = Float32Array.from({ length: nx * ny * nz }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5);
  return { data, shape: [nx, ny, nz], spacing: [1, 1, 2], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] };
}

describe("train with the real dilated 2D network (Ours, width 1/32)", () => {
  const c: TrainConfig = {
    ...resolveTrainConfig({ model: { network: "dilated2d", setting: "ours", numClasses: 4, width: 1 / 32, init: "he" }, profile: "smoke" }),
    seed: 3,
    steps: 4,
    batchSize: 2,
    lr: 1e-3,
    validateEvery: 2,
    checkpointEvery: 2,
    logEvery: 1,
  };
  const val = () => {
    const s = new CounterSource(77);
    return { batches: [[s.next(0, 2)], [s.next(1, 2)]] as [ReturnType<CounterSource["next"]>[], ReturnType<CounterSource["next"]>[]] };
  };

  it("resumes after a kill to the same losses and weights, without leaking tensors", async () => {
    const dirA = tmp();
    const lossesA: number[] = [];
    const counts: number[] = [];
    const a = await train(c, { train: new CounterSource(5), validation: val() }, {
      runDir: dirA,
      progress: "none",
      onProgress: (p) => {
        lossesA.push(p.losses.total);
        counts.push(tf.memory().numTensors);
      },
    });
    expect(lossesA.every(Number.isFinite)).toBe(true);
    expect(new Set(counts.slice(1)).size).toBe(1);
    const wA = state(a.model);

    const dirB = tmp();
    const ac = new AbortController();
    const lossesB: number[] = [];
    const b1 = await train(c, { train: new CounterSource(5), validation: val() }, {
      runDir: dirB,
      progress: "none",
      signal: ac.signal,
      onProgress: (p) => {
        lossesB.push(p.losses.total);
        if (p.step === 3) ac.abort();
      },
    });
    b1.model.dispose();
    const b2 = await train(c, { train: new CounterSource(5), validation: val() }, {
      runDir: dirB,
      progress: "none",
      onProgress: (p) => lossesB.splice(p.step - 1, lossesB.length, p.losses.total),
    });
    expect(b2.resumedFrom).toBe(2);
    for (let i = 0; i < lossesA.length; i++) expect(Math.abs(lossesB[i]! - lossesA[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(lossesA[i]!)));
    const wB = state(b2.model);
    let maxDiff = 0;
    for (const [k, v] of wA) {
      const w = wB.get(k)!;
      for (let i = 0; i < v.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i]! - v[i]!));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    b2.model.dispose();

    // The checkpoint reloads into a fresh network that predicts identically (BN eval, per modality).
    const { model: reloaded } = loadTrainedModel(dirA);
    const img = vol(12, 16, 4, 1);
    for (const m of [0, 1] as const) {
      const p1 = await predictVolume2D5(a.model, img, m, { batchSize: 3 });
      const p2 = await predictVolume2D5(reloaded, img, m, { batchSize: 3 });
      expect(Array.from(p2.data)).toEqual(Array.from(p1.data));
      expect(p1.shape).toEqual([12, 16, 4]);
    }
    reloaded.dispose();
    a.model.dispose();
  });
});

describe("train with the real 3D U-Net (Chilopod, width 1/8)", () => {
  it("trains a few steps on 8-slice blocks and predicts a volume block-wise", async () => {
    const c = resolveTrainConfig({
      model: { network: "unet3d", setting: "chilopod", numClasses: 4, width: 1 / 8, init: "he" },
      profile: "smoke",
      seed: 2,
      steps: 2,
      batchSize: 1,
      validateEvery: 0,
      checkpointEvery: 0,
    });
    expect(c.alpha).toBe(0);
    expect(c.lrDecayEvery).toBe(500);
    const seen: number[] = [];
    const r = await train(c, { train: new CounterSource(9, 16, 4, 8, undefined, true) }, { progress: "none", onProgress: (p) => seen.push(p.losses.total) });
    expect(seen).toHaveLength(2);
    expect(seen.every(Number.isFinite)).toBe(true);
    const img = vol(16, 8, 10, 2);
    const before = tf.memory().numTensors;
    const out = await predictVolume3D(r.model, img, 1);
    expect(tf.memory().numTensors).toBe(before);
    expect(out.shape).toEqual([16, 8, 10]);
    expect(Math.max(...out.data)).toBeLessThan(4);
    r.model.dispose();
  });
});

describe("overfit a fixed batch with the real network", () => {
  it("Ours (KD on): the total loss falls over 25 Adam steps on one fixed batch pair", async () => {
    const c = resolveTrainConfig({
      model: { network: "dilated2d", setting: "ours", numClasses: 4, width: 1 / 32, init: "he", dropout: 0 },
      profile: "smoke",
      seed: 5,
      steps: 25,
      batchSize: 2,
      lr: 3e-3,
      validateEvery: 0,
      checkpointEvery: 0,
    });
    const seen: number[] = [];
    const r = await train(c, { train: new FixedSource(4, 2) }, { progress: "none", onProgress: (p) => seen.push(p.losses.total) });
    r.model.dispose();
    const first = (seen[0]! + seen[1]!) / 2;
    const last = (seen[23]! + seen[24]!) / 2;
    // total = (-meanDice + CE) per modality + alpha KD + eta L2, so it lies in about [-2, 2+]:
    // a fall by more than 1 means both modalities' Dice rose substantially.
    expect(last).toBeLessThan(first - 1);
    expect(seen[24]!).toBeLessThan(seen[12]!);
  });
});

describe("every setting trains through the same loop", () => {
  it.each(SETTINGS)("%s: two steps of the dilated 2D network, finite losses, all variables updated", async (setting) => {
    const c = resolveTrainConfig({
      model: { network: "dilated2d", setting, numClasses: 4, width: 1 / 32, init: "he", dropout: 0 },
      profile: "smoke",
      seed: 1,
      steps: 2,
      batchSize: 1,
      validateEvery: 0,
      checkpointEvery: 0,
    });
    expect(c.alpha).toBe(usesKD(setting) ? 0.5 : 0);
    const model = buildModel({ ...c.model, seed: 1 });
    const before = model.trainableVariables().map((v) => Array.from(v.dataSync()));
    const seen: number[] = [];
    await train(c, { train: new CounterSource(3) }, {
      model,
      progress: "none",
      onProgress: (p) => {
        seen.push(p.losses.total, p.losses.kd);
        // eq. 5 from the logged terms: seg_ct + seg_mri + alpha * kd + eta * l2
        const l = p.losses;
        expect(l.total).toBeCloseTo(l.segCt + l.segMri + c.alpha * l.kd + c.eta * l.l2, 5);
      },
    });
    expect(seen.every(Number.isFinite)).toBe(true);
    // Adam moves every trainable variable that received a gradient: both modalities' parameters.
    const after = model.trainableVariables().map((v) => Array.from(v.dataSync()));
    const changed = after.filter((a, i) => a.some((x, j) => x !== before[i]![j])).length;
    expect(changed).toBe(after.length);
    model.dispose();
  });
});
