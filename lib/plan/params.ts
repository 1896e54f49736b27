/**
 * Checked notebook parameters (the results "variants" and the guard that keeps committed results
 * are lib/notebooks/variants.ts).
 *
 * - `checkParams`: the parameters cell is checked before anything runs. An unknown key (a typo such
 *   as `alpah`) or an invalid value stops the cell with one line naming the key, the value and what
 *   is allowed (`ParamError`).
 */
import { NORM_KINDS, SETTINGS, type NormKind, type Setting } from "../models/types.ts";
import { UmmkdError } from "../util/errors.ts";
import { EXPERIMENT_PROFILES } from "./config.ts";

/** The parameters cell of a notebook (every key optional). */
export interface NotebookParams {
  /** smoke | quick | cpu | paper (default: UMMKD_PROFILE, else quick). */
  profile?: string | null;
  seeds?: number[];
  /** Cross-validation folds to run (profiles with CV; default all). */
  folds?: number[];
  /** KD weight(s) for the KD settings. */
  alpha?: number;
  alphas?: number[];
  /** Normalization (Tables I/II) or normalizations (Table V). */
  norm?: NormKind;
  norms?: NormKind[];
  settings?: Setting[];
  /** Override the profile's training steps. */
  steps?: number;
  /** Retrain even if cached runs exist. */
  force?: boolean;
  /** Data root for real data (default UMMKD_DATA). */
  dataRoot?: string;
}


/** Every key a parameters cell may set, with what it allows (shown in errors). */
export const PARAM_KEYS: Record<keyof NotebookParams, string> = {
  profile: `one of ${EXPERIMENT_PROFILES.join(", ")}`,
  seeds: "a non-empty array of non-negative integers below 2^32, all distinct, e.g. [0, 1, 2]",
  folds: "a non-empty array of cross-validation fold indices (non-negative integers), e.g. [0, 1]",
  alpha: "a number in [0, 1]",
  alphas: "a non-empty array of numbers in [0, 1]",
  norm: `one of ${NORM_KINDS.join(", ")}`,
  norms: `a non-empty array of ${NORM_KINDS.join(", ")}`,
  settings: `a non-empty array of ${SETTINGS.join(", ")}`,
  steps: "a positive integer",
  force: "true or false",
  dataRoot: "a folder path (string)",
};

/** The defaults of each notebook's parameters cell (lib/notebooks/notebook-source.ts), other than profile/seeds. */
export const NOTEBOOK_DEFAULTS: Record<string, NotebookParams> = {
  table1_cardiac: { norm: "batch", alpha: 0.5 },
  table2_abdominal: { norm: "batch", alpha: 0.5 },
  table5_normalization: { alpha: 0.5 },
};

/** A parameters-cell key that does not exist, or a value outside what the key allows. */
export class ParamError extends UmmkdError {
  constructor(readonly key: string, readonly value: unknown, problem: string) {
    super(`parameter '${key}' = ${JSON.stringify(value)}: ${problem}`);
  }
}

/** Edit distance (for "did you mean"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] ? d[i - 2]![j - 2]! + 1 : Infinity);
  return d[a.length]![b.length]!;
}

const isAlpha = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;
/** Seeds are integers in [0, 2^32): the PRNG takes 32 bits, so seed 4 and 4 + 2^32 would be the same model. */
const isSeed = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0 && x < 2 ** 32;
const isFold = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0;
const distinct = (v: unknown) => Array.isArray(v) && new Set(v).size === v.length;
const nonEmpty = (v: unknown, each: (x: unknown) => boolean) => Array.isArray(v) && v.length > 0 && v.every(each);

/**
 * Check a notebook's parameters; returns them without `undefined`/`null` entries.
 * @throws ParamError naming the key, the value and what is allowed
 */
export function checkParams(params: Record<string, unknown>): NotebookParams {
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new ParamError("params", params, "expected an object such as { profile: \"quick\", alpha: 0.5 }");
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!Object.hasOwn(PARAM_KEYS, key)) {
      const near = Object.keys(PARAM_KEYS).filter((k) => distance(k, key) <= 2);
      throw new ParamError(key, value, `unknown parameter${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}; known: ${Object.keys(PARAM_KEYS).join(", ")}`);
    }
    if (value === undefined || value === null) continue;
    const ok = {
      profile: () => typeof value === "string" && (EXPERIMENT_PROFILES as readonly string[]).includes(value),
      seeds: () => nonEmpty(value, isSeed) && distinct(value),
      folds: () => nonEmpty(value, isFold),
      alpha: () => isAlpha(value),
      alphas: () => nonEmpty(value, isAlpha),
      norm: () => (NORM_KINDS as readonly unknown[]).includes(value),
      norms: () => nonEmpty(value, (x) => (NORM_KINDS as readonly unknown[]).includes(x)),
      settings: () => nonEmpty(value, (x) => (SETTINGS as readonly unknown[]).includes(x)),
      steps: () => typeof value === "number" && Number.isInteger(value) && value > 0,
      force: () => typeof value === "boolean",
      dataRoot: () => typeof value === "string" && value.length > 0,
    }[key as keyof NotebookParams];
    if (!ok()) throw new ParamError(key, value, `expected ${PARAM_KEYS[key as keyof NotebookParams]}`);
    out[key] = value;
  }
  return out as NotebookParams;
}

