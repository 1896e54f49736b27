/**
 * The notebook driver: `run(name, params)` runs (or loads from the cache) the runs a paper artefact
 * needs (lib/notebooks/artefacts/), derives its tables and figures, renders them (HTML/CSV, SVG)
 * and writes its results with `write()` (lib/notebooks/results.ts). Called from the notebooks'
 * cells and from `ummkd experiment --notebook`.
 *
 * Notebook cells load this file with `require("../lib/notebooks/notebook.ts")` after registering
 * tsx's CommonJS hook (see notebooks/README.md): keep it free of top-level await.
 */
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import * as aq from "arquero";
import { REPO_ROOT } from "../util/repo-root.ts";
import { artefact, type ArtefactFigure, type ArtefactTable, type NotebookName } from "./artefacts/index.ts";
import { dataNote, runNote, tidyRowsOf } from "./artefacts/common.ts";
import { loadConfig } from "../plan/config.ts";
import { renderVegaLite } from "./figures.ts";
import { runOverrides } from "../plan/overrides.ts";
import { expandPlans } from "../plan/plan.ts";
import { resolveProfileName } from "../plan/profiles.ts";
import { writePlansFile } from "../experiment/plans-file.ts";
import { paperTable, type PaperRow, type PaperTable } from "./paper.ts";
import { writeNotebookResults } from "./results.ts";
import { RUNS_SUMMARY, runExperiment, type ExperimentResult } from "../experiment/runner.ts";
import { addInteractiveFigures } from "./interactive.ts";
import { checkParams } from "../plan/params.ts";
import { comparisonTable, profileDefaults, variantName } from "./variants.ts";
import type { NotebookFigure, NotebookParams, NotebookRun, NotebookTable } from "./types.ts";
import { inNotebookKernel, trainInChild } from "./subprocess.ts";
import { summarizeTidy } from "../experiment/summary.ts";

export { setupNotebook } from "./setup.ts";
export { showFigure } from "./display.ts";
export { NOTEBOOKS, type NotebookName } from "./artefacts/index.ts";
export { compareSettings } from "./artefacts/common.ts";
export type { NotebookParams, NotebookTable, NotebookFigure, NotebookRun } from "./types.ts";

/** A path relative to the repository root (what a notebook prints: no machine-specific absolute paths). */
export function repoPath(p: string): string {
  const r = relative(REPO_ROOT, p);
  return r.startsWith("..") ? p : r;
}

function configFile(name: string): string {
  return join(REPO_ROOT, "data", "configs", `${name}.json`);
}

/** tslab's newDisplay when running in a kernel (for child-process progress), else undefined. */
function kernelDisplay(): { text(s: string): void } | undefined {
  try {
    const req = createRequire(join(REPO_ROOT, "package.json"));
    return (req("tslab") as { newDisplay(): { text(s: string): void } }).newDisplay();
  } catch {
    return undefined;
  }
}

/**
 * A throttled view of the training child's output in one notebook display, updated in place: the
 * lines worth keeping (the engine, "resuming at ...", each run's "done: ...") stay, the progress
 * line is replaced, and updates are sent at most once a second (each update is one zeromq message
 * from the kernel; see bin/tslab-kernel.cjs).
 */
export function progressView(show: (text: string) => void, prefix: string, minMs = 1000): { line(l: string): void; flush(): void } {
  const kept: string[] = [];
  let current = "";
  let last = 0;
  let dirty = false;
  const render = () => {
    dirty = false;
    last = Date.now();
    show([...kept.slice(-12), current].filter(Boolean).map((l) => `${prefix}: ${l}`).join("\n"));
  };
  return {
    line(l) {
      if (/^\[ummkd\] engine:|resuming at step|^done: |: done: |^aborted|stopped at step|waiting for it/.test(l) || RUNS_SUMMARY.test(l)) kept.push(l);
      else current = l;
      dirty = true;
      if (Date.now() - last >= minMs) render();
    },
    flush() {
      if (dirty) render();
    },
  };
}

/**
 * Run (or load) a config's runs: its plans are expanded once here. In a notebook kernel, training
 * happens in a child process first, handed exactly these plans as a file (lib/notebooks/subprocess.ts,
 * lib/experiment/plans-file.ts), and the kernel then loads the stored runs by hash.
 */
async function experiment(name: string, p: NotebookParams): Promise<ExperimentResult> {
  const cfg = loadConfig(configFile(name));
  const opts = runOverrides(p);
  const profile = resolveProfileName(opts.profile);
  const plans = expandPlans(cfg, profile, opts);
  if (inNotebookKernel()) {
    const file = writePlansFile({ config: cfg, profile, force: opts.force, ...(opts.dataRoot ? { dataRoot: opts.dataRoot } : {}), plans });
    const d = kernelDisplay();
    const view = progressView((t) => d?.text(t), name);
    const show = (line: string) => {
      try {
        view.line(line);
      } catch {
        /* the cell has ended (interrupted): its display cannot be updated */
      }
    };
    try {
      await trainInChild(file, show);
    } finally {
      try {
        view.flush();
      } catch {
        /* as above */
      }
    }
    return runExperiment(cfg, { ...opts, force: false }, plans);
  }
  return runExperiment(cfg, opts, plans);
}

/** An artefact table as HTML (shown) and CSV (written), both by arquero. */
export function renderTable(t: ArtefactTable): NotebookTable {
  const table = aq.from(t.rows);
  // long tables (learning curves) show their first rows; the CSV holds them all
  const limit = t.rows.length > 50 ? 20 : Infinity;
  const html = table.toHTML({ limit }) + (limit < t.rows.length ? `<p>(first ${limit} of ${t.rows.length} rows; all in the results folder's CSV)</p>` : "");
  return { title: t.title, html, csv: table.toCSV(), ...(t.file ? { file: t.file } : {}) };
}

async function renderFigure(f: ArtefactFigure): Promise<NotebookFigure> {
  return { name: f.name, title: f.title, svg: "svg" in f ? f.svg : await renderVegaLite(f.vegaLite) };
}

/**
 * Run one notebook's experiment(s) and derive its tables and figures.
 * @param name one of NOTEBOOKS
 * @param params the notebook's parameters cell, checked first (lib/plan/params.ts)
 * @throws OptionError when `name` is not a notebook; ParamError for an unknown key or an invalid value
 */
export async function run(name: NotebookName, params: NotebookParams = {}): Promise<NotebookRun> {
  artefact(name); // unknown notebook: error before anything else
  const checked = checkParams(params as Record<string, unknown>);
  const nb = await addInteractiveFigures(await runDriver(name, checked));
  nb.variant = variantName(name, nb.profile, checked, profileDefaults(name, nb.profile));
  const vs = comparisonTable(nb);
  if (vs) nb.tables.push(vs);
  return labelPipelineCheck(nb);
}

/** A Vega-Lite figure whose title starts with "[pipeline check, numbers meaningless]" (finished SVGs are returned as they are). */
export function pipelineCheckFigure(f: ArtefactFigure): ArtefactFigure {
  if (!("vegaLite" in f)) return f;
  const t = f.vegaLite.title as string | { text: string } | undefined;
  const tag = "[pipeline check, numbers meaningless] ";
  const title = typeof t === "string" ? tag + t : t && typeof t === "object" ? { ...t, text: tag + t.text } : tag.trim();
  return { ...f, vegaLite: { ...f.vegaLite, title } };
}

/** Profiles whose numbers only check the pipeline (few steps, tiny synthetic data). */
export const PIPELINE_CHECK_PROFILES: readonly string[] = ["smoke", "quick"];

/** The line at the top of every table, figure and reading of a smoke/quick run. */
export function pipelineCheckBanner(profile: string): string {
  return `PIPELINE CHECK (profile ${profile}): numbers meaningless. They come from a few training steps on tiny synthetic data and only show that every step runs; the results to read are the cpu profile's (profile: "cpu", the default).`;
}

/**
 * A smoke/quick run: every table and figure title starts with the pipeline-check banner, the notes
 * start with it, and notes that test or state significance (p-values, "significant") are dropped.
 * `nb.pipelineCheck` holds the banner (the notebook shows it above the reading). Other profiles: unchanged.
 */
export function labelPipelineCheck<T extends Pick<NotebookRun, "profile" | "tables" | "figures" | "notes"> & { pipelineCheck?: string }>(nb: T): T {
  if (!PIPELINE_CHECK_PROFILES.includes(nb.profile)) return nb;
  const banner = pipelineCheckBanner(nb.profile);
  const esc = banner.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  for (const t of nb.tables) {
    t.title = `${banner} ${t.title}`;
    t.html = `<p style="color:#a00"><b>${esc}</b></p>` + t.html;
  }
  for (const f of nb.figures) f.title = `[pipeline check, numbers meaningless] ${f.title}`;
  nb.notes = [banner, ...nb.notes.filter((n) => !/signific|p-value|t-test|\bp = |\bp < /i.test(n))];
  nb.pipelineCheck = banner;
  return nb;
}

async function runDriver(name: NotebookName, params: NotebookParams): Promise<NotebookRun> {
  const art = artefact(name);
  const experiments: ExperimentResult[] = [];
  for (const c of art.configs) experiments.push(await experiment(c, params));
  const paper: Partial<Record<PaperTable, PaperRow[]>> = {};
  for (const t of art.paper) paper[t] = paperTable(t);
  const runs = experiments.map((e) => ({ config: e.config, runs: e.runs }));
  // inputs other than run records (the diagnosis records) describe the committed cpu runs only
  const extras = experiments[0]!.profile === "cpu" ? art.loadExtras?.(join(REPO_ROOT, "results", name)) : undefined;
  const out = art.derive({ runs, paper, ...(params.norm ? { norm: params.norm } : {}), ...(params.norms ? { norms: params.norms } : {}), ...(extras ? { extras } : {}) });
  const rows = tidyRowsOf(name, runs);
  const result: NotebookRun = {
    name, profile: experiments[0]!.profile, params, experiments, rows, summary: summarizeTidy(rows),
    tables: out.tables.map(renderTable),
    figures: [],
    notes: [dataNote(rows), runNote(experiments.flatMap((e) => e.runs)), ...out.notes],
    write: (resultsRoot?: string) => writeNotebookResults(result, resultsRoot ?? join(REPO_ROOT, "results")),
  };
  // a smoke/quick figure says in its own image (the PNG/SVG in the results folder) that it is a pipeline check
  const check = PIPELINE_CHECK_PROFILES.includes(result.profile);
  for (const f of out.figures) result.figures.push(await renderFigure(check ? pipelineCheckFigure(f) : f)); // one at a time: vega views are not shared
  return result;
}
