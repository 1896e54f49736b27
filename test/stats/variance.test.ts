import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { oneWayRandomEffects } from "../../lib/stats/variance.ts";
import { ShapeError } from "../../lib/util/errors.ts";

// Made once by test/fixtures/stats/make_variance.py (scipy.stats.f_oneway, numpy, statsmodels MixedLM REML).
const FIX = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/stats/variance.json"), "utf8")) as {
  cases: {
    name: string; groups: number[][]; f: number; p: number;
    anova: { k: number; n: number; n0: number; msBetween: number; msWithin: number; sigma2Within: number; sigma2Between: number };
    reml?: { sigma2Within: number; sigma2Between: number };
  }[];
};

describe("one-way random effects (fold against seed) against SciPy / numpy / statsmodels", () => {
  for (const c of FIX.cases) {
    it(`F-test and ANOVA estimates: ${c.name}`, () => {
      const r = oneWayRandomEffects(c.groups);
      expect(r.groups).toBe(c.anova.k);
      expect(r.n).toBe(c.anova.n);
      expect(r.n0).toBeCloseTo(c.anova.n0, 12);
      expect(r.msBetween).toBeCloseTo(c.anova.msBetween, 10);
      expect(r.msWithin).toBeCloseTo(c.anova.msWithin, 10);
      expect(r.f).toBeCloseTo(c.f, 9);
      expect(r.p).toBeCloseTo(c.p, 12);
      expect(r.sigma2Within).toBeCloseTo(c.anova.sigma2Within, 10);
      expect(r.sigma2Between).toBeCloseTo(c.anova.sigma2Between, 10);
    });
    if (c.reml) {
      it(`balanced groups: the estimates equal statsmodels' REML (to its optimiser's tolerance): ${c.name}`, () => {
        const r = oneWayRandomEffects(c.groups);
        expect(Math.abs(r.sigma2Within / c.reml!.sigma2Within - 1)).toBeLessThan(1e-3);
        expect(Math.abs(r.sigma2Between / c.reml!.sigma2Between - 1)).toBeLessThan(1e-3);
      });
    }
  }
});

describe("one-way random effects: hand cases", () => {
  it("two groups of three", () => {
    // means 2 and 5, grand mean 3.5: SSB = 3 (1.5² + 1.5²) = 13.5 on 1 df; SSW = 2 + 2 = 4 on 4 df
    const r = oneWayRandomEffects([[1, 2, 3], [4, 5, 6]]);
    expect(r.msBetween).toBeCloseTo(13.5, 12);
    expect(r.msWithin).toBeCloseTo(1, 12);
    expect(r.f).toBeCloseTo(13.5, 12);
    expect(r.n0).toBe(3);
    expect(r.sigma2Between).toBeCloseTo(12.5 / 3, 12);
    expect(r.icc).toBeCloseTo(12.5 / 3 / (12.5 / 3 + 1), 12);
    // F(1, 4) = t(4)², so p is the two-sided p of t = √13.5 on 4 df; Student's CDF for 4 df in closed
    // form: F(t) = 1/2 + (3/8) u (1 − t² / (12 (1 + t²/4))), u = t / √(1 + t²/4)
    const t = Math.sqrt(13.5);
    const u = t / Math.sqrt(1 + (t * t) / 4);
    expect(r.p).toBeCloseTo(2 * (0.5 - (3 / 8) * u * (1 - (t * t) / (12 * (1 + (t * t) / 4)))), 12);
  });
  it("groups closer than their replicates: σ²_between is truncated at 0, not negative", () => {
    const r = oneWayRandomEffects([[0, 10], [1, 9], [2, 8]]);
    expect(r.msBetween).toBe(0);
    expect(r.sigma2Between).toBe(0);
    expect(r.icc).toBe(0);
    expect(r.p).toBeCloseTo(1, 12);
  });
  it("replicates that agree inside groups that do not: F is infinite, p 0; all equal: NaN", () => {
    const r = oneWayRandomEffects([[1, 1], [3, 3]]);
    expect(r.f).toBe(Infinity);
    expect(r.p).toBe(0);
    expect(r.sigma2Within).toBe(0);
    expect(r.icc).toBe(1);
    const e = oneWayRandomEffects([[2, 2], [2, 2]]);
    expect(e.f).toBeNaN();
    expect(e.p).toBeNaN();
    expect(e.icc).toBeNaN();
  });
  it("refuses what it cannot estimate", () => {
    expect(() => oneWayRandomEffects([[1, 2, 3]])).toThrow(ShapeError);
    expect(() => oneWayRandomEffects([[1], [2]])).toThrow(/needs a group with 2 values/);
    expect(() => oneWayRandomEffects([[1, 2], []])).toThrow(/group 1 is empty/);
    expect(() => oneWayRandomEffects([[1, NaN], [2, 3]])).toThrow(/not finite/);
  });
});
