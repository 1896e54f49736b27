// Public API of lib/metrics (barrel). Definitions: medpy's by default; see surface-metrics.ts.
export type { LabelImage, LabelData } from "./grid.ts";
export { distanceTransform } from "./distance-transform.ts";
export { surfaceDistances, type SurfaceDistances, type SurfaceDistanceOptions } from "./surface-distance.ts";
export {
  surfaceMetrics,
  percentile,
  type SurfaceMetrics,
  type SurfaceMetricOptions,
  type PercentileMode,
  type AssdMode,
  PERCENTILE_MODES,
  ASSD_MODES,
  DEFAULT_SURFACE_METRIC_OPTIONS,
} from "./surface-metrics.ts";
export { evaluateSegmentation, type ClassMetrics, type EvaluateOptions } from "./evaluate.ts";
export { computeDice, DiceAccumulator, DICE_AGGREGATIONS, type DiceAggregation, type DiceAggregate, type DiceCounts } from "./dice.ts";
export { summarize, summarizeClasses, type MetricSummary, type MetricName, METRIC_NAMES } from "./reduction.ts";
