/**
 * The run record: what one trained and evaluated plan leaves in the run store or cache
 * (lib/experiment/cache.ts; `results/runs/<hash>.json`), and the grid coordinates of a plan.
 */
import type { NormKind, Setting } from "../models/types.ts";
import type { LogRecord } from "../train/types.ts";
import type { Provenance } from "../util/provenance.ts";
import type { ExperimentConfig, ExperimentProfile } from "../plan/config.ts";
import type { RunPlan } from "../plan/plan.ts";
import type { TidyRow } from "./tidy.ts";

/** A run's coordinates in its experiment's grid (a view of its plan, for tables and figures). */
export interface RunSpec {
  task: ExperimentConfig["task"];
  network: ExperimentConfig["network"];
  setting: Setting;
  norm: NormKind;
  alpha: number;
  seed: number;
  /** Cross-validation fold (0 without CV). */
  fold: number;
  profile: ExperimentProfile;
}

/** The grid coordinates of a plan. */
export function specOf(plan: RunPlan): RunSpec {
  return {
    task: plan.task, network: plan.model.network, setting: plan.model.setting, norm: plan.model.norm, alpha: plan.train.alpha,
    seed: plan.train.seed, fold: plan.data.split.kind === "kfold" ? plan.data.split.fold : 0, profile: plan.profile,
  };
}

/** A validation record as kept in the cache (Figures 7 and 8). */
export type ValRecord = Extract<LogRecord, { type: "val" }>;

/** A 2D slice for the qualitative figures: image (z-scored), label and prediction, x fastest. */
export interface SampleSlice {
  modality: string;
  case: string;
  z: number;
  width: number;
  height: number;
  image: number[];
  label: number[];
  pred: number[];
}

export interface RunRecord {
  /** The plan's hash (lib/plan/plan.ts planHash): the record's file name in the store/cache. */
  key: string;
  /** The complete plan the run was trained and evaluated with. */
  plan: RunPlan;
  spec: RunSpec;
  dataSource: string;
  /** Tidy rows without the notebook column (filled by the caller). */
  rows: Omit<TidyRow, "notebook">[];
  val: ValRecord[];
  samples: SampleSlice[];
  train: {
    steps: number;
    /** Training wall time of the process that finished the run (from step `resumedFrom` when it resumed a checkpoint). */
    wallS: number;
    /** Step of the checkpoint this run resumed from (absent when trained in one go); the provenance is that process's. */
    resumedFrom?: number;
    evalS: number;
    lastLoss: number | null;
    /** Step whose weights were evaluated (plan.train.selection), and its mean pooled validation Dice. */
    selectedStep: number;
    selectedValDice: number | null;
  };
  provenance: Provenance;
  /** Where this copy came from: trained now, the committed store, or the local cache. */
  cached?: boolean;
  from?: "trained" | "store" | "cache";
}
