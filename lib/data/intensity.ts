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
  const s = Float64Array.from(data as ArrayLike<number>).sort();
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
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
