// Validation Dice (lib/train/validation.ts; feeds Figures 7 and 8) against a hand-worked case:
// Dice per class from counts summed over all of a modality's batches, foreground classes only,
// NaN where a class is absent from both prediction and label, mean over the finite classes.
import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import { validate } from "../../lib/train/validation.ts";
import type { SegmentationNetwork } from "../../lib/models/types.ts";
import type { TrainLossFns } from "../../lib/train/deps.ts";
import type { TrainConfig } from "../../lib/train/config.ts";
import type { Batch } from "../../lib/train/types.ts";

beforeAll(async () => {
  await initEngine({ backend: "cpu" });
});

const K = 3;
/** A batch of 4 voxels ([1, 2, 2] labels) whose input is the one-hot of `pred` (the fake network returns its input as logits). */
const batch = (pred: number[], y: number[]): Batch => ({
  x: Float32Array.from(pred.flatMap((p) => [0, 1, 2].map((k) => (k === p ? 1 : 0)))),
  xShape: [1, 2, 2, K],
  y: Uint8Array.from(y),
  yShape: [1, 2, 2],
});
const identityNet = { options: { numClasses: K }, apply: (x: Tensor) => tf.clone(x) } as unknown as SegmentationNetwork;
const losses: TrainLossFns = {
  segmentationLoss: () => tf.scalar(0.25),
  kdLoss: () => ({ loss: tf.scalar(3), qA: tf.eye(K), qB: tf.zeros([K, K]) }),
  l2Loss: () => tf.scalar(0),
};

describe("validate: Dice of argmax predictions", () => {
  it("hand case: counts summed over batches, NaN classes skipped", async () => {
    // CT batch 1: y [0,1,1,2], pred [0,1,2,2]; batch 2: y [1,1,0,2], pred [1,0,0,0]
    //   class 1: |P∩G| = 1 + 1 = 2, |P| = 1 + 1 = 2, |G| = 2 + 2 = 4 -> Dice 4/6
    //   class 2: |P∩G| = 1 + 0 = 1, |P| = 2 + 0 = 2, |G| = 1 + 1 = 2 -> Dice 2/4
    //   (Jaccard would give 2/4 and 1/3; a mean of per-batch Dice for class 2 would give (2/3 + 0)/2)
    // MRI batch 1: y [2,2,2,2], pred [2,2,0,0]: class 1 absent from both -> NaN; class 2: 2*2/(2+4) = 2/3
    const val = { batches: [[batch([0, 1, 2, 2], [0, 1, 1, 2]), batch([1, 0, 0, 0], [1, 1, 0, 2])], [batch([2, 2, 0, 0], [2, 2, 2, 2])]] as [Batch[], Batch[]] };
    const before = tf.memory().numTensors;
    const r = await validate(identityNet, losses, { temperature: 2, absentClass: "uniform" } as TrainConfig, val, 7);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.step).toBe(7);
    expect(r.diceCtPerClass[0]).toBeCloseTo(4 / 6, 12);
    expect(r.diceCtPerClass[1]).toBeCloseTo(2 / 4, 12);
    expect(r.diceCt).toBeCloseTo((4 / 6 + 2 / 4) / 2, 12);
    expect(r.diceMriPerClass[0]).toBeNaN();
    expect(r.diceMriPerClass[1]).toBeCloseTo(2 / 3, 12);
    expect(r.diceMri).toBeCloseTo(2 / 3, 12);
    // losses averaged over a modality's batches; KD and q over the pairs (one pair: batch index 0)
    expect(r.segCt).toBeCloseTo(0.25, 12);
    expect(r.kd).toBe(3);
    expect(r.qCt).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  it("a class predicted but absent from the label has Dice 0, not NaN", async () => {
    const val = { batches: [[batch([1, 0, 0, 0], [0, 0, 0, 0])], [batch([0, 0, 0, 0], [0, 0, 0, 0])]] as [Batch[], Batch[]] };
    const r = await validate(identityNet, losses, { temperature: 2, absentClass: "uniform" } as TrainConfig, val, 1);
    expect(r.diceCtPerClass).toEqual([0, NaN]);
    expect(r.diceCt).toBe(0);
    expect(r.diceMri).toBeNaN();
  });
});
