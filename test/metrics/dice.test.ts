/**
 * computeDice and DiceAccumulator on hand cases: per-case and pooled aggregation differ when the
 * cases differ in size; NaN (class absent from both) is left out of every mean.
 */
import { describe, expect, it } from "vitest";
import { computeDice, DiceAccumulator } from "../../lib/metrics/index.ts";
import { OptionError } from "../../lib/util/errors.ts";

describe("computeDice", () => {
  it("is 2|P∩T| / (|P| + |T|), NaN when both are empty", () => {
    expect(computeDice(3, 4, 6)).toBe(0.6);
    expect(computeDice(0, 0, 5)).toBe(0);
    expect(computeDice(5, 5, 5)).toBe(1);
    expect(computeDice(0, 0, 0)).toBeNaN();
  });
});

describe("DiceAccumulator", () => {
  // K = 3 (background + 2 classes). Case A: class 1 2|1|/(1+3) = 0.5, class 2 absent (NaN).
  // Case B: class 1 2*8/(8+8) = 1, class 2 2*1/(2+2) = 0.5.
  const caseA = { intersection: [90, 1, 0], predVoxels: [95, 1, 0], targetVoxels: [93, 3, 0] };
  const caseB = { intersection: [50, 8, 1], predVoxels: [51, 8, 2], targetVoxels: [52, 8, 2] };

  it("pooled: sums the counts first (class 1: 2*9/(9+11) = 0.9; class 2: 0.5; mean 0.7)", () => {
    const acc = new DiceAccumulator("pooled", { numClasses: 3 });
    acc.add(caseA);
    acc.add(caseB);
    const r = acc.aggregate();
    expect(r.aggregation).toBe("pooled");
    expect(r.cases).toBe(2);
    expect(r.perClass[0]).toBeCloseTo(0.9, 15);
    expect(r.perClass[1]).toBeCloseTo(0.5, 15);
    expect(r.mean).toBeCloseTo(0.7, 15);
  });

  it("perCase: Dice per case, then the NaN-aware mean (class 1: (0.5 + 1)/2; class 2: 0.5 (A undefined); mean of case means (0.5 + 0.75)/2)", () => {
    const acc = new DiceAccumulator("perCase", { numClasses: 3 });
    acc.add(caseA);
    acc.add(caseB);
    const r = acc.aggregate();
    expect(r.aggregation).toBe("perCase");
    expect(r.perClass).toEqual([0.75, 0.5]);
    expect(r.mean).toBe(0.625);
  });

  it("includeBackground adds class 0; an empty accumulator gives NaN", () => {
    const acc = new DiceAccumulator("pooled", { numClasses: 3, includeBackground: true });
    expect(acc.aggregate().mean).toBeNaN();
    acc.add(caseB);
    // background: 2*50/(51+52)
    expect(acc.aggregate().perClass).toEqual([100 / 103, 1, 0.5]);
  });

  it("rejects bad options and counts of the wrong length", () => {
    expect(() => new DiceAccumulator("mean" as never, { numClasses: 3 })).toThrow(OptionError);
    expect(() => new DiceAccumulator("pooled", { numClasses: 0 })).toThrow(OptionError);
    const acc = new DiceAccumulator("perCase", { numClasses: 3 });
    expect(() => acc.add({ intersection: [1, 2], predVoxels: [1, 2], targetVoxels: [1, 2] })).toThrow(OptionError);
  });
});
