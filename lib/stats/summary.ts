/**
 * Mean ± standard deviation summaries over cases, skipping undefined values and saying how many
 * were used — the "mean (std)" cells of the paper's tables.
 */
import { oneOf } from "../util/errors.ts";

/** How to treat ±Infinity (e.g. a surface distance when one mask is empty). */
export type InfinityPolicy = "skip" | "propagate";
export const INFINITY_POLICIES: readonly InfinityPolicy[] = ["skip", "propagate"];

/** Options of {@link meanStd}. */
export interface MeanStdOptions {
  /** `'skip'` (default): ±Infinity is left out like NaN and counted in `nInfinite`; `'propagate'`: kept (mean becomes ±Infinity). */
  infinity?: InfinityPolicy;
}

/** Summary of a sample. */
export interface MeanStd {
  /** Mean of the values used; NaN when none. */
  mean: number;
  /** Sample standard deviation (divisor n - 1) of the values used; NaN when fewer than 2. */
  std: number;
  /** Number of values used. */
  nValid: number;
  /** Number of values given. */
  n: number;
  /** NaN values (always skipped: undefined, e.g. a class absent from both masks). */
  nNaN: number;
  /** ±Infinity values (skipped unless `infinity: 'propagate'`). */
  nInfinite: number;
}

/**
 * Mean and sample standard deviation (n - 1), NaN-aware, with counts.
 *
 * @param values - [n] numbers (NaN = undefined).
 * @param options - `infinity`: 'skip' (default) or 'propagate'.
 * @returns {@link MeanStd}.
 * @example
 * meanStd([1, 2, NaN, 3]); // { mean: 2, std: 1, nValid: 3, n: 4, nNaN: 1, nInfinite: 0 }
 */
export function meanStd(values: ArrayLike<number>, options: MeanStdOptions = {}): MeanStd {
  const policy = oneOf("infinity", options.infinity ?? "skip", INFINITY_POLICIES);
  const used: number[] = [];
  let nNaN = 0;
  let nInfinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nNaN++;
    else if (!Number.isFinite(v)) {
      nInfinite++;
      if (policy === "propagate") used.push(v);
    } else used.push(v);
  }
  const k = used.length;
  let mean = NaN;
  let std = NaN;
  if (k > 0) {
    let s = 0;
    for (const v of used) s += v;
    mean = s / k;
    if (k > 1 && Number.isFinite(mean)) {
      let ss = 0;
      for (const v of used) ss += (v - mean) * (v - mean);
      std = Math.sqrt(ss / (k - 1));
    }
  }
  return { mean, std, nValid: k, n: values.length, nNaN, nInfinite };
}

/**
 * The one NaN-aware mean reduction: the mean of the values that are not NaN (and, by default, not
 * ±Infinity), summed in order — `meanStd(values, options).mean`. MONAI's `do_metric_reduction`
 * ("mean") and nnU-Net's `nanmean` do the same.
 * @param values - [n] numbers (NaN = undefined).
 * @param options - `infinity`: 'skip' (default) or 'propagate'.
 * @returns the mean, NaN when no value is used.
 * @example
 * nanMean([1, NaN, 3]); // 2
 */
export function nanMean(values: ArrayLike<number>, options: MeanStdOptions = {}): number {
  return meanStd(values, options).mean;
}
