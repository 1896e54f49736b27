/**
 * Spearman's rank correlation coefficient (rho) of two paired samples.
 */
import { ShapeError } from "../util/errors.ts";

/** 1-based ranks of `v`, ties given the mean of the ranks they span (scipy's `rankdata`, method "average"). */
export function averageRanks(v: readonly number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  for (let k = 0; k < idx.length; ) {
    let e = k;
    while (e + 1 < idx.length && idx[e + 1]![0] === idx[k]![0]) e++;
    const rank = (k + e) / 2 + 1;
    for (let j = k; j <= e; j++) r[idx[j]![1]] = rank;
    k = e + 1;
  }
  return r;
}

/**
 * Spearman's rho of `a` and `b`: the Pearson correlation of their average ranks (as
 * `scipy.stats.spearmanr`). Without ties this equals 1 - 6 sum d^2 / (n (n^2 - 1)), which is the
 * form computed then.
 * @param a values, length n >= 2
 * @param b values paired with `a`, length n
 * @returns rho in [-1, 1]; NaN when either sample is constant
 * @throws ShapeError when the lengths differ or n < 2
 */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  if (b.length !== n || n < 2) throw new ShapeError(`spearman: got samples of lengths ${n} and ${b.length}, expected two paired samples of equal length >= 2`);
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const ties = (r: number[]) => new Set(r).size < r.length;
  if (!ties(ra) && !ties(rb)) {
    const d2 = ra.reduce((s, x, i) => s + (x - rb[i]!) ** 2, 0);
    return 1 - (6 * d2) / (n * (n * n - 1));
  }
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - mean) * (rb[i]! - mean);
    saa += (ra[i]! - mean) ** 2;
    sbb += (rb[i]! - mean) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
