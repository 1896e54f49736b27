import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hierarchicalBootstrap, holm, modelPairedTTest, quantileSorted, unitMeanDifferences, type ModelUnit } from "../../lib/stats/hierarchical.ts";

// Made once by test/fixtures/stats/make_hierarchical.py (SciPy, statsmodels, and an independent
// Python implementation of the bootstrap with a port of lib/util/rng.ts).
const FIX = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/stats/hierarchical.json"), "utf8")) as {
  cases: { name: string; units: ModelUnit[]; ttest: { meanDiff: number; t: number | null; df: number; p: number | null }; bootstrap: { estimate: number; ciLow: number; ciHigh: number; replicates: number; seed: number; level: number } }[];
  holm: { p: number[]; adjusted: number[] }[];
};

describe("model-level statistics (unit = trained model) against SciPy / statsmodels / an independent bootstrap", () => {
  for (const c of FIX.cases) {
    it(`paired t-test over unit means: ${c.name}`, () => {
      const r = modelPairedTTest(c.units);
      expect(r.units).toBe(c.units.length);
      expect(r.meanDiff).toBeCloseTo(c.ttest.meanDiff, 10);
      expect(r.df).toBe(c.ttest.df);
      if (c.ttest.p === null) expect(r.p).toBeNaN();
      else {
        expect(r.t).toBeCloseTo(c.ttest.t!, 9);
        expect(r.p).toBeCloseTo(c.ttest.p, 12);
      }
    });
    it(`hierarchical bootstrap CI: ${c.name}`, () => {
      const b = c.bootstrap;
      const r = hierarchicalBootstrap(c.units, { replicates: b.replicates, seed: b.seed, level: b.level });
      expect(r.estimate).toBeCloseTo(b.estimate, 10);
      expect(r.ciLow).toBeCloseTo(b.ciLow, 9);
      expect(r.ciHigh).toBeCloseTo(b.ciHigh, 9);
      expect(r.units).toBe(c.units.length);
    });
  }
  for (const f of FIX.holm) {
    it(`Holm adjustment of [${f.p.join(", ")}]`, () => {
      const got = holm(f.p);
      f.adjusted.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 14));
    });
  }
});

describe("model-level statistics: hand cases", () => {
  it("the per-unit mean difference is the unit's mean of A minus its mean of B", () => {
    expect(unitMeanDifferences([{ id: "u", a: [1, 2, 3], b: [0, 0, 3] }])).toEqual([1]);
  });
  it("the t-test pairs unit means, not cases: 2 units of 3 cases have df = 1", () => {
    const units = [
      { id: "f0", a: [80, 82, 84], b: [70, 71, 72] }, // unit means 82 vs 71: +11
      { id: "f1", a: [60, 61, 62], b: [58, 59, 60] }, // 61 vs 59: +2
    ];
    const r = modelPairedTTest(units);
    expect(r.df).toBe(1);
    expect(r.meanDiff).toBeCloseTo(6.5, 12);
    // differences 11 and 2: mean 6.5, sd = 9/sqrt(2), se = 4.5, t = 6.5/4.5
    expect(r.t).toBeCloseTo(6.5 / 4.5, 12);
    // two-sided p of t with 1 df: 1 - 2 atan(t)/pi
    expect(r.p).toBeCloseTo(1 - (2 * Math.atan(6.5 / 4.5)) / Math.PI, 12);
  });
  it("one trained model gives no test (p NaN), however many cases it has", () => {
    expect(modelPairedTTest([{ id: "only", a: [1, 2, 3, 4, 5], b: [0, 0, 0, 0, 0] }]).p).toBeNaN();
  });
  it("the bootstrap interval collapses to the point when every case of every unit differs by the same amount", () => {
    const units = [0, 1, 2].map((k) => ({ id: `s${k}`, a: [70 + k, 75, 80], b: [67 + k, 72, 77] }));
    const r = hierarchicalBootstrap(units, { replicates: 200, seed: 3 });
    expect(r.estimate).toBeCloseTo(3, 12);
    expect(r.ciLow).toBeCloseTo(3, 12);
    expect(r.ciHigh).toBeCloseTo(3, 12);
  });
  it("the bootstrap resamples units: two units of constant but different differences span between them", () => {
    // unit differences are exactly +1 and +9; cases within a unit are identical, so each replicate
    // is 1, 5 or 9 (both draws the same unit, or one of each) with probabilities 1/4, 1/2, 1/4
    const units = [{ id: "a", a: [2, 2], b: [1, 1] }, { id: "b", a: [10, 10], b: [1, 1] }];
    const r = hierarchicalBootstrap(units, { replicates: 4000, seed: 1 });
    expect(r.estimate).toBe(5);
    expect(r.ciLow).toBe(1);
    expect(r.ciHigh).toBe(9);
  });
  it("the bootstrap is deterministic in its seed and changes with it", () => {
    const units = FIX.cases[0]!.units;
    const a = hierarchicalBootstrap(units, { replicates: 500, seed: 11 });
    expect(hierarchicalBootstrap(units, { replicates: 500, seed: 11 })).toEqual(a);
    expect(hierarchicalBootstrap(units, { replicates: 500, seed: 12 }).ciLow).not.toBe(a.ciLow);
  });
  it("quantiles interpolate linearly between order statistics (numpy's default)", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([0, 10], 0.025)).toBeCloseTo(0.25, 12);
    expect(quantileSorted([5], 0.975)).toBe(5);
  });
  it("Holm by hand: sorted 0.01, 0.02, 0.03 times 3, 2, 1 -> 0.03, 0.04, 0.04 (monotone); NaN stays out", () => {
    expect(holm([0.03, 0.01, NaN, 0.02])).toEqual([expect.closeTo(0.04, 15), expect.closeTo(0.03, 15), NaN, expect.closeTo(0.04, 15)]);
    expect(holm([0.6, 0.9])).toEqual([1, 1]);
  });
  it("refuses unpaired units and non-finite values with the unit named", () => {
    expect(() => modelPairedTTest([{ id: "fold 3 seed 0", a: [1, 2], b: [1] }])).toThrow(/fold 3 seed 0/);
    expect(() => hierarchicalBootstrap([{ id: "u7", a: [1, NaN], b: [1, 2] }])).toThrow(/u7/);
  });
});
