/**
 * Per-case vs pooled Dice (issue #30): three reductions of the same two cases that give three
 * different numbers, so a reduction done in the wrong order (mean of the class means instead of
 * the mean of the case means) or pooled where per-case is meant (or the reverse) fails.
 * K = 3 (background + 2 classes), worked out by hand:
 *   case A: class 1 2*1/(1+1) = 1,   class 2 2*0/(1+1) = 0    -> case mean 0.5
 *   case B: class 1 absent (NaN),    class 2 2*1/(2+2) = 0.5  -> case mean 0.5
 *   per case (the tables): mean of the case means = 0.5
 *   mean of the per-class means (wrong order): class 1 = 1, class 2 = 0.25 -> 0.625
 *   pooled (validation): class 1 2*1/(1+1) = 1, class 2 2*1/(3+3) = 1/3 -> 2/3
 */
import { describe, expect, it } from "vitest";
import { DiceAccumulator } from "../../lib/metrics/index.ts";

const caseA = { intersection: [5, 1, 0], predVoxels: [6, 1, 1], targetVoxels: [6, 1, 1] };
const caseB = { intersection: [7, 0, 1], predVoxels: [8, 0, 2], targetVoxels: [8, 0, 2] };
const run = (mode: "perCase" | "pooled") => {
  const acc = new DiceAccumulator(mode, { numClasses: 3 });
  acc.add(caseA);
  acc.add(caseB);
  return acc.aggregate();
};

describe("per-case vs pooled Dice on cases where every order of reduction differs", () => {
  it("perCase: the mean over cases of each case's mean over its defined classes (0.5), per class 1 and 0.25", () => {
    const r = run("perCase");
    expect(r.perClass).toEqual([1, 0.25]);
    expect(r.mean).toBe(0.5);
  });
  it("pooled: counts summed over cases first, per class 1 and 1/3, mean 2/3", () => {
    const r = run("pooled");
    expect(r.perClass[0]).toBe(1);
    expect(r.perClass[1]).toBeCloseTo(1 / 3, 15);
    expect(r.mean).toBeCloseTo(2 / 3, 15);
  });
});
