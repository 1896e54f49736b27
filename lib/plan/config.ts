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

type Kind = "string" | "number" | "integer" | "boolean" | "array" | "object";
interface FieldSpec {
  kind: Kind;
  required?: boolean;
  enum?: readonly (string | number)[];
  items?: FieldSpec;
  fields?: Record<string, FieldSpec>;
  /** Array length exactly. */
  length?: number;
  /** Also checked, as a whole, by this parameter's row (lib/plan/params.ts): the same check as a notebook's cell and the CLI. */
  param?: ParamKey;
  min?: number;
  max?: number;
}

const PROFILE_FIELDS: Record<string, FieldSpec> = {
  data: { kind: "string", enum: ["synthetic", "real"] },
  fallbackToSynthetic: { kind: "boolean" },
  cases: {
    kind: "object",
    fields: { train: { kind: "integer", min: 0 }, val: { kind: "integer", min: 0 }, test: { kind: "integer", min: 0 } },
  },
  shape: { kind: "array", items: { kind: "integer", min: 4 }, length: 3 },
  spacing: { kind: "array", items: { kind: "number", min: 0 }, length: 3 },
  cv: {
    kind: "object",
    fields: {
      k: { kind: "integer", min: 2, required: true },
      valPerModality: { kind: "object", required: true, fields: { ct: { kind: "integer", min: 0, required: true }, mri: { kind: "integer", min: 0, required: true } } },
    },
  },
  patchDepth: { kind: "integer", min: 8 },
  classCentred: { kind: "number", min: 0 },
  roiCentre: { kind: "string", enum: ["grid", "foreground"] },
  selection: { kind: "string", enum: ["last", "best-val-dice"] },
  train: { kind: "object" }, // free-form numbers, checked below and by the trainer's validator
  seeds: { kind: "array", items: { kind: "integer", min: 0, max: 2 ** 32 - 1 }, param: "seeds" },
  subset: {
    kind: "object",
    fields: {
      settings: { kind: "array", items: { kind: "string", enum: SETTINGS }, param: "settings" },
      norms: { kind: "array", items: { kind: "string", enum: NORM_KINDS }, param: "norms" },
      alphas: { kind: "array", items: { kind: "number" }, param: "alphas" },
      folds: { kind: "array", items: { kind: "integer", min: 0 }, param: "folds" },
    },
  },
};

export const CONFIG_SPEC: Record<string, FieldSpec> = {
  name: { kind: "string", required: true },
  artefact: { kind: "string", required: true },
  task: { kind: "string", required: true, enum: ["cardiac", "abdominal"] },
  network: { kind: "string", required: true, enum: ["dilated2d", "unet3d"] },
  settings: { kind: "array", required: true, items: { kind: "string", enum: SETTINGS }, param: "settings" },
  norms: { kind: "array", items: { kind: "string", enum: NORM_KINDS }, param: "norms" },
  alphas: { kind: "array", items: { kind: "number" }, param: "alphas" },
  evaluate: {
    kind: "object",
    fields: {
      metrics: { kind: "array", items: { kind: "string", enum: ["dice", "hd", "hd95", "assd"] } },
    },
  },
  profiles: {
    kind: "object",
    fields: Object.fromEntries(EXPERIMENT_PROFILES.map((p) => [p, { kind: "object", fields: PROFILE_FIELDS } as FieldSpec])),
  },
  $comment: { kind: "string" },
};

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function checkValue(file: string, path: string, v: unknown, spec: FieldSpec): void {
  const t = typeOf(v);
  const ok = spec.kind === t || (spec.kind === "number" && t === "integer");
  if (!ok) throw new DataError(file, `key '${path}': expected ${spec.kind}, got ${t} (${JSON.stringify(v)})`);
  if (spec.enum && !spec.enum.includes(v as string | number))
    throw new DataError(file, `key '${path}': got ${JSON.stringify(v)}, expected one of ${spec.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (spec.min !== undefined && typeof v === "number" && v < spec.min)
    throw new DataError(file, `key '${path}': got ${v}, expected >= ${spec.min}`);
  if (spec.max !== undefined && typeof v === "number" && v > spec.max)
    throw new DataError(file, `key '${path}': got ${v}, expected <= ${spec.max}`);
  if (spec.kind === "array") {
    const a = v as unknown[];
    if (spec.length !== undefined && a.length !== spec.length)
      throw new DataError(file, `key '${path}': expected ${spec.length} elements, got ${a.length}`);
    if (spec.items) a.forEach((x, k) => checkValue(file, `${path}[${k}]`, x, spec.items!));
  }
  if (spec.kind === "object" && spec.fields) checkObject(file, path, v as Record<string, unknown>, spec.fields);
  if (spec.param && !param(spec.param).check(v)) throw new DataError(file, `key '${path}': got ${JSON.stringify(v)}, expected ${param(spec.param).allowed}`);
}

function checkObject(file: string, prefix: string, obj: Record<string, unknown>, fields: Record<string, FieldSpec>): void {
  for (const k of Object.keys(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const spec = Object.hasOwn(fields, k) ? fields[k] : undefined; // "__proto__" and "constructor" are unknown keys too
    if (!spec) throw new DataError(file, `unknown key '${path}' (allowed: ${Object.keys(fields).join(", ")})`);
    checkValue(file, path, obj[k], spec);
  }
  for (const [k, spec] of Object.entries(fields))
    if (spec.required && !(k in obj)) throw new DataError(file, `missing required key '${prefix ? `${prefix}.${k}` : k}'`);
}

/**
 * Validate a parsed config object and fill defaults.
 * @param raw the parsed JSON
 * @param file where it came from (named in every error)
 * @throws DataError naming the file and the offending key (unknown key, wrong type, bad value)
 */
export function validateConfig(raw: unknown, file: string): ExperimentConfig {
  if (typeOf(raw) !== "object") throw new DataError(file, `expected a JSON object at the top level, got ${typeOf(raw)}`);
  const o = raw as Record<string, unknown>;
  checkObject(file, "", o, CONFIG_SPEC);
  for (const [p, spec] of Object.entries((o.profiles ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const [k, v] of Object.entries((spec.train ?? {}) as Record<string, unknown>))
      if (typeof v !== "number") throw new DataError(file, `key 'profiles.${p}.train.${k}': expected number, got ${typeOf(v)}`);
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
