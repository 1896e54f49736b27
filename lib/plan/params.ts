/**
 * The parameters of a run, one row each: what a notebook's parameters cell, `ummkd experiment` /
 * `ummkd sweep` flags and the experiment configs (data/configs/*.json) may set. A row holds the
 * parameter's default, what it allows (one check, used by all three), which settings use it, its
 * flag and its help text; the notebooks' parameters cells are generated from the rows
 * (lib/notebooks/notebook-source.ts).
 *
 * Adding a parameter: one row here (and its key in `NotebookParams`), plus the code that uses the
 * value (e.g. `expandPlans` for a grid parameter).
 *
 * - `checkParams`: the parameters cell is checked before anything runs. An unknown key (a typo such
 *   as `alpah`) or an invalid value stops the cell with one line naming the key, the value and what
 *   is allowed (`ParamError`).
 * - `paramsFromFlags`: the same parameters from command-line flags (`--alphas 0.1,0.5`).
 * The results "variants" and the guard that keeps committed results are lib/notebooks/variants.ts.
 */
import { ALPHA_RANGE, DEFAULT_ALPHA } from "../losses/total.ts";
import { DEFAULT_NORM, NORM_KINDS, SETTINGS, usesKD, type NormKind, type Setting } from "../models/types.ts";
import { OptionError, UmmkdError } from "../util/errors.ts";
import { EXPERIMENT_PROFILES } from "./types.ts";

/** The parameters cell of a notebook (every key optional); the keys are the rows of {@link PARAMS}. */
export interface NotebookParams {
  profile?: string | null;
  seeds?: number[];
  folds?: number[];
  alpha?: number;
  alphas?: number[];
  norm?: NormKind;
  norms?: NormKind[];
  settings?: Setting[];
  steps?: number;
  force?: boolean;
  dataRoot?: string;
}

export type ParamKey = keyof NotebookParams;

/** One parameter. */
export interface Param {
  key: ParamKey;
  /** Its own default; undefined: the profile's or the config's (said in `help`). */
  default?: unknown;
  /** What a value may be, in words (errors and help). */
  allowed: string;
  /** Which settings read it (all when absent). */
  usedBy?: (setting: Setting) => boolean;
  /** The settings that read it, in words. */
  usedByText?: string;
  /** What it does (the parameters cell's comment, `--help`). */
  help: string;
  /** The one check of a value (notebook cell, flag, config). */
  check(v: unknown): boolean;
  /** `ummkd experiment` / `ummkd sweep` flag ("--" + flag); a list flag takes comma-separated items. */
  flag?: { name: string; kind: "string" | "boolean" | "number" | "numbers" | "strings" };
  /** TypeScript type shown in a generated parameters cell where the default is undefined. */
  cellType?: string;
  /**
   * How a value that differs from the defaults names the results folder of the run
   * (`cpu-alpha0.3-norm_instance`, lib/notebooks/variants.ts), `order` placing its part; null when
   * the parameter changes how, not what, is computed (or selects a subset of the profile's runs).
   * Every row says which, so a new parameter cannot write into the profile's folder unnoticed.
   */
  variant: { order: number; part(v: unknown): string } | null;
}

/** α (KD weight of eq. 5): default and range are the loss's (lib/losses/total.ts), read here. */
const isAlpha = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= ALPHA_RANGE[0] && x <= ALPHA_RANGE[1];
/** Seeds are integers in [0, 2^32): the PRNG takes 32 bits, so seed 4 and 4 + 2^32 would be the same model. */
const isSeed = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0 && x < 2 ** 32;
const isFold = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0;
const isNorm = (x: unknown) => (NORM_KINDS as readonly unknown[]).includes(x);
const isSetting = (x: unknown) => (SETTINGS as readonly unknown[]).includes(x);
const distinct = (v: unknown) => Array.isArray(v) && new Set(v).size === v.length;
const nonEmpty = (v: unknown, each: (x: unknown) => boolean) => Array.isArray(v) && v.length > 0 && v.every(each);
const alphaRange = `[${ALPHA_RANGE[0]}, ${ALPHA_RANGE[1]}]`;
const KD = { usedBy: usesKD, usedByText: "the KD settings (joint-kd, ours); the others run with α = 0" };

/** The rows, in the order a parameters cell and `--help` show them. */
export const PARAMS: readonly Param[] = [
  {
    key: "profile", allowed: `one of ${EXPERIMENT_PROFILES.join(", ")}`, check: (v) => typeof v === "string" && (EXPERIMENT_PROFILES as readonly string[]).includes(v),
    help: "cpu (committed results) | smoke | quick (pipeline checks) | paper; default UMMKD_PROFILE, else quick", flag: { name: "profile", kind: "string" },
    variant: null, // the folder's first part
  },
  {
    key: "seeds", allowed: "a non-empty array of non-negative integers below 2^32 (integers in [0, 2^32): the PRNG takes 32 bits), distinct seeds (a repeated seed would count one model twice), e.g. [0, 1, 2]", check: (v) => nonEmpty(v, isSeed) && distinct(v),
    help: "default: the profile's seeds", flag: { name: "seeds", kind: "numbers" }, cellType: "number[]",
    variant: { order: 6, part: (v) => `seeds${(v as readonly unknown[]).join("_")}` },
  },
  {
    key: "folds", allowed: "a non-empty array of cross-validation fold indices (non-negative integers), e.g. [0, 1]", check: (v) => nonEmpty(v, isFold),
    help: "cross-validation folds to run (profiles with CV); default all", flag: { name: "folds", kind: "numbers" }, cellType: "number[]",
    variant: null, // a subset of the profile's runs
  },
  {
    key: "alpha", default: DEFAULT_ALPHA, allowed: `a number in ${alphaRange}`, check: isAlpha, ...KD,
    help: "KD weight α of Joint+KD and Ours (eq. 5)",
    variant: { order: 1, part: (v) => `alpha${v}` },
  },
  {
    key: "alphas", allowed: `a non-empty array of numbers in ${alphaRange}`, check: (v) => nonEmpty(v, isAlpha), ...KD,
    help: "KD weights α to run (eq. 5); default: the config's", flag: { name: "alphas", kind: "numbers" }, cellType: "number[]",
    variant: { order: 2, part: (v) => `alphas${(v as readonly unknown[]).join("_")}` },
  },
  {
    key: "norm", default: DEFAULT_NORM, allowed: `one of ${NORM_KINDS.join(", ")}`, check: isNorm,
    help: "feature normalization (Table V)",
    variant: { order: 3, part: (v) => `norm_${v}` },
  },
  {
    key: "norms", allowed: `a non-empty array of ${NORM_KINDS.join(", ")}`, check: (v) => nonEmpty(v, isNorm),
    help: "feature normalizations to run (Table V); default: the config's", flag: { name: "norms", kind: "strings" }, cellType: `(${NORM_KINDS.map((n) => JSON.stringify(n)).join(" | ")})[]`,
    variant: { order: 4, part: (v) => `norms_${(v as readonly unknown[]).join("_")}` },
  },
  {
    key: "settings", allowed: `a non-empty array of ${SETTINGS.join(", ")}`, check: (v) => nonEmpty(v, isSetting),
    help: "settings to run; default: the config's", flag: { name: "settings", kind: "strings" }, cellType: "string[]",
    variant: { order: 5, part: (v) => `settings_${(v as readonly unknown[]).join("_")}` },
  },
  {
    key: "steps", allowed: "a positive integer", check: (v) => typeof v === "number" && Number.isInteger(v) && v > 0,
    help: "training steps; default: the profile's", flag: { name: "steps", kind: "number" }, cellType: "number",
    variant: { order: 7, part: (v) => `steps${v}` },
  },
  { key: "force", default: false, allowed: "true or false", check: (v) => typeof v === "boolean", help: "retrain even if cached runs exist", flag: { name: "force", kind: "boolean" }, variant: null },
  { key: "dataRoot", allowed: "a folder path (string)", check: (v) => typeof v === "string" && v.length > 0, help: "data root for real data; default UMMKD_DATA", flag: { name: "data", kind: "string" }, variant: null },
];

/** The row of a parameter. */
export function param(key: ParamKey): Param {
  return PARAMS.find((p) => p.key === key)!;
}

/** Every key a parameters cell may set, with what it allows (shown in errors). */
export const PARAM_KEYS: Readonly<Record<ParamKey, string>> = Object.fromEntries(PARAMS.map((p) => [p.key, p.allowed])) as Record<ParamKey, string>;

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

/**
 * Check a notebook's parameters; returns them without `undefined`/`null` entries.
 * @throws ParamError naming the key, the value and what is allowed
 */
export function checkParams(params: Record<string, unknown>): NotebookParams {
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new ParamError("params", params, "expected an object such as { profile: \"quick\", alpha: 0.5 }");
  const out: Record<string, unknown> = {};
  const keys = PARAMS.map((p) => p.key as string);
  for (const [key, value] of Object.entries(params)) {
    const row = PARAMS.find((p) => p.key === key);
    if (!row) {
      const near = keys.filter((k) => distance(k, key) <= 2);
      throw new ParamError(key, value, `unknown parameter${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}; known: ${keys.join(", ")}`);
    }
    if (value === undefined || value === null) continue;
    if (!row.check(value)) throw new ParamError(key, value, `expected ${row.allowed}`);
    out[key] = value;
  }
  return out as NotebookParams;
}

/** The `node:util` parseArgs options of the parameters' flags. */
export function paramFlagOptions(): Record<string, { type: "string" | "boolean"; default?: boolean }> {
  const out: Record<string, { type: "string" | "boolean"; default?: boolean }> = {};
  for (const p of PARAMS) if (p.flag) out[p.flag.name] = p.flag.kind === "boolean" ? { type: "boolean", default: false } : { type: "string" };
  return out;
}

/**
 * The parameters given as flags (parsed, then checked by their rows; absent flags are left out).
 * @param values parseArgs values by flag name
 * @throws OptionError naming the flag, its text and what the row allows
 */
export function paramsFromFlags(values: Record<string, unknown>): NotebookParams {
  const out: Record<string, unknown> = {};
  for (const p of PARAMS) {
    if (!p.flag) continue;
    const raw = values[p.flag.name];
    if (raw === undefined) continue;
    const name = `--${p.flag.name}`;
    const kind = p.flag.kind;
    let v: unknown = raw;
    if (kind === "number") v = String(raw).trim() === "" ? NaN : Number(raw);
    if (kind === "numbers" || kind === "strings") {
      const items = String(raw).split(",").map((s) => s.trim());
      if (items.some((s) => s === "")) throw new OptionError(name, raw, `a comma-separated list with no empty items (${p.allowed})`);
      v = kind === "numbers" ? items.map(Number) : items;
    }
    if (kind === "boolean" && raw === false) continue;
    if (!p.check(v)) throw new OptionError(name, raw, kind === "numbers" || kind === "strings" ? `comma-separated: ${p.allowed}` : kind === "number" ? `one ${p.allowed.replace(/^an? /, "")}` : p.allowed);
    out[p.key] = v;
  }
  return out as NotebookParams;
}

/** `--help` lines of the parameters' flags. */
export function paramFlagHelp(): string[] {
  return PARAMS.filter((p) => p.flag).map((p) => `  --${p.flag!.name}${p.flag!.kind === "boolean" ? "" : " " + (p.flag!.kind.endsWith("s") ? "a,b" : "X")}: ${p.help}${p.usedByText ? ` (used by ${p.usedByText})` : ""}`);
}

/**
 * One line of a generated parameters cell: the row's default (or `undefined` typed by the row) and
 * its help, plus a notebook's own note.
 */
export function paramCellLine(key: ParamKey, note?: string): string {
  const p = param(key);
  const value = p.default === undefined ? `undefined as ${p.cellType ?? "unknown"} | undefined` : typeof p.default === "string" ? `${JSON.stringify(p.default)} as const` : JSON.stringify(p.default);
  return `  ${key}: ${value}, // ${note ?? p.help}; ${p.allowed}`;
}

/** A notebook's defaults for the parameters its cell shows: each row's own default. */
export function paramDefaults(keys: readonly ParamKey[]): NotebookParams {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (param(k).default !== undefined) out[k] = param(k).default;
  return out as NotebookParams;
}
