/**
 * Hausdorff distance, HD95 and average symmetric surface distance from the two directed
 * surface-distance sets (see surface-distance.ts).
 *
 * Definitions (d_PT = pred→target distances, d_TP = target→pred distances, mm):
 *
 * | metric | `medpy` (default; used by every table of this project) | `monai` variant |
 * | --- | --- | --- |
 * | HD | max(max d_PT, max d_TP) | same |
 * | HD95 (`percentileMode`) | `'pooled'`: percentile(concat(d_PT, d_TP), 95) (`medpy.metric.binary.hd95`) | `'perDirection'`: max(percentile(d_PT, 95), percentile(d_TP, 95)) (`monai.metrics.compute_hausdorff_distance(percentile=95)`) |
 * | ASSD (`assdMode`) | `'meanOfDirected'`: (mean d_PT + mean d_TP) / 2 (`medpy.metric.binary.assd`) | `'pooled'`: mean(concat(d_PT, d_TP)) (`monai.metrics.compute_average_surface_distance(symmetric=True)`) |
 *
 * Percentiles use linear interpolation between order statistics, numpy's default
 * (`np.percentile(..., method='linear')`), including numpy's two-sided lerp formula.
 *
 * Empty masks (our convention, never an exception): both masks empty → NaN for every distance
 * (undefined; nnU-Net/MONAI give NaN); exactly one empty → +Infinity (MONAI's convention: no
 * surface to reach). medpy raises a RuntimeError in both cases.
 */
import { oneOf, OptionError } from "../util/errors.ts";
import type { SurfaceDistances } from "./surface-distance.ts";

export type PercentileMode = "pooled" | "perDirection";
export type AssdMode = "meanOfDirected" | "pooled";
export const PERCENTILE_MODES: readonly PercentileMode[] = ["pooled", "perDirection"];
export const ASSD_MODES: readonly AssdMode[] = ["meanOfDirected", "pooled"];
/** Defaults: medpy's definitions, percentile 95. */
export const DEFAULT_SURFACE_METRIC_OPTIONS = {
  percentile: 95,
  percentileMode: "pooled" as PercentileMode,
  assdMode: "meanOfDirected" as AssdMode,
};

/** Options of {@link surfaceMetrics}. */
export interface SurfaceMetricOptions {
  /** Percentile for "HD95" in [0, 100] (default 95). */
  percentile?: number;
  /** `'pooled'` (medpy, default) or `'perDirection'` (MONAI). */
  percentileMode?: PercentileMode;
  /** `'meanOfDirected'` (medpy, default) or `'pooled'` (MONAI symmetric ASD). */
  assdMode?: AssdMode;
}

/** Surface-distance metrics in mm. NaN = undefined (both empty); Infinity = one mask empty. */
export interface SurfaceMetrics {
  /** Hausdorff distance (maximum symmetric surface distance). */
  hd: number;
  /** Percentile Hausdorff distance (95 by default). */
  hd95: number;
  /** Average symmetric surface distance. */
  assd: number;
}

/**
 * Percentile with linear interpolation, numpy's default method, of values already sorted ascending.
 * @param sorted - ascending, length >= 1.
 * @param p - percentile in [0, 100].
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const q = p / 100;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const t = h - lo;
  const diff = b - a;
  // numpy's _lerp: a + diff*t, or b - diff*(1-t) when t >= 0.5 (more accurate near b).
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Percentile (linear interpolation, as `np.percentile`) of an unsorted array; NaN when empty.
 * @param values - any numbers (not modified).
 * @param p - percentile in [0, 100].
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  return percentileSorted(s, p);
}

function maxOf(a: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

function sumOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/**
 * Fills in defaults and validates the options.
 * @throws OptionError for an unknown mode or a percentile outside [0, 100].
 */
export function resolveSurfaceMetricOptions(options: SurfaceMetricOptions): Required<SurfaceMetricOptions> {
  const p = options.percentile ?? DEFAULT_SURFACE_METRIC_OPTIONS.percentile;
  if (typeof p !== "number" || !(p >= 0 && p <= 100)) throw new OptionError("percentile", p, "a number in [0, 100]");
  return {
    percentile: p,
    percentileMode: oneOf("percentileMode", options.percentileMode ?? DEFAULT_SURFACE_METRIC_OPTIONS.percentileMode, PERCENTILE_MODES),
    assdMode: oneOf("assdMode", options.assdMode ?? DEFAULT_SURFACE_METRIC_OPTIONS.assdMode, ASSD_MODES),
  };
}

/**
 * HD, HD95 and ASSD from the directed distance sets.
 *
 * @param d - `{ predToTarget, targetToPred }` in mm (from {@link surfaceDistances}).
 * @param options - percentile (95), percentileMode ('pooled'), assdMode ('meanOfDirected').
 * @returns `{ hd, hd95, assd }`; all NaN when both sets are empty, all +Infinity when exactly one
 *   mask is empty (one set empty, or any infinite distance).
 * @throws OptionError for an unknown mode or a percentile outside [0, 100].
 */
export function surfaceMetrics(d: SurfaceDistances, options: SurfaceMetricOptions = {}): SurfaceMetrics {
  const { percentile: p, percentileMode: pm, assdMode: am } = resolveSurfaceMetricOptions(options);
  const a = d.predToTarget;
  const b = d.targetToPred;
  if (a.length === 0 && b.length === 0) return { hd: NaN, hd95: NaN, assd: NaN };
  if (a.length === 0 || b.length === 0) return { hd: Infinity, hd95: Infinity, assd: Infinity };
  const hd = Math.max(maxOf(a), maxOf(b));
  if (hd === Infinity) return { hd: Infinity, hd95: Infinity, assd: Infinity };
  let hd95: number;
  if (pm === "pooled") {
    const all = new Float64Array(a.length + b.length);
    all.set(a);
    all.set(b, a.length);
    hd95 = percentileSorted(all.sort(), p);
  } else {
    hd95 = Math.max(percentileSorted(Float64Array.from(a).sort(), p), percentileSorted(Float64Array.from(b).sort(), p));
  }
  const sa = sumOf(a);
  const sb = sumOf(b);
  const assd = am === "meanOfDirected" ? (sa / a.length + sb / b.length) / 2 : (sa + sb) / (a.length + b.length);
  return { hd, hd95, assd };
}
