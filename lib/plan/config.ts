/**
 * Typed experiment configuration (one JSON file per notebook in `data/configs/`), its validator
 * (unknown keys and ill-typed values are errors naming the key and the file) and profile
 * resolution.
 *
 * A config names the task, the network, the settings to train (x norms x alphas x seeds), what
 * to record, and per-profile overrides of the built-in profile values (lib/plan/profiles.ts).
 */
import { readFileSync } from "node:fs";
import { NORM_KINDS, SETTINGS, type NetworkName, type NormKind, type Setting } from "../models/types.ts";
import { DataError } from "../util/errors.ts";
import { isPathSegment } from "../util/paths.ts";
import { checkJsonObject, jsonType, type FieldSpec, type JsonProblem, type Report } from "../util/json-check.ts";
import { param, type ParamKey } from "./params.ts";
import { EXPERIMENT_PROFILES, type DataSourceKind, type ExperimentProfile, type ExperimentTask } from "./types.ts";

export { EXPERIMENT_PROFILES, type ExperimentProfile, type ExperimentTask, type DataSourceKind };

/** Profile-dependent values; every key optional in a config's `profiles.<name>` override. */
export interface ProfileSpec {
  /** "real" reads the data root (`--data`/UMMKD_DATA); "synthetic" uses lib/data/synthetic.ts. */
  data: DataSourceKind;
  /** With data "real": fall back to synthetic data (recorded in data_source) when the root lacks it. */
  fallbackToSynthetic: boolean;
  /** Cases per modality (synthetic), or a cap on cases per split (real; 0 = all). */
  cases: { train: number; val: number; test: number };
  /** Grid of synthetic cases / in-plane size and depth that real cases are resampled and cropped to. */
  shape: [number, number, number];
  spacing: [number, number, number];
  /**
   * Trainer settings (lib/train/config.ts TrainConfig keys: steps, batchSize, lr, lrDecay,
   * lrDecayEvery, validateEvery, ...) plus the model `width`, on top of the trainer's defaults
   * (the paper's). The `paper` profile starts from lib/train's published `paper` profile instead.
   */
  train: Record<string, number>;
  /** K-fold cross-validation of the real abdominal data (lib/data/kfold.ts): k folds, validation cases per modality. */
  cv?: { k: number; valPerModality: { ct: number; mri: number } };
  /** 3D patch (and inference block) depth in slices; default 8. */
  patchDepth?: number;
  /** Fraction of training samples centred on a randomly chosen present class (lib/train/batch-source.ts); default 0. */
  classCentred?: number;
  /** In-plane ROI centre of real cases ("grid": no label used); default "foreground". */
  roiCentre?: "grid" | "foreground";
  /** Weights evaluated on test: the last step's, or those with the best mean pooled validation Dice; default "last". */
  selection?: "last" | "best-val-dice";
  /** Seeds to run (overridable by the notebook's parameters cell). */
  seeds: number[];
  /**
   * Restrict the config's settings / norms / alphas at this profile (e.g. smoke runs a subset so CI
   * stays fast); explicit notebook parameters take precedence.
   */
  subset?: { settings?: Setting[]; norms?: NormKind[]; alphas?: number[]; folds?: number[] };
}

export interface ExperimentConfig {
  /** Notebook / results folder name (e.g. "table1_cardiac"). */
  name: string;
  /** Which paper artefact this reproduces (e.g. "Table I"). */
  artefact: string;
  task: ExperimentTask;
  network: NetworkName;
  settings: Setting[];
  norms: NormKind[];
  /** KD weights to run for KD settings (non-KD settings always run with alpha 0); default [DEFAULT_ALPHA]. */
  alphas: number[];
  /**
   * Metrics computed per test case and structure. (Every run records its validation curves and
   * sample slices, and every abdominal run also evaluates Table VI's artefact case, so that the
   * notebooks that need the same runs share one training.)
   */
  evaluate: { metrics: ("dice" | "hd" | "hd95" | "assd")[] };
  profiles: Partial<Record<ExperimentProfile, Partial<ProfileSpec>>>;
  /** Where the config was read from (set by loadConfig). */
  file?: string;
}

/** A parameter's row as a config key's whole-value check (the same check as a notebook's cell and the CLI). */
const row = (k: ParamKey): NonNullable<FieldSpec["check"]> => ({ test: (v) => param(k).check(v), allowed: param(k).allowed });

const PROFILE_FIELDS: Record<string, FieldSpec> = {
  data: { type: "string", enum: ["synthetic", "real"] },
  fallbackToSynthetic: { type: "boolean" },
  cases: {
    type: "object",
    fields: { train: { type: "integer", min: 0 }, val: { type: "integer", min: 0 }, test: { type: "integer", min: 0 } },
  },
  shape: { type: "array", items: { type: "integer", min: 4 }, length: 3 },
  spacing: { type: "array", items: { type: "number", min: 0 }, length: 3 },
  cv: {
    type: "object",
    fields: {
      k: { type: "integer", min: 2, required: true },
      valPerModality: { type: "object", required: true, fields: { ct: { type: "integer", min: 0, required: true }, mri: { type: "integer", min: 0, required: true } } },
    },
  },
  patchDepth: { type: "integer", min: 8 },
  classCentred: { type: "number", min: 0 },
  roiCentre: { type: "string", enum: ["grid", "foreground"] },
  selection: { type: "string", enum: ["last", "best-val-dice"] },
  train: { type: "object" }, // free-form numbers, checked below and by the trainer's validator
  seeds: { type: "array", items: { type: "integer", min: 0, max: 2 ** 32 - 1 }, check: row("seeds") },
  subset: {
    type: "object",
    fields: {
      settings: { type: "array", items: { type: "string", enum: SETTINGS }, check: row("settings") },
      norms: { type: "array", items: { type: "string", enum: NORM_KINDS }, check: row("norms") },
      alphas: { type: "array", items: { type: "number" }, check: row("alphas") },
      folds: { type: "array", items: { type: "integer", min: 0 }, check: row("folds") },
    },
  },
};

export const CONFIG_SPEC: Record<string, FieldSpec> = {
  name: { type: "string", required: true },
  artefact: { type: "string", required: true },
  task: { type: "string", required: true, enum: ["cardiac", "abdominal"] },
  network: { type: "string", required: true, enum: ["dilated2d", "unet3d"] },
  settings: { type: "array", required: true, items: { type: "string", enum: SETTINGS }, check: row("settings") },
  norms: { type: "array", items: { type: "string", enum: NORM_KINDS }, check: row("norms") },
  alphas: { type: "array", items: { type: "number" }, check: row("alphas") },
  evaluate: {
    type: "object",
    fields: {
      metrics: { type: "array", items: { type: "string", enum: ["dice", "hd", "hd95", "assd"] } },
    },
  },
  profiles: {
    type: "object",
    fields: Object.fromEntries(EXPERIMENT_PROFILES.map((p) => [p, { type: "object", fields: PROFILE_FIELDS } as FieldSpec])),
  },
  $comment: { type: "string" },
};

/** A config problem, said as a DataError naming the file and the key. */
function say(file: string): Report {
  return (p: JsonProblem) => {
    switch (p.kind) {
      case "type":
        return new DataError(file, `key '${p.path}': expected ${p.spec.type}, got ${p.got} (${JSON.stringify(p.value)})`);
      case "enum":
        return new DataError(file, `key '${p.path}': got ${JSON.stringify(p.value)}, expected one of ${p.allowed.map((e) => JSON.stringify(e)).join(", ")}`);
      case "min":
        return new DataError(file, `key '${p.path}': got ${p.value}, expected ${p.exclusive ? ">" : ">="} ${p.bound}`);
      case "max":
        return new DataError(file, `key '${p.path}': got ${p.value}, expected <= ${p.bound}`);
      case "length":
        return new DataError(file, `key '${p.path}': expected ${p.length} elements, got ${p.value.length}`);
      case "check":
        return new DataError(file, `key '${p.path}': got ${JSON.stringify(p.value)}, expected ${p.allowed}`);
      case "unknown":
        return new DataError(file, `unknown key '${p.path}' (allowed: ${p.allowed.join(", ")})`);
      case "required":
        return new DataError(file, `missing required key '${p.path}'`);
    }
  };
}

/**
 * Validate a parsed config object and fill defaults.
 * @param raw the parsed JSON
 * @param file where it came from (named in every error)
 * @throws DataError naming the file and the offending key (unknown key, wrong type, bad value)
 */
export function validateConfig(raw: unknown, file: string): ExperimentConfig {
  if (jsonType(raw) !== "object") throw new DataError(file, `expected a JSON object at the top level, got ${jsonType(raw)}`);
  const o = raw as Record<string, unknown>;
  checkJsonObject(o, CONFIG_SPEC, "", say(file));
  for (const [p, spec] of Object.entries((o.profiles ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const [k, v] of Object.entries((spec.train ?? {}) as Record<string, unknown>))
      if (typeof v !== "number") throw new DataError(file, `key 'profiles.${p}.train.${k}': expected number, got ${jsonType(v)}`);
  }
  // the name becomes a results folder (<out>/<name>/<profile>/): one safe path segment, never "../x"
  if (!isPathSegment(o.name)) throw new DataError(file, `key 'name': got ${JSON.stringify(o.name)}, expected one path segment of letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 200 characters)`);
  const network = o.network as NetworkName;
  const task = o.task as ExperimentTask;
  if ((task === "cardiac") !== (network === "dilated2d"))
    throw new DataError(file, `key 'network': '${network}' with task '${task}' (the paper pairs cardiac with dilated2d, abdominal with unet3d)`);
  const ev = (o.evaluate ?? {}) as Partial<ExperimentConfig["evaluate"]>;
  return {
    name: o.name as string,
    artefact: o.artefact as string,
    task,
    network,
    settings: o.settings as Setting[],
    // the rows' defaults: DEFAULT_NORM and DEFAULT_ALPHA
    norms: (o.norms as NormKind[] | undefined) ?? [param("norm").default as NormKind],
    alphas: (o.alphas as number[] | undefined) ?? [param("alpha").default as number],
    evaluate: { metrics: ev.metrics ?? ["dice", "hd", "hd95", "assd"] },
    profiles: (o.profiles as ExperimentConfig["profiles"] | undefined) ?? {},
    file,
  };
}

/** Read and validate `data/configs/<name>.json` (or any path). */
export function loadConfig(file: string): ExperimentConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new DataError(file, `cannot read experiment config: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, `not valid JSON: ${(e as Error).message}`);
  }
  return validateConfig(raw, file);
}
