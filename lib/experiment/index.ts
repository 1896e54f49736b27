// Public API of lib/experiment (barrel): configs, profiles, the runner and its cache, tidy results,
// summaries, figures, the paper artefacts (one per table/figure), notebook drivers and headless
// notebook execution.
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
export { summarizeTidy, withCaseMeans, pValues, sideBySide, sideBySideRows, formatMeanStd, type SummaryRow, type PValueRow, type SideBySideOptions } from "./summary.ts";
export { renderVegaLite, alphaBoxplotSpec, kdCurveSpec, confusionSpec, settingBarsSpec, qualitativeSvg, greyPng } from "./figures.ts";
export { paperTable, type PaperTable, type PaperRow } from "./paper.ts";
export { run as runNotebook, setupNotebook, type NotebookParams, type NotebookRun, type NotebookTable, type NotebookFigure } from "./notebook.ts";
export {
  NOTEBOOKS, ARTEFACTS, artefact, isNotebookName, compareSettings, PAPER_STRUCTURES, CLASS_STRUCTURES, CLASS_COLORS,
  type NotebookName, type Artefact, type ArtefactInput, type ArtefactOutput, type ArtefactRuns, type ArtefactTable, type ArtefactFigure,
} from "./artefacts/index.ts";
export { runOverrides, type RunOverrides } from "./overrides.ts";
export { writeNotebookResults, resultsDir, SUMMARY_COLUMNS, type NotebookResults } from "./results.ts";
export { executeNotebook, checkExecuted, type ExecuteOptions, type ExecuteResult } from "./execute.ts";
export { notebookJson, writeNotebooks, DONE_SENTINEL } from "./notebooks-src.ts";
