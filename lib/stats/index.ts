// Public API of lib/stats (barrel).
export { pairedTTest, twoSampleTTest, type TTestResult, type TwoSampleTTestOptions } from "./ttest.ts";
export { meanStd, type MeanStd, type MeanStdOptions, type InfinityPolicy, INFINITY_POLICIES } from "./summary.ts";
