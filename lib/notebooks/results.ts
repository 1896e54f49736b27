/**
 * Results layout, one folder per notebook and profile (the profile is also a column):
 *
 *   results/<notebook>/<profile>/tidy.csv       tidy long rows (lib/experiment/tidy.ts)
 *                               summary.csv    mean ± std (n - 1), n per setting/norm/alpha/condition/modality/structure/metric
 *                               <content>.csv  each table shown in the notebook, named by what it holds
 *                                              (dice.csv, assd.csv, hd.csv, hd95.csv, pvalues_cardiac.csv, …;
 *                                              see `tableFileNames`)
 *                               <figure>.svg   each figure (deterministic SVG)
 *                               <figure>.png   its raster fallback (sharp, 144 dpi)
 *                               <figure>.html  the interactive Plotly view, where the figure has one
 *                               plans.json     the complete plan of every run, with its hash (results/runs/<hash>.json)
 *                               run.json       provenance (git commit, backend of the runs, versions, hardware),
 *                                              configs, params, seeds, runs (cache keys, steps, wall time), start/end
 *
 * A run whose parameters differ from the notebook's defaults goes to a variant folder
 * `results/<notebook>/<profile>-<what differs>/` (lib/plan/params.ts; gitignored).
 * The folder is replaced atomically (written to a temp sibling, then renamed). Only `cpu` (and
 * `paper`) folders are committed; `smoke`, `quick` and variant folders are gitignored, and a
 * folder tracked by git is never replaced unless forced or re-derived from the run store (`guardOverwrite`).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeDirAtomic } from "../util/atomic.ts";
import { provenance } from "../util/provenance.ts";
import { engineFacts } from "../engine/index.ts";
import { toCsv } from "../experiment/csv.ts";
import { figurePng } from "./display.ts";
import type { NotebookResults } from "./types.ts";
import type { PlotlyFigure } from "./plotly.ts";
import type { ExperimentResult } from "../experiment/runner.ts";
import type { SummaryRow } from "../experiment/summary.ts";
import { committedResults, guardOverwrite } from "./variants.ts";
import { SEAL_FILE, readSeal } from "../experiment/record-check.ts";
import { checkOnlyOwnFiles, checkPathSegment, pathInside } from "../util/paths.ts";
import { DataError, OptionError } from "../util/errors.ts";
import { storeDir } from "../experiment/cache.ts";
import { CITABLE_TABLES, citableCsv } from "./citable.ts";
import { plotlyHtml } from "./plotly.ts";
import { tidyToCsv, type TidyRow } from "../experiment/tidy.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";


/** Table file names (without .csv) per notebook, in the order the notebook's driver builds its tables. */
const TABLE_FILES: Record<string, readonly string[]> = {
  table1_cardiac: ["dice", "assd", "hd", "hd95"],
  table2_abdominal: ["dice", "assd", "hd", "hd95"],
  table3_4_pvalues: ["pvalues_cardiac", "pvalues_abdominal"],
  table6_outlier: ["outlier_case"],
  figure6_alpha: ["dice_per_alpha"],
  figure7_kd_curve: ["val_kd"],
  figure8_confusion: ["alignment"],
};

/**
 * File names of a run's tables, named by content: the table's own `file` if set, else the
 * notebook's list (Table V: `dice_<norm>` from each table's title), else `table<k>`.
 */
export function tableFileNames(notebook: string, tables: readonly { title?: string; file?: string }[]): string[] {
  const names = tables.map((t, k) => {
    if (t.file) return t.file;
    if (notebook === "table5_normalization") {
      // not anchored: at smoke/quick the title starts with the pipeline-check banner
      const m = /\b(batch|instance|layer|group) normalization\b/.exec(t.title ?? "");
      if (m) return `dice_${m[1]}`;
    }
    return TABLE_FILES[notebook]?.[k] ?? `table${k + 1}`;
  });
  return names.map((n, k) => (names.indexOf(n) === k ? n : `${n}_${k + 1}`));
}

/** The engine(s) that trained a run's runs, from each run's own provenance ("native", "wasm/native" when mixed, null when none recorded). */
export function runsBackend(backends: readonly (string | null | undefined)[]): string | null {
  const b = [...new Set(backends.filter((x): x is string => typeof x === "string" && x.length > 0))].sort();
  return b.length ? b.join("/") : null;
}

function plotlyJs(): { path: string; version: string } {
  // the repository's own node_modules path (not its realpath), so the page finds it in any checkout
  const inRepo = join(ROOT, "node_modules", "plotly.js-dist", "plotly.js");
  const path = existsSync(inRepo) ? inRepo : createRequire(join(ROOT, "package.json")).resolve("plotly.js-dist");
  const version = JSON.parse(readFileSync(join(dirname(path), "package.json"), "utf8")).version as string;
  return { path, version };
}

export const SUMMARY_COLUMNS = ["setting", "norm", "alpha", "condition", "modality", "structure", "metric", "mean", "std", "n"] as const;

/**
 * Folder of a notebook's results at a profile: `<root>/<notebook>/<profile>`, each name one safe
 * path segment and the folder inside `root` (a config named "../../x" is refused).
 * @throws OptionError naming the name that is not a path segment, or the escape
 */
export function resultsDir(root: string, notebook: string, profile: string): string {
  return pathInside("--out", root, checkPathSegment("notebook/config name", notebook), checkPathSegment("profile/variant", profile));
}

/**
 * A results folder may be replaced only when it is absent, empty, or an earlier results folder of
 * ours holding nothing but the files its run.json lists (`files`, plus run.json): a folder of the
 * user's, or a file the user added to ours, is never deleted.
 * @throws OptionError naming the folder and the files that are not ours
 */
export function checkResultsDir(dir: string): void {
  if (!existsSync(dir)) return;
  let meta: { files?: unknown; notebook?: unknown } | undefined;
  try {
    meta = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
  } catch {
    meta = undefined;
  }
  const files = meta && typeof meta.notebook === "string" && Array.isArray(meta.files) ? meta.files.filter((f): f is string => typeof f === "string") : undefined;
  if (!files) {
    if (readdirSync(dir).length === 0) return;
    throw new OptionError("--out", dir, "a new or empty folder, or an earlier results folder of ummkd (it holds files and no run.json of ours, so it is not replaced; nothing was changed)");
  }
  checkOnlyOwnFiles("--out", dir, "run.json", files);
}

/**
 * The run.json of the results folder `dir` when the freshly written folder `tmp` holds the same
 * files (other than run.json) with the same bytes; undefined when anything differs or `dir` has none.
 */
export function unchangedRunJson(tmp: string, dir: string, next?: { notes?: unknown; params?: unknown; seeds?: unknown; configs?: unknown; runs?: unknown }): string | undefined {
  try {
    const old = readFileSync(join(dir, "run.json"), "utf8");
    // run.json's own content other than provenance and timestamps must be the same too (notes are only there)
    if (next) {
      const o = JSON.parse(old) as Record<string, unknown>;
      for (const k of ["notes", "params", "seeds", "configs", "runs"] as const)
        if (k in next && JSON.stringify(o[k]) !== JSON.stringify(next[k])) return undefined;
    }
    const names = (d: string) => readdirSync(d).filter((f) => f !== "run.json").sort();
    const a = names(tmp);
    const b = names(dir);
    if (a.length !== b.length || a.some((f, k) => f !== b[k])) return undefined;
    return a.every((f) => readFileSync(join(tmp, f)).equals(readFileSync(join(dir, f)))) ? old : undefined;
  } catch {
    return undefined;
  }
}

/** What a results folder holds: a notebook's (or a config's) runs, rows, summary, tables, figures and notes. */
export type { NotebookResults };

/** Whether every run behind `run` has its record in the committed run store (`storeDir()`). */
export function derivedFromStore(run: Pick<NotebookResults, "experiments">): boolean {
  const keys = run.experiments.flatMap((e) => e.runs.map((r) => r.key));
  return keys.length > 0 && keys.every((k) => existsSync(join(storeDir(), `${k}.json`)));
}

/**
 * Write every results file of a notebook run into `<root>/<notebook>/<variant or profile>/`;
 * returns the written paths.
 * @throws DataError when that folder holds committed results and neither `run.params.force` nor
 *   UMMKD_FORCE=1 is set, unless `rederive` (default true) and every run's record is in the committed
 *   run store (a re-derivation, see `guardOverwrite`)
 */
export async function writeNotebookResults(run: NotebookResults, root: string, o: { rederive?: boolean } = {}): Promise<string[]> {
  const dir = resultsDir(root, run.name, run.variant ?? run.profile);
  const rederive = o.rederive !== false && derivedFromStore(run);
  if (rederive && run.params.force !== true && process.env.UMMKD_FORCE !== "1") {
    // a re-derivation replaces committed results only from sealed records (results/runs/SHA256SUMS)
    const seal = readSeal(storeDir());
    const unsealed = [...new Set(run.experiments.flatMap((e) => e.runs.map((r) => r.key)))].filter((k) => !seal.has(`${k}.json`));
    if (unsealed.length && committedResults(dir))
      throw new DataError(dir, `holds committed results, and ${unsealed.length} of the run records they would be re-derived from are not sealed in ${join(storeDir(), SEAL_FILE)} (first: ${unsealed[0]}.json); check them and run 'node bin/ummkd.js runs seal', or pass --force`);
  }
  guardOverwrite(dir, run.params.force === true, rederive);
  checkResultsDir(dir);
  const files: string[] = [];
  const runs = run.experiments.flatMap((e) =>
    e.runs.map((r) => ({
      config: e.config.name, key: r.key, setting: r.spec.setting, norm: r.spec.norm, alpha: r.spec.alpha, seed: r.spec.seed, fold: r.spec.fold ?? 0,
      selectedStep: r.train.selectedStep ?? r.train.steps,
      dataSource: r.dataSource, steps: r.train.steps, trainWallS: r.train.wallS, evalWallS: r.train.evalS, cached: r.cached ?? false,
      trainedAt: r.provenance.createdAt, trainedAtCommit: r.provenance.git.commit, trainedDirty: r.provenance.git.dirty, backend: r.provenance.backend,
    })),
  );
  const meta = {
    notebook: run.name,
    profile: run.profile,
    variant: run.variant ?? run.profile,
    params: run.params,
    // backend: the engine that trained the runs (each run records its own), not this process's
    provenance: { ...provenance(run.experiments[0]?.runs[0]?.spec.seed ?? null, engineFacts()), backend: runsBackend(runs.map((r) => r.backend)) },
    seeds: [...new Set(runs.map((r) => r.seed))],
    startedAt: run.experiments.map((e) => e.startedAt).sort()[0],
    endedAt: new Date().toISOString(),
    wallS: run.experiments.reduce((a, e) => a + e.wallS, 0),
    configs: run.experiments.map((e) => e.config),
    runs,
    notes: run.notes,
    files: [] as string[],
  };
  const put = (tmp: string, name: string, text: string | Buffer) => {
    writeFileSync(join(tmp, name), text);
    files.push(join(dir, name));
    meta.files.push(name);
  };
  const pngs = await Promise.all(run.figures.map((f) => figurePng(f)));
  const names = tableFileNames(run.name, run.tables);
  const plotly = run.figures.some((f) => f.plotly) ? plotlyJs() : undefined;
  // writeDirAtomic: the whole folder appears at once (files inside the temp folder need no own rename)
  await writeDirAtomic(dir, (tmp) => {
    put(tmp, "tidy.csv", tidyToCsv(run.rows));
    put(tmp, "summary.csv", toCsv(run.summary as unknown as Record<string, number | string>[], SUMMARY_COLUMNS));
    run.tables.forEach((t, k) => put(tmp, `${names[k]}.csv`, t.csv));
    // Tables I and II: the numeric, self-describing table to cite (lib/notebooks/citable.ts, results/README.md)
    if (CITABLE_TABLES.includes(run.name)) put(tmp, "table.csv", citableCsv(run.rows, run.experiments.flatMap((e) => e.runs)));
    run.figures.forEach((f, k) => {
      put(tmp, `${f.name}.svg`, f.svg);
      put(tmp, `${f.name}.png`, pngs[k]!.png);
      if (f.plotly && plotly)
        put(tmp, `${f.name}.html`, plotlyHtml(f.plotly, { title: f.title, fromDir: dir, plotlyJs: plotly.path, version: plotly.version, fallbackPng: `${f.name}.png` }));
    });
    // the complete plan of every run, keyed by hash (the run store's file names)
    put(tmp, "plans.json", JSON.stringify(run.experiments.flatMap((e) => e.plans.map((p) => ({ hash: p.hash, plan: p.plan }))), null, 2) + "\n");
    // a re-derivation that changes no file keeps the folder's run.json (no new commit, timestamps,
    // kernel or paths in it): opening and running a notebook leaves git clean (issue 25)
    writeFileSync(join(tmp, "run.json"), unchangedRunJson(tmp, dir, meta) ?? JSON.stringify(meta, null, 2) + "\n");
    files.push(join(dir, "run.json"));
  });
  return files;
}
