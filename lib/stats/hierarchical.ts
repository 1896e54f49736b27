/**
 * Statistics whose unit is the trained model.
 *
 * Every test case of a cross-validation fold is scored by the same trained network, trained with one
 * seed: the cases of one model are not independent replicates of the comparison "setting A vs
 * setting B", the trained models are. The unit here is therefore the **model unit**: one
 * (fold, seed) pair, holding A's and B's model of that fold and seed and the per-case values both
 * were scored on (paired by case).
 *
 * - {@link modelPairedTTest}: Student's paired t-test over the units' mean values of A and B (a
 *   one-sample t-test of the per-unit mean differences), df = units − 1.
 * - {@link hierarchicalBootstrap}: a two-level percentile bootstrap of the mean difference —
 *   resample units with replacement, then cases within each drawn unit with replacement — so the
 *   interval carries both the spread between trained models and the spread between cases.
 * - {@link holm}: Holm's step-down adjustment of a family of p-values (one table's comparisons).
 *
 * Checked against SciPy 1.10 / statsmodels 0.13 and an independent Python implementation of the
 * bootstrap with the same generator (test/fixtures/stats/make_hierarchical.py).
 */
import { Rng } from "../util/rng.ts";
import { OptionError, ShapeError } from "../util/errors.ts";
import { pairedTTest } from "./ttest.ts";

/** One trained-model unit: A's and B's values on the same cases, same order. */
export interface ModelUnit {
  /** Label, e.g. "fold 2 seed 1". */
  id: string;
  /** [n] values of setting A (finite). */
  a: readonly number[];
  /** [n] values of setting B on the same cases (finite). */
  b: readonly number[];
}

function mean(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

function checkUnits(fn: string, units: readonly ModelUnit[]): void {
  if (!Array.isArray(units)) throw new OptionError(`${fn}: units`, typeof units, "an array of model units");
  for (const u of units) {
    if (u.a.length !== u.b.length) throw new ShapeError(`${fn}: unit '${u.id}' has ${u.a.length} values of A and ${u.b.length} of B (paired cases)`);
    if (u.a.length === 0) throw new ShapeError(`${fn}: unit '${u.id}' has no cases`);
    for (let i = 0; i < u.a.length; i++) {
      if (!Number.isFinite(u.a[i]) || !Number.isFinite(u.b[i])) {
        throw new OptionError(`${fn}: unit '${u.id}' case ${i}`, `${u.a[i]} / ${u.b[i]}`, "finite values (drop undefined cases first)");
      }
    }
  }
}

/** Mean of A − B over the cases of each unit, in unit order. */
export function unitMeanDifferences(units: readonly ModelUnit[]): number[] {
  checkUnits("unitMeanDifferences", units);
  return units.map((u) => mean(u.a) - mean(u.b));
}

/** Result of {@link modelPairedTTest}. */
export interface ModelTTestResult {
  /** Mean over units of the per-unit mean difference A − B. */
  meanDiff: number;
  t: number;
  /** units − 1 */
  df: number;
  /** Two-sided p-value; NaN with fewer than 2 units. */
  p: number;
  units: number;
}

/**
 * Paired t-test whose unit is the trained model: the per-unit means of A and B (over that unit's
 * cases), paired by unit. Same as `scipy.stats.ttest_rel(unit_means_a, unit_means_b)`.
 * With fewer than 2 units there is no test: p is NaN.
 */
export function modelPairedTTest(units: readonly ModelUnit[]): ModelTTestResult {
  checkUnits("modelPairedTTest", units);
  const ma = units.map((u) => mean(u.a));
  const mb = units.map((u) => mean(u.b));
  const meanDiff = units.length ? mean(ma) - mean(mb) : NaN;
  if (units.length < 2) return { meanDiff, t: NaN, df: Math.max(units.length - 1, 0), p: NaN, units: units.length };
  const r = pairedTTest(ma, mb);
  return { meanDiff, t: r.t, df: r.df, p: r.p, units: units.length };
}

/** Options of {@link hierarchicalBootstrap}. */
export interface HierarchicalBootstrapOptions {
  /** Replicates (default 10000). */
  replicates?: number;
  /** Generator seed (default 0): the interval is a deterministic function of the data and the seed. */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/** Result of {@link hierarchicalBootstrap}. */
export interface HierarchicalBootstrapResult {
  /** Mean over units of the per-unit mean difference A − B (the point estimate). */
  estimate: number;
  ciLow: number;
  ciHigh: number;
  level: number;
  replicates: number;
  seed: number;
  units: number;
  cases: number;
}

/** Quantile of sorted values, linear interpolation between order statistics (numpy's default, R type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Two-level percentile bootstrap of the mean difference A − B. Each replicate draws `units.length`
 * units with replacement (`rng.int(U)` each), then for every drawn unit its n cases with replacement
 * (`rng.int(n)` each, in order), and takes the mean over the drawn units of their resampled mean
 * difference. The interval is the (1 − level)/2 and (1 + level)/2 quantiles of the replicates
 * ({@link quantileSorted}). With one unit only the cases are resampled: the interval then ignores
 * the spread between trained models, which one model cannot show — report the unit count beside it.
 */
export function hierarchicalBootstrap(units: readonly ModelUnit[], options: HierarchicalBootstrapOptions = {}): HierarchicalBootstrapResult {
  checkUnits("hierarchicalBootstrap", units);
  const replicates = options.replicates ?? 10000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(replicates) || replicates < 1) throw new OptionError("hierarchicalBootstrap: replicates", replicates, "an integer ≥ 1");
  if (!(level > 0 && level < 1)) throw new OptionError("hierarchicalBootstrap: level", level, "a number in (0, 1)");
  const U = units.length;
  const cases = units.reduce((s, u) => s + u.a.length, 0);
  if (U === 0) return { estimate: NaN, ciLow: NaN, ciHigh: NaN, level, replicates, seed, units: 0, cases: 0 };
  const diffs = units.map((u) => u.a.map((v, i) => v - u.b[i]!));
  const estimate = mean(diffs.map(mean));
  const rng = new Rng(seed);
  const reps = new Float64Array(replicates);
  for (let r = 0; r < replicates; r++) {
    let total = 0;
    for (let k = 0; k < U; k++) {
      const d = diffs[rng.int(U)]!;
      const n = d.length;
      let s = 0;
      for (let i = 0; i < n; i++) s += d[rng.int(n)]!;
      total += s / n;
    }
    reps[r] = total / U;
  }
  const sorted = Array.from(reps).sort((x, y) => x - y);
  return {
    estimate,
    ciLow: quantileSorted(sorted, (1 - level) / 2),
    ciHigh: quantileSorted(sorted, (1 + level) / 2),
    level, replicates, seed, units: U, cases,
  };
}

/**
 * Holm's step-down adjusted p-values, in input order: sort the m finite p-values ascending,
 * p̃(i) = max over j ≤ i of min(1, (m − j + 1) p(j)). NaN entries stay NaN and do not count in m.
 * Same as `statsmodels.stats.multitest.multipletests(p, method="holm")[1]`.
 */
export function holm(p: readonly number[]): number[] {
  const idx = p.map((v, i) => [v, i] as const).filter(([v]) => !Number.isNaN(v)).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const m = idx.length;
  const out = p.map(() => NaN);
  let running = 0;
  idx.forEach(([v, i], j) => {
    running = Math.max(running, Math.min(1, (m - j) * v));
    out[i] = running;
  });
  return out;
}
