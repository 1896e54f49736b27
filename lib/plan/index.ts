// Public API of lib/plan (barrel): experiment configs (data/configs/*.json) and their one checker,
// the profiles, the notebook/CLI parameters, and plan resolution and hashing.
export {
  loadConfig, validateConfig, EXPERIMENT_PROFILES, CONFIG_SPEC,
  type ExperimentConfig, type ProfileSpec, type ExperimentProfile, type ExperimentTask, type DataSourceKind,
} from "./config.ts";
export { resolveProfile, resolveProfileName } from "./profiles.ts";
export {
  resolvePlan, expandPlans, planHash, planLabel, profileFolds, stableStringify, CODE_VERSION, PLAN_SCHEMA,
  type RunPlan, type DataPlan, type TrainPlan, type EvaluatePlan, type SplitPlan, type HashedPlan, type PlanOverrides, type GridOverrides,
} from "./plan.ts";
export { checkParams, ParamError, type NotebookParams } from "./params.ts";
export { runOverrides, type RunOverrides } from "./overrides.ts";
