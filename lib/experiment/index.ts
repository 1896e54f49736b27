// Public API of lib/experiment (barrel): the runner, the run store and cache, the run record, tidy
// rows and their summaries. (Configs, profiles and plans are lib/plan; the notebooks, artefacts and
// figures lib/notebooks; the batch source lib/train.)
export {
  runExperiment, executeRun, specOf, trainConfigOf,
  type RunSpec, type RunRecord, type RunOptions, type ExperimentResult, type ExperimentOverrides, type SampleSlice, type ValRecord,
} from "./runner.ts";
export { loadTaskData, structuresOf, type TaskData } from "./data.ts";
export { cacheGet, cachePut, cacheClear, cacheDir, storeDir, findRun } from "./cache.ts";
export { TIDY_COLUMNS, writeTidy, readTidy, tidyToCsv, type TidyRow, type TidyColumn } from "./tidy.ts";
export { summarizeTidy, withCaseMeans, pValues, sideBySide, sideBySideRows, formatMeanStd, type SummaryRow, type PValueRow, type SideBySideOptions } from "./summary.ts";
