/**
 * The resolved training plan of one run, as data (nnU-Net's plans.json, per run): everything that
 * determines a run's result — data (source, split and fold, spacing, patch/slice geometry,
 * intensity, sampling, augmentation), model (network, setting, width, norm, init, dropout), train
 * (steps, batch, optimizer, lr schedule, α, T, η, seed, model selection) and evaluation — resolved
 * from one place: the profile table (lib/plan/profiles.ts), the notebook's config
 * (data/configs/*.json) and the run's own coordinates (setting, norm, α, seed, fold).
 *
 * `planHash(plan)` (canonical JSON with sorted keys + CODE_VERSION) is the run's identity: the key
 * of the run store and cache. Any change to any field gives another hash, so a changed recipe is
 * never served a stale run. Execution-only knobs that cannot change the result (checkpoint and
 * log frequency) are not part of the plan.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { resolveModelOptions } from "../models/network.ts";
import { type ModelOptions, type NetworkName, type NormKind, type Setting } from "../models/types.ts";
import { resolveTrainConfig, type TrainConfig } from "../train/config.ts";
import { bundledAbdominalCases, bundledAbdominalSplits, hasBundledAbdominal } from "../data/abdominal-cases.ts";
import { foldSplit, loadOrCreateKFold } from "../data/kfold.ts";
import { findDataRoot } from "../data/root.ts";
import { REPO_ROOT } from "../util/repo-root.ts";
import { splitsPath } from "../data/splits.ts";
import type { ModalityName } from "../data/types.ts";
import { OptionError } from "../util/errors.ts";
import type { ExperimentConfig, ExperimentProfile, ExperimentTask, ProfileSpec } from "./config.ts";
import { resolveProfile } from "./profiles.ts";
import { param } from "./params.ts";

/** α's row: which settings use it (the others run with α = 0). */
const ALPHA = param("alpha");

/**
 * Bump when a change in lib/ changes results for the same plan (the preprocessing, sampler,
 * trainer, inference or metrics code): every stored run is then re-trained.
 */
export const CODE_VERSION = "ummkd-exp-4"; // 4: plans as data (plan hash = run key); class-centred sampling

export const PLAN_SCHEMA = 1;

type PerModality<T> = Record<ModalityName, T>;

/** Where the cases come from and how they are split. */
export type SplitPlan =
  | { kind: "synthetic"; cases: { train: number; val: number; test: number }; cohortSeeds: { train: 1; val: 2; test: 3 } }
  | { kind: "fixed"; file: string; ids: { train: PerModality<string[]>; val: PerModality<string[]>; test: PerModality<string[]> } }
  | {
      kind: "kfold";
      file: string;
      k: number;
      fold: number;
      valPerModality: PerModality<number>;
      ids: { train: PerModality<string[]>; val: PerModality<string[]>; test: PerModality<string[]> };
    };

export interface DataPlan {
  /** "real" or "synthetic" after resolution (a profile asking for real data falls back to synthetic where the root lacks it). */
  source: "real" | "synthetic";
  /** data_source per modality: "synthetic" or "real:<dataset>". */
  datasets: PerModality<string>;
  split: SplitPlan;
  /** Grid spacing in mm [x, y, z] the cases are resampled to (synthetic: generated at). */
  spacing: [number, number, number];
  /** Synthetic: generated grid [x, y, z]. Real: in-plane ROI [x, y] and (unused) z. */
  shape: [number, number, number];
  /** In-plane ROI centre of real cases: "grid" uses no label (test cases cropped as unlabelled scans). */
  roiCentre: "grid" | "foreground";
  intensity: { clipPercent: number; zscore: boolean };
  /** Training samples: 2.5D slices or 3D patches of `depth` slices; `classCentred` see lib/train/batch-source.ts. */
  sampling: { mode: "2d" | "3d"; depth: number; classCentred: number };
  augmentation: "none";
}

/**
 * The trainer's settings (lib/train/config.ts TrainConfig without the model and the execution-only
 * keys), with the KD temperature named `T` as in the paper's eq. 2.
 */
export type TrainPlan = Omit<TrainConfig, "model" | "checkpointEvery" | "logEvery" | "temperature"> & {
  /** KD temperature T of eq. 2 (2 in the paper). */
  T: number;
  optimizer: "adam";
  lrSchedule: "step";
  /** Which weights are evaluated: the last step's, or the step with the best mean pooled validation Dice. */
  selection: "last" | "best-val-dice";
};

export interface EvaluatePlan {
  metrics: ("dice" | "hd" | "hd95" | "assd")[];
  /** Also evaluate the first CT test case with artefacts (Table VI). */
  outlier: boolean;
  /** 3D inference block depth in slices (2D: whole slices). */
  blockDepth: number;
}

/** The complete plan of one training run. */
export interface RunPlan {
  schema: typeof PLAN_SCHEMA;
  task: ExperimentTask;
  profile: ExperimentProfile;
  data: DataPlan;
  model: Omit<Required<ModelOptions>, "seed">;
  train: TrainPlan;
  evaluate: EvaluatePlan;
}

/** Per-run coordinates and overrides (a notebook's parameters cell or CLI flags). */
export interface PlanOverrides {
  setting: Setting;
  norm: NormKind;
  alpha: number;
  seed: number;
  /** Cross-validation fold (profiles with `cv`); default 0. */
  fold?: number;
  /** Override the profile's training steps. */
  steps?: number;
  /** Data root for real data (default: --data / UMMKD_DATA / ../shared/data/real). */
  dataRoot?: string | null;
}

/** JSON with object keys sorted at every level (so equal values hash equally). */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(",")}}`;
}

/** 16-hex-digit identity of a plan (canonical JSON + CODE_VERSION). */
export function planHash(plan: RunPlan): string {
  return createHash("sha256").update(stableStringify({ plan, code: CODE_VERSION })).digest("hex").slice(0, 16);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o as object)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}


const repoPath = (p: string) => relative(REPO_ROOT, p) || p;

function resolveSplit(task: ExperimentTask, spec: ProfileSpec, root: string | null, fold: number): { source: "real" | "synthetic"; datasets: PerModality<string>; split: SplitPlan } {
  const synthetic = (): { source: "synthetic"; datasets: PerModality<string>; split: SplitPlan } => {
    if (fold !== 0) throw new OptionError("fold", fold, "0 (synthetic data has one fixed split)");
    return { source: "synthetic", datasets: { ct: "synthetic", mri: "synthetic" }, split: { kind: "synthetic", cases: { ...spec.cases }, cohortSeeds: { train: 1, val: 2, test: 3 } } };
  };
  if (spec.data !== "real" || task !== "abdominal") {
    if (spec.data === "real" && !spec.fallbackToSynthetic) throw new OptionError("data", "real", `synthetic for task '${task}' (no real ${task} volumes are wired here)`);
    return synthetic();
  }
  if (!root || !hasBundledAbdominal(root)) {
    if (spec.fallbackToSynthetic) return synthetic();
    throw new OptionError("data root", root ?? "(none: set --data or UMMKD_DATA)", "a folder with btcv_sabs_ct/ and chaos_t2_mr/ (see data/datasets/README.md)");
  }
  const datasets = { ct: "real:btcv", mri: "real:chaos" };
  const cap = (ids: PerModality<string[]>, n: number) => (n > 0 ? { ct: ids.ct.slice(0, n), mri: ids.mri.slice(0, n) } : ids);
  if (spec.cv) {
    const file = join(REPO_ROOT, "data", "splits", `abdominal_cv${spec.cv.k}.json`);
    const kf = loadOrCreateKFold(file, "abdominal", bundledAbdominalCases(root), spec.cv.k, 2020);
    const s = foldSplit(kf, fold, spec.cv.valPerModality);
    return { source: "real", datasets, split: { kind: "kfold", file: repoPath(file), k: spec.cv.k, fold, valPerModality: { ...spec.cv.valPerModality }, ids: { train: cap(s.train, spec.cases.train), val: cap(s.val, spec.cases.val), test: cap(s.test, spec.cases.test) } } };
  }
  if (fold !== 0) throw new OptionError("fold", fold, "0 (this profile has no cross-validation)");
  const file = splitsPath("abdominal", REPO_ROOT);
  const sf = bundledAbdominalSplits(root, file);
  const of = (k: "train" | "val" | "test") => cap({ ct: sf.splits.ct![k], mri: sf.splits.mri![k] }, spec.cases[k]);
  return { source: "real", datasets, split: { kind: "fixed", file: repoPath(file), ids: { train: of("train"), val: of("val"), test: of("test") } } };
}

/**
 * The complete, frozen plan of one run.
 * @param config the notebook's experiment config
 * @param profile experiment profile
 * @param o the run's coordinates (setting, norm, α, seed, fold) and overrides
 * @throws OptionError on an invalid combination (α > 0 for a setting without KD, a fold outside 0..k-1, ...)
 */
export function resolvePlan(config: ExperimentConfig, profile: ExperimentProfile, o: PlanOverrides): RunPlan {
  const spec = resolveProfile(config, profile);
  const fold = o.fold ?? 0;
  const root = o.dataRoot === undefined ? findDataRoot() ?? null : o.dataRoot;
  const { source, datasets, split } = resolveSplit(config.task, spec, spec.data === "real" ? root : null, fold);
  const { width, ...trainOverrides } = spec.train;
  if (o.steps !== undefined) trainOverrides.steps = o.steps;
  const modelIn: ModelOptions = { network: config.network, setting: o.setting, norm: o.norm, ...(width !== undefined ? { width } : {}) };
  const tc = resolveTrainConfig({
    ...(trainOverrides as Partial<TrainConfig>),
    ...(profile === "paper" ? { preset: "paper" as const } : {}), // the paper profile starts from the trainer's paper preset
    model: modelIn,
    seed: o.seed,
    alpha: ALPHA.usedBy!(o.setting) ? o.alpha : 0,
  });
  const { seed: _modelSeed, ...model } = resolveModelOptions(tc.model);
  const { model: _m, checkpointEvery: _c, logEvery: _l, temperature, ...rest } = tc;
  const train = { ...rest, T: temperature };
  const is3d = config.network === "unet3d";
  const depth = spec.patchDepth ?? 8;
  const plan: RunPlan = {
    schema: PLAN_SCHEMA,
    task: config.task,
    profile,
    data: {
      source,
      datasets,
      split,
      spacing: [...spec.spacing] as [number, number, number],
      shape: [...spec.shape] as [number, number, number],
      roiCentre: spec.roiCentre ?? "foreground",
      intensity: { clipPercent: 2, zscore: true },
      sampling: { mode: is3d ? "3d" : "2d", depth: is3d ? depth : 1, classCentred: spec.classCentred ?? 0 },
      augmentation: "none",
    },
    model,
    train: { ...train, optimizer: "adam", lrSchedule: "step", selection: spec.selection ?? "last" },
    evaluate: { metrics: [...config.evaluate.metrics], outlier: config.task === "abdominal", blockDepth: is3d ? depth : 1 },
  };
  return deepFreeze(plan);
}

/** A plan with its hash. */
export interface HashedPlan {
  hash: string;
  plan: RunPlan;
}

/** Grid overrides of a notebook or CLI run (all optional). */
export interface GridOverrides {
  seeds?: number[];
  norms?: NormKind[];
  alphas?: number[];
  settings?: Setting[];
  folds?: number[];
  steps?: number;
  dataRoot?: string;
}

/** The folds a profile runs (0..k-1 with cross-validation, else [0]). */
export function profileFolds(config: ExperimentConfig, profile: ExperimentProfile): number[] {
  const spec = resolveProfile(config, profile);
  return spec.cv && config.task === "abdominal" ? Array.from({ length: spec.cv.k }, (_, f) => f) : [0];
}

/** Every plan of a config at a profile: folds x norms x settings x alphas (KD settings only) x seeds. */
export function expandPlans(config: ExperimentConfig, profile: ExperimentProfile, g: GridOverrides = {}): HashedPlan[] {
  const spec = resolveProfile(config, profile);
  const seeds = g.seeds ?? spec.seeds;
  const norms = g.norms ?? spec.subset?.norms ?? config.norms;
  const alphas = g.alphas ?? spec.subset?.alphas ?? config.alphas;
  const settings = g.settings ?? spec.subset?.settings ?? config.settings;
  let folds = g.folds ?? spec.subset?.folds ?? profileFolds(config, profile);
  // real data absent and synthetic fallback: one fixed split
  const root = g.dataRoot ?? findDataRoot() ?? null;
  if (spec.cv && !(spec.data === "real" && config.task === "abdominal" && root && existsSync(root) && hasBundledAbdominal(root))) folds = [0];
  const out: HashedPlan[] = [];
  // folds outermost: a process keeps one fold's volumes loaded for all of its settings
  for (const fold of folds)
    for (const norm of norms)
      for (const setting of settings)
        for (const alpha of ALPHA.usedBy!(setting) ? alphas : [0])
          for (const seed of seeds) {
            const plan = resolvePlan(config, profile, { setting, norm, alpha, seed, fold, ...(g.steps !== undefined ? { steps: g.steps } : {}), dataRoot: root });
            out.push({ hash: planHash(plan), plan });
          }
  return out;
}

/** Short label of a plan for progress lines and logs. */
export function planLabel(p: RunPlan): string {
  const fold = p.data.split.kind === "kfold" ? ` fold ${p.data.split.fold}` : "";
  return `${p.model.setting}${p.model.norm !== "batch" ? `/${p.model.norm}` : ""} a=${p.train.alpha} s=${p.train.seed}${fold}`;
}

export type { NetworkName };
