/**
 * Per-volume intensity normalisation (PnP-AdaNet, authors' notes section 6): clip the top 2% of the
 * intensity histogram, then z-score over the whole (cropped) volume.
 */
import { OptionError } from "../util/errors.ts";

/**
 * Percentile with numpy's default ("linear") rule: sorted[(n-1) * p / 100], interpolated.
 * @param data values (not modified)
 * @param p percentile in [0, 100]
 */
export function percentile(data: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new OptionError("percentile", p, "a number in [0, 100]");
  if (data.length === 0) return NaN;
  const a = Float64Array.from(data as ArrayLike<number>);
  const pos = ((a.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const vLo = selectKth(a, lo);
  if (lo + 1 >= a.length || pos === lo) return vLo;
  // after selection every element right of `lo` is >= a[lo]; the next order statistic is their minimum
  let vHi = Infinity;
  for (let i = lo + 1; i < a.length; i++) if (a[i]! < vHi) vHi = a[i]!;
  return vLo + (pos - lo) * (vHi - vLo);
}

/**
 * k-th smallest value (0-based) by in-place quickselect (median-of-three Hoare partitioning):
 * O(n) on average, versus O(n log n) for a full sort. Reorders `a`.
 */
export function selectKth(a: Float64Array, k: number): number {
  let l = 0;
  let r = a.length - 1;
  while (r > l) {
    const m = (l + r) >>> 1;
    // median of three to a[m]
    if (a[m]! < a[l]!) swap(a, m, l);
    if (a[r]! < a[l]!) swap(a, r, l);
    if (a[r]! < a[m]!) swap(a, r, m);
    const pivot = a[m]!;
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Clips values above the `upperPct` percentile (default 98: the top 2%), in place.
 * @returns the clip threshold
 */
export function clipTopPercent(data: Float32Array, upperPct = 98): number {
  const t = percentile(data, upperPct);
  for (let i = 0; i < data.length; i++) if (data[i]! > t) data[i] = t;
  return t;
}

/**
 * Z-score in place: (x - mean) / std with the population std (numpy's default ddof = 0). A
 * constant volume is only centred (std reported as 0).
 * @returns the mean and std used
 */
export function zscore(data: Float32Array): { mean: number; std: number } {
  const n = data.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += data[i]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = data[i]! - mean;
    v += d * d;
  }
  const std = Math.sqrt(v / n);
  const inv = std > 0 ? 1 / std : 1;
  for (let i = 0; i < n; i++) data[i] = (data[i]! - mean) * inv;
  return { mean, std };
}
