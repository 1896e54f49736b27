/**
 * Built-in profile values per task — the one source of the experiment profiles' defaults (the
 * config's `profiles.<name>` entries override them key by key; lib/plan/plan.ts resolves
 * them into a run's complete plan). `train` holds the trainer settings that differ from the
 * trainer's defaults (the paper's, lib/train/config.ts) plus the model width.
 *
 * - smoke: every notebook end to end in about a minute each on 2 cores (CI); tiny grids, a
 *   handful of steps. Numbers are meaningless; it checks the pipeline.
 * - quick: the main job on a fresh machine, synthetic data only, ~15 minutes for all notebooks.
 * - cpu: committed results, sized to a 2-core machine (see notebooks/README.md for the budget per
 *   notebook). Abdominal: real BTCV CT + CHAOS MRI, 4-fold cross-validation over all 36 cases,
 *   3D U-Net at half width on 96x80x16 patches at 4x4x6 mm (the whole abdomen in-plane, so left
 *   and right are told apart), two thirds of patches centred on a randomly chosen organ, lr
 *   halved every 500 steps, weights selected on the validation cases. Cardiac: synthetic
 *   phantoms (no real cardiac CT volumes are available here) on a 64x64x16 grid at 1.875 mm in-plane
 *   (the thin myocardium is 2-3 voxels thick; at 2.5 mm the small structures stayed near 60% Dice),
 *   2D dilated network at width 1/8, 1500 steps, lr halved every 500, best-validation weights.
 * - paper: the paper's settings (full-width networks, 256x256 inputs, 150k/50k steps): GPU and
 *   the real datasets.
 */
import { OptionError } from "../util/errors.ts";
import { EXPERIMENT_PROFILES, type ExperimentConfig, type ExperimentProfile, type ProfileSpec, type ExperimentTask } from "./config.ts";

const BASE: Record<ExperimentTask, Record<ExperimentProfile, ProfileSpec>> = {
  cardiac: {
    smoke: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 2, val: 1, test: 2 },
      shape: [32, 32, 6], spacing: [4, 4, 8],
      train: { steps: 2, batchSize: 2, lr: 1e-3, lrDecayEvery: 1000, width: 1 / 16, validateEvery: 1 }, seeds: [0],
    },
    quick: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 6, val: 1, test: 4 },
      shape: [48, 48, 12], spacing: [2.5, 2.5, 6],
      train: { steps: 40, batchSize: 4, lr: 1e-3, lrDecayEvery: 1000, width: 1 / 16, validateEvery: 20 }, seeds: [0],
    },
    cpu: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 8, val: 2, test: 6 },
      shape: [64, 64, 16], spacing: [1.875, 1.875, 6], classCentred: 0.5, selection: "best-val-dice",
      train: { steps: 1500, batchSize: 4, lr: 1e-3, lrDecay: 0.5, lrDecayEvery: 500, width: 0.125, validateEvery: 50 }, seeds: [0],
    },
    paper: {
      data: "real", fallbackToSynthetic: false, cases: { train: 0, val: 0, test: 0 },
      shape: [256, 256, 0], spacing: [1, 1, 1], train: {}, seeds: [0],
    },
  },
  abdominal: {
    smoke: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 2, val: 1, test: 2 },
      shape: [32, 32, 8], spacing: [5, 5, 8],
      train: { steps: 2, batchSize: 1, lr: 1e-3, lrDecayEvery: 500, width: 1 / 8, validateEvery: 1 }, seeds: [0],
    },
    quick: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 6, val: 1, test: 4 },
      shape: [48, 48, 16], spacing: [4, 4, 6],
      train: { steps: 30, batchSize: 1, lr: 1e-3, lrDecayEvery: 500, width: 1 / 8, validateEvery: 15 }, seeds: [0],
    },
    cpu: {
      data: "real", fallbackToSynthetic: false, cases: { train: 0, val: 0, test: 0 },
      shape: [96, 80, 16], spacing: [4, 4, 6], roiCentre: "grid", patchDepth: 16, classCentred: 0.67,
      cv: { k: 4, valPerModality: { ct: 2, mri: 2 } }, selection: "best-val-dice",
      train: { steps: 1500, batchSize: 1, lr: 1e-3, lrDecay: 0.5, lrDecayEvery: 500, width: 0.5, validateEvery: 100 }, seeds: [0],
    },
    paper: {
      data: "real", fallbackToSynthetic: false, cases: { train: 0, val: 0, test: 0 },
      shape: [256, 256, 0], spacing: [1, 1, 1], train: {}, seeds: [0],
    },
  },
};

/** The profile in force: `explicit` if given, else UMMKD_PROFILE, else "quick". */
export function resolveProfileName(explicit?: string | null): ExperimentProfile {
  const v = explicit ?? process.env.UMMKD_PROFILE ?? "quick";
  if (!(EXPERIMENT_PROFILES as readonly string[]).includes(v))
    throw new OptionError(explicit ? "profile" : "UMMKD_PROFILE", v, EXPERIMENT_PROFILES);
  return v as ExperimentProfile;
}

/** Built-in values for a task and profile merged with the config's overrides for that profile. */
export function resolveProfile(config: ExperimentConfig, profile: ExperimentProfile): ProfileSpec {
  const base = BASE[config.task][profile];
  const o = config.profiles[profile] ?? {};
  return {
    ...base,
    ...o,
    cases: { ...base.cases, ...(o.cases ?? {}) },
    train: { ...base.train, ...(o.train ?? {}) },
    shape: [...(o.shape ?? base.shape)] as [number, number, number],
    spacing: [...(o.spacing ?? base.spacing)] as [number, number, number],
    seeds: [...(o.seeds ?? base.seeds)],
    ...(o.subset ? { subset: o.subset } : {}),
    ...(o.cv ?? base.cv ? { cv: structuredClone((o.cv ?? base.cv)!) } : {}),
  };
}
