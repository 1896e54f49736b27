/**
 * Student's t-tests with two-sided p-values, as used for the paper's Tables III and IV (p-values of
 * per-volume metric differences between two settings).
 *
 * Thin, validated wrappers over `@stdlib/stats-ttest` (paired: one-sample test of a - b) and
 * `@stdlib/stats-ttest2` (two-sample, pooled or Welch), which match `scipy.stats.ttest_rel` and
 * `scipy.stats.ttest_ind(equal_var=True|False)` to float64 precision (see test/fixtures/stats).
 */
import ttest from "@stdlib/stats-ttest";
import ttest2 from "@stdlib/stats-ttest2";
import { ShapeError, OptionError } from "../util/errors.ts";

/** Result of a two-sided t-test. */
export interface TTestResult {
  /** t statistic (mean of a - b over its standard error; positive when a > b). */
  t: number;
  /** Degrees of freedom (Welch: Welch–Satterthwaite, non-integer). */
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** Which test was run. */
  method: "paired" | "pooled" | "welch";
  /** Paired only: the 95% t-interval of the mean difference (scipy's `ttest_rel(a, b).confidence_interval()`). */
  ci?: [number, number];
}

/** Options of {@link twoSampleTTest}. */
export interface TwoSampleTTestOptions {
  /** true: Student's pooled-variance test; false: Welch's test. Required, no default. */
  equalVariance: boolean;
}

function checkSample(fn: string, name: string, x: ArrayLike<number>): void {
  if (x == null || typeof x.length !== "number") {
    throw new OptionError(`${fn}: ${name}`, typeof x, "an array of numbers");
  }
  if (x.length < 2) throw new ShapeError(`${fn}: ${name} needs at least 2 values, got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new OptionError(`${fn}: ${name}[${i}]`, x[i], "finite numbers (drop NaN/Infinity cases first and say so)");
    }
  }
}

/**
 * Paired Student's t-test of the differences a[i] - b[i] (H0: mean difference 0), two-sided.
 * Same as `scipy.stats.ttest_rel(a, b)` and R `t.test(a, b, paired = TRUE)`.
 *
 * @param a - [n] values of setting A per case (finite).
 * @param b - [n] values of setting B for the same cases, same order.
 * @returns `{ t, df: n - 1, p, method: 'paired' }`. When all differences are equal, t is ±Infinity
 *   or NaN (zero variance) as in scipy.
 * @throws ShapeError when lengths differ or n < 2; OptionError for non-finite values.
 * @example
 * pairedTTest([0.81, 0.84, 0.79], [0.78, 0.80, 0.80]); // { t, df: 2, p, method: 'paired' }
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  checkSample("pairedTTest", "a", a);
  checkSample("pairedTTest", "b", b);
  if (a.length !== b.length) {
    throw new ShapeError(`pairedTTest: a and b must have equal lengths (paired cases), got ${a.length} and ${b.length}`);
  }
  const r = ttest(Array.from(a), Array.from(b), { alternative: "two-sided" });
  return { t: r.statistic, df: r.df, p: r.pValue, method: "paired", ci: [r.ci[0]!, r.ci[1]!] };
}

/**
 * Two-sample t-test of independent samples, two-sided: Student's pooled-variance test
 * (`equalVariance: true`, scipy `ttest_ind(equal_var=True)`) or Welch's (`false`).
 *
 * @param a - [na] values (finite), na >= 2.
 * @param b - [nb] values (finite), nb >= 2.
 * @param options - `{ equalVariance }` (required).
 * @returns `{ t, df, p, method }` with df = na + nb - 2 (pooled) or Welch–Satterthwaite.
 * @throws ShapeError when a sample has fewer than 2 values; OptionError for a missing option or non-finite values.
 */
export function twoSampleTTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: TwoSampleTTestOptions,
): TTestResult {
  checkSample("twoSampleTTest", "a", a);
  checkSample("twoSampleTTest", "b", b);
  if (typeof options?.equalVariance !== "boolean") {
    throw new OptionError("twoSampleTTest: equalVariance", options?.equalVariance, "true (pooled) or false (Welch)");
  }
  const r = ttest2(Array.from(a), Array.from(b), {
    alternative: "two-sided",
    variance: options.equalVariance ? "equal" : "unequal",
  });
  return { t: r.statistic, df: r.df, p: r.pValue, method: options.equalVariance ? "pooled" : "welch" };
}
