/**
 * Reductions of per-case, per-class metrics to the "mean (std)" cells of a table: undefined values
 * (NaN: class absent from both masks) are skipped, ±Infinity (one mask empty) is skipped by default
 * and counted, and every summary says how many values it used.
 */
import { meanStd, type MeanStd, type MeanStdOptions } from "../stats/summary.ts";
import type { ClassMetrics } from "./evaluate.ts";

export type MetricName = "dice" | "hd" | "hd95" | "assd";
export const METRIC_NAMES: readonly MetricName[] = ["dice", "hd", "hd95", "assd"];

/** One summary row: a label, a metric, and its {@link MeanStd} over cases. */
export interface MetricSummary extends MeanStd {
  label: number;
  metric: MetricName;
}

/**
 * Mean ± sample std of a list of values, skipping NaN (and ±Infinity unless `infinity:
 * 'propagate'`), with counts. Same as {@link meanStd}; named for use on metric values.
 */
export function summarize(values: ArrayLike<number>, options: MeanStdOptions = {}): MeanStd {
  return meanStd(values, options);
}

/**
 * Summaries per label and metric over cases.
 * @param perCase - [cases][classes] results of evaluateSegmentation (labels may differ per case).
 * @returns rows ordered by label (ascending), then metric (dice, hd, hd95, assd).
 */
export function summarizeClasses(perCase: readonly (readonly ClassMetrics[])[], options: MeanStdOptions = {}): MetricSummary[] {
  const byLabel = new Map<number, ClassMetrics[]>();
  for (const rows of perCase) {
    for (const r of rows) {
      const list = byLabel.get(r.label) ?? [];
      list.push(r);
      byLabel.set(r.label, list);
    }
  }
  const out: MetricSummary[] = [];
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const rows = byLabel.get(label)!;
    for (const metric of METRIC_NAMES) {
      out.push({ label, metric, ...meanStd(rows.map((r) => r[metric]), options) });
    }
  }
  return out;
}
