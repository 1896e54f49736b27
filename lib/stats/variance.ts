/**
 * Seed noise against fold noise: the one-way random-effects model y_ij = μ + a_i + e_ij, with
 * a_i ~ N(0, σ²_between) the group's effect (a fold: its training and test cases) and
 * e_ij ~ N(0, σ²_within) the noise of a replicate inside it (a training seed).
 *
 * Estimated by the analysis of variance (Searle, Casella & McCulloch, *Variance Components*, §3.5 and
 * §3.6): σ²_within = MS_within; σ²_between = (MS_between − MS_within) / n0, truncated at 0, with
 * n0 = (N − Σ nᵢ² / N) / (k − 1) (the group size when groups are balanced). With balanced groups
 * and MS_between ≥ MS_within this equals the REML estimate (statsmodels MixedLM, reml=True). The test
 * of "no group effect" (σ²_between = 0) is the F-test MS_between / MS_within on (k − 1, N − k)
 * degrees of freedom, exact under normality for unbalanced groups as well (scipy.stats.f_oneway).
 * Checked against SciPy and statsmodels in test/fixtures/stats/make_variance.py.
 */
import fCdf from "@stdlib/stats-base-dists-f-cdf";
import { ShapeError } from "../util/errors.ts";

/** The ANOVA estimates and F-test of a one-way random-effects model. */
export interface OneWayRandomEffects {
  /** Number of groups (k). */
  groups: number;
  /** Number of values (N). */
  n: number;
  /** The effective group size n0 (the group size when balanced). */
  n0: number;
  dfBetween: number;
  dfWithin: number;
  msBetween: number;
  msWithin: number;
  /** MS_between / MS_within (Infinity when the replicates of every group agree and the groups do not). */
  f: number;
  /** P(F(k − 1, N − k) ≥ f): the test of "no group effect"; NaN when every value is the same. */
  p: number;
  /** σ²_within = MS_within: the variance of a replicate about its group's mean. */
  sigma2Within: number;
  /** σ²_between, the ANOVA estimate truncated at 0: the variance of the group effects. */
  sigma2Between: number;
  /** σ²_between / (σ²_between + σ²_within), the share of the variance between groups (NaN when both are 0). */
  icc: number;
}

/**
 * One-way random-effects ANOVA of replicates grouped by a random factor.
 * @param groups the values of each group; at least 2 groups, every value finite, and at least one
 *   group with 2 values or more (N − k ≥ 1)
 * @throws ShapeError when the groups do not allow the estimate
 */
export function oneWayRandomEffects(groups: readonly (readonly number[])[]): OneWayRandomEffects {
  const k = groups.length;
  if (k < 2) throw new ShapeError(`oneWayRandomEffects: needs at least 2 groups, got ${k}`);
  groups.forEach((g, i) => {
    if (!g.length) throw new ShapeError(`oneWayRandomEffects: group ${i} is empty`);
    if (!g.every(Number.isFinite)) throw new ShapeError(`oneWayRandomEffects: group ${i} has a value that is not finite`);
  });
  const n = groups.reduce((s, g) => s + g.length, 0);
  if (n - k < 1) throw new ShapeError(`oneWayRandomEffects: needs a group with 2 values or more (${n} values in ${k} groups)`);
  const grand = groups.reduce((s, g) => s + g.reduce((a, b) => a + b, 0), 0) / n;
  const means = groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  const ssBetween = groups.reduce((s, g, i) => s + g.length * (means[i]! - grand) ** 2, 0);
  const ssWithin = groups.reduce((s, g, i) => s + g.reduce((a, y) => a + (y - means[i]!) ** 2, 0), 0);
  const dfBetween = k - 1;
  const dfWithin = n - k;
  const msBetween = ssBetween / dfBetween;
  const msWithin = ssWithin / dfWithin;
  const n0 = (n - groups.reduce((s, g) => s + g.length ** 2, 0) / n) / dfBetween;
  const f = msWithin > 0 ? msBetween / msWithin : msBetween > 0 ? Infinity : NaN;
  const p = Number.isNaN(f) ? NaN : f === Infinity ? 0 : 1 - fCdf(f, dfBetween, dfWithin);
  const sigma2Within = msWithin;
  const sigma2Between = Math.max(0, (msBetween - msWithin) / n0);
  const total = sigma2Between + sigma2Within;
  return { groups: k, n, n0, dfBetween, dfWithin, msBetween, msWithin, f, p, sigma2Within, sigma2Between, icc: total > 0 ? sigma2Between / total : NaN };
}
