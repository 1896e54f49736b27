// Public API of lib/stats (barrel).
export { pairedTTest, twoSampleTTest, type TTestResult, type TwoSampleTTestOptions } from "./ttest.ts";
export { meanStd, nanMean, type MeanStd, type MeanStdOptions, type InfinityPolicy, INFINITY_POLICIES } from "./summary.ts";
export { spearman, averageRanks } from "./spearman.ts";
export { hierarchicalBootstrap, holm, modelPairedTTest, quantileSorted, unitMeanDifferences, type ModelUnit, type ModelTTestResult, type HierarchicalBootstrapOptions, type HierarchicalBootstrapResult } from "./hierarchical.ts";
export { oneWayRandomEffects, type OneWayRandomEffects } from "./variance.ts";
