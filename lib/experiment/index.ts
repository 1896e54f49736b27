// Public API of lib/experiment (barrel): configs, profiles, the runner and its cache, tidy results,
// summaries, figures, notebook drivers and headless notebook execution.
export {
  loadConfig, validateConfig, EXPERIMENT_PROFILES, CONFIG_SPEC,
  type ExperimentConfig, type ProfileSpec, type ExperimentProfile, type ExperimentTask, type DataSourceKind,
} from "./config.ts";
export { resolveProfile, resolveProfileName } from "./profiles.ts";
export {
  runExperiment, executeRun, specOf, trainConfigOf,
  type RunSpec, type RunRecord, type RunOptions, type ExperimentResult, type ExperimentOverrides, type SampleSlice, type ValRecord,
} from "./runner.ts";
export { loadTaskData, structuresOf, type TaskData } from "./data.ts";
export { CaseBatchSource, validationSet, type SampleMode } from "./sources.ts";
export { cacheGet, cachePut, cacheClear, cacheDir, storeDir, findRun } from "./cache.ts";
export {
  resolvePlan, expandPlans, planHash, planLabel, profileFolds, stableStringify, CODE_VERSION, PLAN_SCHEMA,
  type RunPlan, type DataPlan, type TrainPlan, type EvaluatePlan, type SplitPlan, type HashedPlan, type PlanOverrides, type GridOverrides,
} from "./plan.ts";
export { TIDY_COLUMNS, writeTidy, readTidy, tidyToCsv, type TidyRow, type TidyColumn } from "./tidy.ts";
export { summarizeTidy, withCaseMeans, pValues, sideBySide, formatMeanStd, type SummaryRow, type PValueRow } from "./summary.ts";
export { renderVegaLite, alphaBoxplotSpec, kdCurveSpec, confusionSpec, settingBarsSpec, qualitativeSvg, greyPng } from "./figures.ts";
export { paperTable, type PaperTable, type PaperRow } from "./paper.ts";
export { NOTEBOOKS, run as runNotebook, compareSettings, setupNotebook, type NotebookName, type NotebookParams, type NotebookRun } from "./notebook.ts";
export { writeNotebookResults, resultsDir, SUMMARY_COLUMNS } from "./results.ts";
export { executeNotebook, checkExecuted, type ExecuteOptions, type ExecuteResult } from "./execute.ts";
export { notebookJson, writeNotebooks, DONE_SENTINEL } from "./notebooks-src.ts";
