/**
 * Results "variants" and the guard that keeps committed results.
 *
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
import { join, relative } from "node:path";
import * as aq from "arquero";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";
import { DataError } from "../util/errors.ts";
import { num, readCsv } from "../experiment/csv.ts";
import { loadConfig, type ExperimentProfile } from "../plan/config.ts";
import { PARAMS, paramDefaults, type NotebookParams } from "../plan/params.ts";
import { artefact, isNotebookName } from "./artefacts/index.ts";
import { paramKeysOf } from "./artefacts/types.ts";
import { resolveProfile } from "../plan/profiles.ts";
import type { NotebookTable, NotebookRun } from "./types.ts";

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Folder name of a run's results: the profile, plus one part per parameter that differs from the
 * notebook's defaults, in a fixed order: `cpu`, `cpu-alpha0.3-norm_instance`, `quick-seeds0_1_2`.
 * @param profileDefaults the profile's own seeds and steps (so that restating them is no variant)
 */
export function variantName(notebook: string, profile: string, params: NotebookParams, profileDefaults: { seeds?: number[]; steps?: number } = {}): string {
  // a notebook's defaults: the rows' defaults of the parameters its cell shows (a config alone: none)
  const d = isNotebookName(notebook) ? paramDefaults(paramKeysOf(artefact(notebook))) : {};
  const defaults: Record<string, unknown> = { ...d, ...profileDefaults };
  const parts: string[] = [profile];
  // one part per parameter that differs, as its row names it, in the rows' variant order
  const rows = PARAMS.filter((p) => p.variant).sort((a, b) => a.variant!.order - b.variant!.order);
  for (const p of rows) {
    const v = params[p.key];
    if (v !== undefined && v !== null && !same(v, defaults[p.key])) parts.push(p.variant!.part(v));
  }
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
