/**
 * measureClassPresence (lib/train/class-presence.ts, issue 26 H2): absent-class fractions of the
 * training batches, against a three-step hand case whose counts are worked out in the comments.
 */
import { describe, expect, it } from "vitest";
import { measureClassPresence } from "../../lib/train/class-presence.ts";
import type { Batch, BatchSource } from "../../lib/train/types.ts";
import type { Modality } from "../../lib/models/types.ts";
import { OptionError } from "../../lib/util/errors.ts";

/** Replays fixed label patches (2 voxels each) per modality. */
class LabelSource implements BatchSource {
  private k: [number, number] = [0, 0];
  constructor(private readonly labels: [number[][], number[][]]) {}
  next(m: Modality, batchSize: number): Batch {
    const v = this.labels[m][0]!.length;
    const y = new Uint8Array(batchSize * v);
    for (let b = 0; b < batchSize; b++) y.set(this.labels[m][this.k[m]++]!, b * v);
    return { x: new Float32Array(batchSize * v), xShape: [batchSize, v, 1], y, yShape: [batchSize, v] };
  }
  state(): unknown {
    return null;
  }
  restore(): void {}
}

// step 1: CT {0,1}   MRI {0,1}  -> class 2 absent from both
// step 2: CT {0}     MRI {1,2}  -> class 0 absent from MRI only; classes 1 and 2 absent from CT only
// step 3: CT {0,2}   MRI {0}    -> class 1 absent from both; class 2 absent from MRI only
const ct = [[0, 1], [0, 0], [0, 2]];
const mri = [[0, 1], [1, 2], [0, 0]];
const third = 1 / 3;

describe("measureClassPresence: hand case, 3 steps of 1 patch, K = 3", () => {
  const r = measureClassPresence(new LabelSource([ct, mri]), { steps: 3, batchSize: 1, numClasses: 3 });
  it.each([
    ["patchAbsent CT", r.patchAbsent[0], [0, 2 * third, 2 * third]],
    ["patchAbsent MRI", r.patchAbsent[1], [third, third, 2 * third]],
    ["batchAbsent CT (= patches at batch 1)", r.batchAbsent[0], [0, 2 * third, 2 * third]],
    ["batchAbsent MRI", r.batchAbsent[1], [third, third, 2 * third]],
    ["absentCtOnly", r.absentCtOnly, [0, third, third]],
    ["absentMriOnly", r.absentMriOnly, [third, 0, third]],
    ["absentBoth", r.absentBoth, [0, third, third]],
    ["oneSided", r.oneSided, [third, third, 2 * third]],
    // CT class 0: voxel fractions 1/2, 1, 1/2 -> 2/3; MRI class 0: 1/2, 1 -> 3/4
    ["voxelFractionWhenPresent CT", r.voxelFractionWhenPresent[0], [2 * third, 0.5, 0.5]],
    ["voxelFractionWhenPresent MRI", r.voxelFractionWhenPresent[1], [0.75, 0.5, 0.5]],
  ])("%s", (_name, got, want) => {
    got.forEach((g, k) => expect(g).toBeCloseTo(want[k]!, 12));
  });
  it("steps with a one-sided foreground class: 2 and 3 (step 1's class 2 is absent from both) -> 2/3", () => {
    expect(r.stepsWithOneSidedForeground).toBeCloseTo(2 * third, 12);
  });
  it("classes present in both batches: 2, 0, 1 -> mean 1", () => {
    expect(r.meanClassesInBoth).toBeCloseTo(1, 12);
  });
});

describe("measureClassPresence: batches of 2 patches", () => {
  it("a class is absent from the batch only if absent from every patch", () => {
    // one step: CT patches {0,1} and {0,0}; MRI {1,1} and {0,2}
    const r = measureClassPresence(new LabelSource([[[0, 1], [0, 0]], [[1, 1], [0, 2]]]), { steps: 1, batchSize: 2, numClasses: 3 });
    expect(r.patchAbsent[0]).toEqual([0, 0.5, 1]);
    expect(r.batchAbsent[0]).toEqual([0, 0, 1]);
    expect(r.patchAbsent[1]).toEqual([0.5, 0.5, 0.5]);
    expect(r.batchAbsent[1]).toEqual([0, 0, 0]);
    expect(r.absentCtOnly).toEqual([0, 0, 1]);
    expect(r.voxelFractionWhenPresent[1]).toEqual([0.5, 1, 0.5]);
  });
  it("labels >= numClasses are in no class; a class never present has NaN voxel fraction", () => {
    const r = measureClassPresence(new LabelSource([[[0, 2]], [[1, 1]]]), { steps: 1, batchSize: 1, numClasses: 2 });
    expect(r.patchAbsent).toEqual([[0, 1], [1, 0]]);
    expect(r.voxelFractionWhenPresent[0][0]).toBe(0.5);
    expect(r.voxelFractionWhenPresent[0][1]).toBeNaN();
  });
  it.each([[{ steps: 0 }], [{ batchSize: -1 }], [{ numClasses: 2.5 }]])("rejects %j", (o) => {
    expect(() => measureClassPresence(new LabelSource([ct, mri]), { steps: 1, batchSize: 1, numClasses: 3, ...o })).toThrow(OptionError);
  });
});
