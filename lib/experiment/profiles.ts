/**
 * Built-in profile values per task (the config's `profiles.<name>` entries override them key by
 * key), and resolution of the profile in force: explicit argument > UMMKD_PROFILE > "quick".
 *
 * - smoke: every notebook end to end in about a minute each on 2 cores (CI); tiny grids, a
 *   handful of steps. Numbers are meaningless; it checks the pipeline.
 * - quick: the main job on a fresh machine, synthetic data only, ~15 minutes for all notebooks.
 * - cpu: committed results. CPU-scale networks (width 1/16 in 2D, 1/8 in 3D) trained for what
 *   2 shared cores allow in well under an hour for all notebooks (500 steps; Table V keeps 150
 *   steps in its config because instance norm is ~6x slower per step on the native engine); real
 *   abdominal data (BTCV CT + CHAOS MRI) from the data root where present, synthetic cardiac
 *   phantoms (no real cardiac CT volumes are available here).
 * - paper: the paper's settings (full-width networks, 256x256 inputs, 150k/50k steps): GPU and
 *   the real datasets.
 */
import { OptionError } from "../util/errors.ts";
import { EXPERIMENT_PROFILES, type ExperimentConfig, type ExperimentProfile, type ProfileSpec, type ExperimentTask } from "./config.ts";

const BASE: Record<ExperimentTask, Record<ExperimentProfile, ProfileSpec>> = {
  cardiac: {
    smoke: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 2, val: 1, test: 2 },
      shape: [32, 32, 6], spacing: [4, 4, 8], trainProfile: "smoke",
      train: { steps: 2, batchSize: 2, validateEvery: 1, checkpointEvery: 0, logEvery: 1 }, seeds: [0],
    },
    quick: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 6, val: 1, test: 4 },
      shape: [48, 48, 12], spacing: [2.5, 2.5, 6], trainProfile: "quick",
      train: { steps: 40, batchSize: 4, validateEvery: 20, checkpointEvery: 0, logEvery: 5 }, seeds: [0],
    },
    cpu: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 8, val: 2, test: 6 },
      shape: [48, 48, 16], spacing: [2.5, 2.5, 6], trainProfile: "cpu",
      train: { steps: 500, batchSize: 4, width: 0.0625, validateEvery: 25, checkpointEvery: 0, logEvery: 10 }, seeds: [0],
    },
    paper: {
      data: "real", fallbackToSynthetic: false, cases: { train: 0, val: 0, test: 0 },
      shape: [256, 256, 0], spacing: [1, 1, 1], trainProfile: "paper", train: {}, seeds: [0],
    },
  },
  abdominal: {
    smoke: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 2, val: 1, test: 2 },
      shape: [32, 32, 8], spacing: [5, 5, 8], trainProfile: "smoke",
      train: { steps: 2, batchSize: 1, validateEvery: 1, checkpointEvery: 0, logEvery: 1 }, seeds: [0],
    },
    quick: {
      data: "synthetic", fallbackToSynthetic: true, cases: { train: 6, val: 1, test: 4 },
      shape: [48, 48, 16], spacing: [4, 4, 6], trainProfile: "quick",
      train: { steps: 30, batchSize: 1, validateEvery: 15, checkpointEvery: 0, logEvery: 5 }, seeds: [0],
    },
    cpu: {
      data: "real", fallbackToSynthetic: true, cases: { train: 0, val: 0, test: 0 },
      shape: [48, 48, 8], spacing: [5.5, 5.5, 6], trainProfile: "cpu",
      train: { steps: 500, batchSize: 1, width: 0.125, validateEvery: 25, checkpointEvery: 0, logEvery: 10 }, seeds: [0],
    },
    paper: {
      data: "real", fallbackToSynthetic: false, cases: { train: 0, val: 0, test: 0 },
      shape: [256, 256, 0], spacing: [1, 1, 1], trainProfile: "paper", train: {}, seeds: [0],
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
  };
}
