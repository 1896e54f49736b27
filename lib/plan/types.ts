/**
 * The vocabulary of lib/plan: profile names, tasks and data sources (the configs, the parameter
 * rows and the plans all use them).
 */
export type ExperimentProfile = "smoke" | "quick" | "cpu" | "paper";
export const EXPERIMENT_PROFILES: readonly ExperimentProfile[] = ["smoke", "quick", "cpu", "paper"];
export type ExperimentTask = "cardiac" | "abdominal";
export type DataSourceKind = "synthetic" | "real";
