import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { meanStd, pairedTTest, twoSampleTTest } from "../../lib/stats/index.ts";
import { OptionError, ShapeError } from "../../lib/util/errors.ts";

interface Res {
  t: number;
  df: number;
  p: number;
}
interface Case {
  a: number[];
  b: number[];
  paired?: Res;
  pooled: Res;
  welch: Res;
  meanA: number;
  stdA: number;
}
const cases = (
  JSON.parse(readFileSync(new URL("../fixtures/stats/ttest.json", import.meta.url), "utf8")) as { cases: Case[] }
).cases;

function close(actual: number, expected: number, rtol: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rtol * Math.max(Math.abs(expected), 1e-300));
}

describe("t-tests vs scipy.stats (test/fixtures/stats/make_fixtures.py)", () => {
  test.each(cases.map((c, i) => [i, c] as const))("case %i", (_i, c) => {
    if (c.paired) {
      const r = pairedTTest(c.a, c.b);
      close(r.t, c.paired.t, 1e-12);
      expect(r.df).toBe(c.paired.df);
      close(r.p, c.paired.p, 1e-10);
      expect(r.method).toBe("paired");
    }
    const pooled = twoSampleTTest(c.a, c.b, { equalVariance: true });
    close(pooled.t, c.pooled.t, 1e-12);
    expect(pooled.df).toBe(c.pooled.df);
    close(pooled.p, c.pooled.p, 1e-10);
    const welch = twoSampleTTest(c.a, c.b, { equalVariance: false });
    close(welch.t, c.welch.t, 1e-12);
    close(welch.df, c.welch.df, 1e-12);
    close(welch.p, c.welch.p, 1e-10);
    expect(welch.method).toBe("welch");
    const s = meanStd(c.a);
    close(s.mean, c.meanA, 1e-14);
    close(s.std, c.stdA, 1e-12);
  });

  test("R t.test values (stdlib-js fixtures): Welch 1..10 vs 7..20; pooled", () => {
    const a = Array.from({ length: 10 }, (_, i) => i + 1);
    const b = Array.from({ length: 14 }, (_, i) => i + 7);
    const w = twoSampleTTest(a, b, { equalVariance: false });
    close(w.t, -5.43492976389406, 1e-12);
    close(w.p, 1.85528183251181e-5, 1e-10);
    const p = twoSampleTTest([2, 1, 0, 4, 3], [1, 2, 3, 5, 0, 0, 2, 1, 2], { equalVariance: true });
    close(p.t, 0.25386380475389686, 1e-12);
    close(p.p, 0.80389829823883785, 1e-10);
  });

  test("errors: length mismatch, n < 2, non-finite, missing option", () => {
    expect(() => pairedTTest([1, 2, 3], [1, 2])).toThrow(/equal lengths.*3 and 2/);
    expect(() => pairedTTest([1], [2])).toThrow(ShapeError);
    expect(() => twoSampleTTest([1, 2], [3], { equalVariance: true })).toThrow(/b needs at least 2/);
    expect(() => twoSampleTTest([1, NaN], [3, 4], { equalVariance: true })).toThrow(OptionError);
    expect(() => twoSampleTTest([1, 2], [3, 4], {} as never)).toThrow(/equalVariance/);
  });
});

describe("meanStd", () => {
  test("hand-computed, NaN skipped and counted", () => {
    expect(meanStd([1, 2, NaN, 3])).toEqual({ mean: 2, std: 1, nValid: 3, n: 4, nNaN: 1, nInfinite: 0 });
  });
  test("Infinity: skipped by default, propagated on request", () => {
    expect(meanStd([2, 4, Infinity])).toEqual({ mean: 3, std: Math.SQRT2, nValid: 2, n: 3, nNaN: 0, nInfinite: 1 });
    const p = meanStd([2, 4, Infinity], { infinity: "propagate" });
    expect(p.mean).toBe(Infinity);
    expect(p.nValid).toBe(3);
  });
  test("fewer than 2 values: std NaN; none: mean NaN; bad option throws", () => {
    expect(meanStd([5]).std).toBeNaN();
    expect(meanStd([NaN]).mean).toBeNaN();
    expect(() => meanStd([1], { infinity: "drop" as never })).toThrow(/infinity/);
  });
});

describe("pairedTTest's 95% interval of the mean difference", () => {
  test("equals scipy's ttest_1samp(...).confidence_interval() (computed once with Debian's scipy 1.10)", () => {
    // /usr/bin/python3 -c "from scipy import stats; print(stats.ttest_1samp([-1.5,-3.5,0.5,-11],0).confidence_interval())"
    const r = pairedTTest([-1.5, -3.5, 0.5, -11], [0, 0, 0, 0]);
    close(r.ci![0], -11.86749810778544, 1e-9);
    close(r.ci![1], 4.11749810778544, 1e-9);
    close(r.p, 0.22052494028145092, 1e-10);
  });
});
