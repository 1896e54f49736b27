/**
 * Training configuration: the typed `TrainConfig`, the trainer's named presets (as data), and the JSON
 * validator used by `ummkd train --config` and embedded by lib/experiment.
 *
 * Resolution order: built-in defaults for the network -> preset values for the network -> the
 * user's explicit keys. Paper Section IV-A and authors-code-notes section 5 give the numbers.
 */
import { INIT_SCHEMES, L2_SCOPES, NETWORKS, NORM_KINDS, SETTINGS, usesKD, type ModelOptions, type NetworkName } from "../models/types.ts";
import { OptionError } from "../util/errors.ts";
import { ALPHA_RANGE, DEFAULT_ALPHA } from "../losses/total.ts";
import { checkObject, type ObjectSpec } from "./check.ts";

/**
 * The trainer's presets. Not the experiment profiles (smoke/quick/cpu/paper, lib/plan/profiles.ts:
 * data, split, grid and trainer settings of a notebook's runs); a preset is only a set of trainer
 * keys, for `ummkd train --config` and the trainer's tests (the `paper` profile starts from the
 * `paper` preset). Formerly TRAIN_PROFILES.
 */
export type TrainerPresetName = "paper" | "released-code" | "smoke" | "quick";
export const TRAINER_PRESET_NAMES: readonly TrainerPresetName[] = ["paper", "released-code", "smoke", "quick"];

/** How the KD loss treats a class absent from one modality's batch (authors-code-notes section 3). */
import type { AbsentClassPolicy } from "../losses/kd.ts"; // declared once, with kdLoss

/** Everything the trainer needs, fully resolved (no optional keys except model details). */
export interface TrainConfig {
  /** Network and setting; `seed` inside is ignored (the run seed is used). */
  model: ModelOptions;
  /** Run seed: fixes initialisation, sampling (when the source is built from it) and dropout. */
  seed: number;
  /** Total optimizer steps. Paper: 150,000 (2D), 50,000 (3D). */
  steps: number;
  /** Samples per modality per step (the step sees 2x this). Paper: 8 (2D), 2 (3D). */
  batchSize: number;
  /** Initial learning rate. Paper 1e-4; released 2D code 1e-3. */
  lr: number;
  /** Multiplicative decay factor (0.95). */
  lrDecay: number;
  /** Decay every this many steps (1000 for 2D, 500 for 3D). */
  lrDecayEvery: number;
  /** KD weight alpha of eq. 5 (DEFAULT_ALPHA for KD settings, 0 otherwise; in ALPHA_RANGE, lib/losses/total.ts). */
  alpha: number;
  /** L2 weight eta of eq. 5 (1e-4). */
  eta: number;
  /** KD temperature T (2). */
  temperature: number;
  absentClass: AbsentClassPolicy;
  /** Adam hyper-parameters (TF defaults; epsilon 1e-8, not tfjs's 1e-7 backend default). */
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Validate every K steps (0 = never). */
  validateEvery: number;
  /** Checkpoint every N steps (0 = only at the end). The last step always checkpoints. */
  checkpointEvery: number;
  /** Write a train log line every this many steps. */
  logEvery: number;
}

/** What a user may write: any subset, plus an optional preset name. */
export type TrainConfigInput = Partial<Omit<TrainConfig, "model">> & {
  model: ModelOptions;
  preset?: TrainerPresetName;
  /** @deprecated the former name of `preset` (still read; a config giving both must agree). */
  profile?: TrainerPresetName;
};

/** Preset values per network; anything not given falls back to the defaults. */
export type TrainerPreset = Partial<Omit<TrainConfig, "model" | "seed">> & { width?: number };

/**
 * The trainer's presets, as data. `paper` and `released-code` are the published settings; `smoke`
 * and `quick` are tiny presets for `ummkd train` and the trainer's tests. The experiment profiles
 * behind the notebooks and committed results (smoke/quick/cpu/paper) are defined once, in
 * lib/plan/profiles.ts, and resolved into complete plans by lib/plan/plan.ts.
 */
export const TRAINER_PRESETS: Record<TrainerPresetName, Record<NetworkName, TrainerPreset>> = {
  paper: {
    dilated2d: { lr: 1e-4, batchSize: 8, steps: 150_000, lrDecayEvery: 1000, width: 1, validateEvery: 1000, checkpointEvery: 1000, logEvery: 20 },
    unet3d: { lr: 1e-4, batchSize: 2, steps: 50_000, lrDecayEvery: 500, width: 1, validateEvery: 100, checkpointEvery: 200, logEvery: 20 },
  },
  "released-code": {
    // 2D: main_combine.py opt_kwargs lr 1e-3; 3D: main.py lr 1e-4 and L2 added once per modality (2e-4).
    dilated2d: { lr: 1e-3, batchSize: 8, steps: 150_000, lrDecayEvery: 1000, width: 1, validateEvery: 1000, checkpointEvery: 300, logEvery: 20 },
    unet3d: { lr: 1e-4, batchSize: 2, steps: 50_000, lrDecayEvery: 500, width: 1, eta: 2e-4, validateEvery: 100, checkpointEvery: 200, logEvery: 20 },
  },
  smoke: {
    dilated2d: { lr: 1e-3, batchSize: 2, steps: 4, lrDecayEvery: 1000, width: 1 / 16, validateEvery: 2, checkpointEvery: 2, logEvery: 1 },
    unet3d: { lr: 1e-3, batchSize: 1, steps: 4, lrDecayEvery: 500, width: 1 / 8, validateEvery: 2, checkpointEvery: 2, logEvery: 1 },
  },
  quick: {
    dilated2d: { lr: 1e-3, batchSize: 4, steps: 150, lrDecayEvery: 1000, width: 1 / 16, validateEvery: 25, checkpointEvery: 50, logEvery: 5 },
    unet3d: { lr: 1e-3, batchSize: 1, steps: 100, lrDecayEvery: 500, width: 1 / 8, validateEvery: 25, checkpointEvery: 50, logEvery: 5 },
  },
};

/** Built-in defaults per network (the paper's, at full scale). */
export function defaultTrainConfig(model: ModelOptions): TrainConfig {
  const is3d = model.network === "unet3d";
  return {
    model: { ...model },
    seed: 0,
    steps: is3d ? 50_000 : 150_000,
    batchSize: is3d ? 2 : 8,
    lr: 1e-4,
    lrDecay: 0.95,
    lrDecayEvery: is3d ? 500 : 1000,
    alpha: usesKD(model.setting) ? DEFAULT_ALPHA : 0,
    eta: 1e-4,
    temperature: 2,
    absentClass: "uniform",
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    validateEvery: is3d ? 100 : 1000,
    checkpointEvery: is3d ? 200 : 1000,
    logEvery: 20,
  };
}

const MODEL_SPEC: ObjectSpec = {
  network: { type: "string", enum: NETWORKS, required: true },
  setting: { type: "string", enum: SETTINGS, required: true },
  width: { type: "number", min: 0, exclusiveMin: true },
  norm: { type: "string", enum: NORM_KINDS },
  numClasses: { type: "integer", min: 2 },
  inChannels: { type: "integer", min: 1 },
  seed: { type: "integer" },
  dropout: { type: "number", min: 0, max: 1 },
  init: { type: "string", enum: INIT_SCHEMES },
  initStd: { type: "number", min: 0, exclusiveMin: true },
  normMomentum: { type: "number", min: 0, max: 1 },
  normEpsilon: { type: "number" },
  normGroups: { type: "integer", min: 1 },
  l2Scope: { type: "string", enum: L2_SCOPES },
};

/** The schema of a train config JSON (keys of `TrainConfigInput`). */
export const TRAIN_CONFIG_SPEC: ObjectSpec = {
  preset: { type: "string", enum: TRAINER_PRESET_NAMES },
  profile: { type: "string", enum: TRAINER_PRESET_NAMES }, // the former name of preset
  model: { type: "object", fields: MODEL_SPEC, required: true },
  seed: { type: "integer", min: 0, max: 2 ** 32 - 1 }, // the PRNG takes 32 bits: larger seeds alias smaller ones
  steps: { type: "integer", min: 1 },
  batchSize: { type: "integer", min: 1 },
  lr: { type: "number", min: 0, exclusiveMin: true },
  lrDecay: { type: "number", min: 0, max: 1, exclusiveMin: true },
  lrDecayEvery: { type: "integer", min: 1 },
  alpha: { type: "number", min: ALPHA_RANGE[0], max: ALPHA_RANGE[1] },
  eta: { type: "number", min: 0 },
  temperature: { type: "number", min: 0, exclusiveMin: true },
  absentClass: { type: "string", enum: ["uniform", "skip"] },
  beta1: { type: "number", min: 0, max: 1 },
  beta2: { type: "number", min: 0, max: 1 },
  epsilon: { type: "number", min: 0, exclusiveMin: true },
  validateEvery: { type: "integer", min: 0 },
  checkpointEvery: { type: "integer", min: 0 },
  logEvery: { type: "integer", min: 1 },
};

/**
 * Validate a parsed JSON train config: unknown keys, wrong types and out-of-range values throw an
 * `OptionError` naming `where` and the key path (e.g. `config.json: model.setting`).
 * @param raw the parsed JSON value
 * @param where file name or context for messages
 */
export function validateTrainConfig(raw: unknown, where = "train config"): TrainConfigInput {
  checkObject(raw, TRAIN_CONFIG_SPEC, where);
  return raw as TrainConfigInput;
}

/**
 * Resolve an input config into a full `TrainConfig`: defaults <- preset <- explicit keys.
 * @throws OptionError when alpha > 0 is requested for a setting without KD.
 */
export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const base = defaultTrainConfig(input.model);
  if (input.preset && input.profile && input.preset !== input.profile) throw new OptionError("profile", input.profile, `the same as preset '${input.preset}' (profile is preset's former name)`);
  const name = input.preset ?? input.profile;
  const prof: TrainerPreset = name ? TRAINER_PRESETS[name][input.model.network] : {};
  const { width, ...profRest } = prof;
  const { preset: _n, profile: _p, model, ...rest } = input;
  const out: TrainConfig = { ...base, ...profRest, ...stripUndefined(rest), model: { ...model } };
  if (out.model.width === undefined && width !== undefined) out.model.width = width;
  if (!usesKD(out.model.setting) && out.alpha > 0) {
    throw new OptionError("alpha", out.alpha, `0 for setting '${out.model.setting}' (only joint-kd and ours use the KD loss)`);
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
