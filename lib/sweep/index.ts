// Public API of lib/sweep (barrel): a notebook's grid of runs as local parallel jobs or a Slurm job array.
export {
  buildManifest, writeManifest, readManifest, notebookConfigFiles, pendingEntries, sweepsRoot, manifestPath, taskLogPath, useSweepDirs,
  type SweepManifest, type SweepEntry, type SweepSelection,
} from "./manifest.ts";
export { runSweepTask, checkpointStep, SweepTaskError, type SweepTaskResult } from "./task.ts";
export { runLocalSweep, localParallelism, type LocalSweepOptions, type LocalSweepResult } from "./local.ts";
export {
  sbatchScript, writeSbatchScript, submitSlurm, arraySpec, parseTaskLines, slurmTaskStates, readSubmissions,
  type SlurmOptions, type SlurmSubmission, type SlurmTaskState,
} from "./slurm.ts";
export { sweepStatus, formatStatus, type SweepStatus, type PlanStatus, type PlanState } from "./status.ts";
export { collectSweep, type CollectResult } from "./collect.ts";
export { claimPlan, isDeadRemoteTask, currentClaim, type Claim } from "./claims.ts";
