/**
 * Checked notebook parameters, results "variants" and the guard that keeps committed results.
 *
 * - `checkParams`: the parameters cell is checked before anything runs. An unknown key (a typo such
 *   as `alpah`) or an invalid value stops the cell with one line naming the key, the value and what
 *   is allowed (`ParamError`).
 * - `variantName`: a run whose parameters differ from the notebook's defaults is a variant, and is
 *   written to a folder named by what differs: `results/table1_cardiac/cpu-alpha0.3-norm_instance/`
 *   (gitignored, see .gitignore), never into the profile's own folder. `force` and `dataRoot` do
 *   not make a variant (they change how, not what, is computed).
 * - `committedResults` / `guardOverwrite`: a results folder tracked by git (the committed results
 *   people cite) is never overwritten unless `force` (notebook), `--force` (CLI, reproduce) or
 *   UMMKD_FORCE=1 is given, or the results are a re-derivation from the committed run store.
 * - `comparisonTable`: a variant's overall Dice beside the committed results of the same profile.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as aq from "arquero";
import { NORM_KINDS, SETTINGS } from "../models/types.ts";
import { DataError, UmmkdError } from "../util/errors.ts";
import { EXPERIMENT_PROFILES, loadConfig, type ExperimentProfile } from "./config.ts";
import { resolveProfile } from "./profiles.ts";
import { num, readCsv } from "./csv.ts";
import type { NotebookParams, NotebookTable, NotebookRun } from "./notebook-types.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

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

/** The defaults of each notebook's parameters cell (lib/experiment/notebooks-src.ts), other than profile/seeds. */
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

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Folder name of a run's results: the profile, plus one part per parameter that differs from the
 * notebook's defaults, in a fixed order: `cpu`, `cpu-alpha0.3-norm_instance`, `quick-seeds0_1_2`.
 * @param profileDefaults the profile's own seeds and steps (so that restating them is no variant)
 */
export function variantName(notebook: string, profile: string, params: NotebookParams, profileDefaults: { seeds?: number[]; steps?: number } = {}): string {
  const d = NOTEBOOK_DEFAULTS[notebook] ?? {};
  const parts: string[] = [profile];
  const list = (v: readonly (string | number)[]) => v.join("_");
  if (params.alpha !== undefined && !same(params.alpha, d.alpha)) parts.push(`alpha${params.alpha}`);
  if (params.alphas && !same(params.alphas, d.alphas)) parts.push(`alphas${list(params.alphas)}`);
  if (params.norm && !same(params.norm, d.norm)) parts.push(`norm_${params.norm}`);
  if (params.norms && !same(params.norms, d.norms)) parts.push(`norms_${list(params.norms)}`);
  if (params.settings) parts.push(`settings_${list(params.settings)}`);
  if (params.seeds && !same(params.seeds, profileDefaults.seeds)) parts.push(`seeds${list(params.seeds)}`);
  if (params.steps !== undefined && params.steps !== profileDefaults.steps) parts.push(`steps${params.steps}`);
  return parts.join("-");
}

/** The config whose profile seeds/steps a notebook's defaults are (notebooks that reuse another's runs). */
const CONFIG_OF: Record<string, string> = { table3_4_pvalues: "table1_cardiac", table6_outlier: "table2_abdominal", figure4_5_qualitative: "table1_cardiac" };

/** The profile's own seeds and steps for a notebook (empty where its config cannot be read). */
export function profileDefaults(notebook: string, profile: string): { seeds?: number[]; steps?: number } {
  try {
    const spec = resolveProfile(loadConfig(join(ROOT, "data", "configs", `${CONFIG_OF[notebook] ?? notebook}.json`)), profile as ExperimentProfile);
    return { seeds: spec.seeds, ...(spec.train.steps !== undefined ? { steps: spec.train.steps } : {}) };
  } catch {
    return {};
  }
}

/** Whether `dir` holds committed results: files under it are tracked by git. Without git: a cpu/paper folder with a run.json. */
export function committedResults(dir: string): boolean {
  try {
    const out = execFileSync("git", ["ls-files", "--", dir], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString();
    return out.trim().length > 0;
  } catch {
    return /[\\/](cpu|paper)$/.test(dir) && existsSync(join(dir, "run.json"));
  }
}

/**
 * Refuse to write into a committed results folder unless forced, or unless the results are a
 * re-derivation: a notebook's artefacts computed entirely from run records in the committed run
 * store (`results/runs/`, see lib/experiment/cache.ts), so that nothing they replace is lost
 * (the folder and every record behind it are in git). Tweaked parameters never get here: they
 * write a variant folder.
 * @throws DataError naming the folder and how to force it
 */
export function guardOverwrite(dir: string, force: boolean, derivedFromStore = false): void {
  if (force || process.env.UMMKD_FORCE === "1" || derivedFromStore || !committedResults(dir)) return;
  const rel = relative(ROOT, dir) || dir;
  throw new DataError(rel, "holds committed results and is not overwritten; change a parameter to write a variant folder beside it, or set force: true (notebook) / --force (ummkd experiment, npm run reproduce) to replace them");
}

/**
 * A variant's overall mean Dice (clean cases, per setting and modality) beside the committed
 * results of the same profile (`<root>/<notebook>/<profile>/summary.csv`); undefined when the run
 * is no variant or nothing is committed.
 */
export function comparisonTable(run: Pick<NotebookRun, "name" | "profile" | "summary"> & { variant?: string }, root = join(ROOT, "results")): NotebookTable | undefined {
  const file = join(root, run.name, run.profile, "summary.csv");
  if (!run.variant || run.variant === run.profile || !existsSync(file)) return undefined;
  const pick = (r: { metric: string; structure: string; condition: string }) => r.metric === "dice" && r.structure === "mean" && r.condition === "clean";
  const committed = readCsv(file).filter((r) => pick({ metric: r.metric!, structure: r.structure!, condition: r.condition! }));
  // "committed" only for the committed profiles (cpu, paper); a smoke/quick folder is gitignored: an earlier run on this machine
  const isCommitted = run.profile === "cpu" || run.profile === "paper";
  const label = isCommitted ? `committed (${run.profile})` : `earlier ${run.profile} run (not committed)`;
  const rows = run.summary.filter(pick).map((s) => {
    const cands = committed.filter((c) => c.setting === s.setting && c.modality === s.modality);
    const c =
      cands.find((x) => x.norm === s.norm && num(x.alpha) === s.alpha) ??
      cands.find((x) => x.norm === s.norm) ??
      cands.find((x) => num(x.alpha) === s.alpha) ??
      (cands.length === 1 ? cands[0] : undefined);
    const theirs = c ? num(c.mean) : NaN;
    return {
      setting: s.setting, modality: s.modality, norm: s.norm, alpha: s.alpha,
      [`this run (${run.variant})`]: Number(s.mean.toFixed(2)),
      [label]: c ? Number(theirs.toFixed(2)) : "–",
      [`${label.split(" (")[0]} norm, α`]: c ? `${c.norm}, ${c.alpha}` : "–",
      difference: c ? Number((s.mean - theirs).toFixed(2)) : "–",
    };
  });
  if (!rows.length) return undefined;
  const t = aq.from(rows);
  return { title: `Mean Dice (%), this run (${run.variant}) beside the ${isCommitted ? "committed" : "earlier, uncommitted"} results (results/${run.name}/${run.profile}/)`, html: t.toHTML(), csv: t.toCSV(), file: "vs_committed" };
}
