/**
 * Notebook drivers: one function per paper table/figure, called from the notebooks' cells (and
 * from `ummkd experiment`). Each loads its config(s) from `data/configs/`, runs (or loads cached)
 * trainings through the runner, derives its tables (ours beside the paper's) and figures, and
 * writes its results with `write()` (lib/experiment/results.ts).
 *
 * Notebook cells load this file with `require("../lib/experiment/notebook.ts")` after registering
 * tsx's CommonJS hook (see notebooks/README.md): keep it free of top-level await.
 */
import { join, dirname } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as aq from "arquero";
import { SETTINGS, type NormKind, type Setting } from "../models/types.ts";
import { OptionError } from "../util/errors.ts";
import { loadConfig, type ExperimentConfig } from "./config.ts";
import { alphaBoxplotSpec, confusionSpec, kdCurveSpec, qualitativeSvg, renderVegaLite, settingBarsSpec } from "./figures.ts";
import { paperTable } from "./paper.ts";
import { addInteractiveFigures } from "./interactive.ts";
import { checkParams, comparisonTable, profileDefaults, variantName } from "./params.ts";
import type { PlotlyFigure } from "./plotly.ts";
import { writeNotebookResults } from "./results.ts";
import { inNotebookKernel, trainInChild } from "./subprocess.ts";
import { runExperiment, type ExperimentResult, type RunRecord } from "./runner.ts";
import { formatMeanStd, pValues, sideBySide, summarizeTidy, withCaseMeans, type SummaryRow } from "./summary.ts";
import type { TidyRow } from "./tidy.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export { setupNotebook } from "./notebook-setup.ts";
export { showFigure } from "./display.ts";

export const NOTEBOOKS = [
  "table1_cardiac", "table2_abdominal", "table3_4_pvalues", "table5_normalization", "table6_outlier",
  "figure4_5_qualitative", "figure6_alpha", "figure7_kd_curve", "figure8_confusion",
] as const;
export type NotebookName = (typeof NOTEBOOKS)[number];

/** The parameters cell of a notebook (every key optional). */
export interface NotebookParams {
  /** smoke | quick | cpu | paper (default: UMMKD_PROFILE, else quick). */
  profile?: string | null;
  seeds?: number[];
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

export interface NotebookTable {
  title: string;
  html: string;
  csv: string;
  /** File name (without .csv) in the results folder, named by content; default from lib/experiment/results.ts. */
  file?: string;
}
export interface NotebookFigure {
  name: string;
  title: string;
  svg: string;
  /** Interactive twin of the figure (lib/experiment/interactive.ts). */
  plotly?: PlotlyFigure;
}

export interface NotebookRun {
  name: NotebookName;
  profile: string;
  params: NotebookParams;
  experiments: ExperimentResult[];
  rows: TidyRow[];
  summary: SummaryRow[];
  tables: NotebookTable[];
  figures: NotebookFigure[];
  notes: string[];
  /** Results folder name: the profile, or the profile plus what differs from the notebook's defaults (lib/experiment/params.ts). */
  variant?: string;
  /** Write tidy.csv, summary.csv, tables, figures and run.json under results/<name>/<profile>/; returns the paths. */
  write(resultsRoot?: string): Promise<string[]>;
}

const STRUCTS_DISPLAY = { cardiac: ["LVM", "LAC", "LVC", "AA"], abdominal: ["liver", "spleen", "R-kdy", "L-kdy"] } as const;
const COLORS = {
  // Figure 4 caption: red LVM, yellow AA, blue LVC, green LAC (class order LVM, LAC, LVC, AA)
  cardiac: ["red", "limegreen", "dodgerblue", "gold"],
  // Figure 5 caption: red liver, yellow spleen, blue R-kdy, green L-kdy (class order liver, R-kdy, L-kdy, spleen)
  abdominal: ["red", "dodgerblue", "limegreen", "gold"],
};

function configFile(name: string): string {
  return join(ROOT, "data", "configs", `${name}.json`);
}

function config(name: string): ExperimentConfig {
  return loadConfig(configFile(name));
}

/** tslab's newDisplay when running in a kernel (for child-process progress), else undefined. */
function kernelDisplay(): { text(s: string): void } | undefined {
  try {
    const req = createRequire(join(ROOT, "package.json"));
    return (req("tslab") as { newDisplay(): { text(s: string): void } }).newDisplay();
  } catch {
    return undefined;
  }
}

/**
 * Run (or load) a config's runs. In a notebook kernel, training happens in a child process first
 * (lib/experiment/subprocess.ts) and the kernel then loads the cached runs.
 */
async function experiment(name: string, p: NotebookParams): Promise<ExperimentResult> {
  const cfg = config(name);
  const opts = runOpts(p);
  if (inNotebookKernel()) {
    const d = kernelDisplay();
    let last = 0;
    await trainInChild(configFile(name), { ...opts, ...(opts.norms ? { norms: opts.norms } : {}) }, (line) => {
      const now = Date.now();
      if (now - last > 500 || /^done|runs \(/.test(line)) {
        d?.text(`${name}: ${line}`);
        last = now;
      }
    });
    return runExperiment(cfg, { ...opts, force: false });
  }
  return runExperiment(cfg, opts);
}

function table(title: string, t: ReturnType<typeof aq.from>): NotebookTable {
  return { title, html: t.toHTML(), csv: t.toCSV() };
}

function runOpts(p: NotebookParams, extra: Partial<{ alphas: number[]; norms: NormKind[]; settings: Setting[] }> = {}) {
  return {
    profile: p.profile ?? null,
    force: p.force === true || process.env.UMMKD_FORCE === "1",
    ...(p.seeds ? { seeds: p.seeds } : {}),
    ...(p.steps !== undefined ? { steps: p.steps } : {}),
    ...(p.dataRoot ? { dataRoot: p.dataRoot } : {}),
    ...(p.settings ? { settings: p.settings } : {}),
    ...(p.alphas ? { alphas: p.alphas } : p.alpha !== undefined ? { alphas: [p.alpha] } : {}),
    ...(p.norms ? { norms: p.norms } : p.norm ? { norms: [p.norm] } : {}),
    ...extra,
  };
}

function dataNote(rows: readonly TidyRow[]): string {
  const src = [...new Set(rows.map((r) => `${r.modality.toUpperCase()}: ${r.data_source}`))].sort();
  return `Data: ${src.join("; ")}.`;
}

function runNote(exps: ExperimentResult[]): string {
  const runs = exps.flatMap((e) => e.runs);
  const trained = runs.filter((r) => !r.cached);
  const steps = [...new Set(runs.map((r) => r.train.steps))].join("/");
  const wall = trained.reduce((a, r) => a + r.train.wallS + r.train.evalS, 0);
  return `${runs.length} runs (${trained.length} trained now in ${wall.toFixed(0)} s, ${runs.length - trained.length} from the cache), ${steps} steps each, backend ${[...new Set(runs.map((r) => r.provenance.backend ?? "?"))].join("/")}.`;
}

function caseMeanDice(rows: readonly TidyRow[]): TidyRow[] {
  return withCaseMeans(rows).filter((r) => r.structure === "mean" && r.metric === "dice" && r.condition === "clean");
}


/** Overall mean Dice per setting (clean cases) from a summary or the paper rows. */
function overallDice(rows: readonly { setting: string; norm: string; modality: string; structure: string; metric: string; mean?: number; value?: number; stat?: string; condition?: string }[], norm: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) {
    if (r.norm !== norm || r.modality !== "overall" || r.structure !== "mean" || r.metric !== "dice") continue;
    if (r.condition !== undefined && r.condition !== "clean") continue;
    if (r.stat !== undefined && r.stat !== "mean") continue;
    m.set(r.setting, (r.mean ?? r.value)!);
  }
  return m;
}

function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    idx.forEach(([, i], k) => (r[i] = k + 1));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const d2 = ra.reduce((s, x, i) => s + (x - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

/** Automatic reading of our settings against the paper's: best setting, deltas, rank agreement. */
export function compareSettings(ours: readonly SummaryRow[], paper: readonly { setting: string; norm: string; modality: string; structure: string; metric: string; stat: string; value: number }[], norm = "batch"): string[] {
  const o = overallDice(ours, norm);
  const pp = overallDice(paper, norm);
  const common = SETTINGS.filter((s) => o.has(s) && pp.has(s));
  if (common.length < 2) return [];
  const best = (m: Map<string, number>) => common.reduce((a, b) => (m.get(b)! > m.get(a)! ? b : a));
  const fmt = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(1);
  const lines = [
    `Reading (${norm} norm, overall mean Dice): best setting — ours: ${best(o)} (${o.get(best(o))!.toFixed(1)}%), paper: ${best(pp)} (${pp.get(best(pp))!.toFixed(1)}%).`,
  ];
  for (const [a, b] of [["ours", "individual"], ["ours", "chilopod"], ["joint", "individual"], ["joint-kd", "joint"]] as const) {
    if (o.has(a) && o.has(b) && pp.has(a) && pp.has(b)) lines.push(`  ${a} − ${b}: ours ${fmt(o.get(a)! - o.get(b)!)} points, paper ${fmt(pp.get(a)! - pp.get(b)!)} points.`);
  }
  if (common.length >= 3) lines.push(`  Rank agreement of the ${common.length} settings with the paper (Spearman): ${spearman(common.map((s) => o.get(s)!), common.map((s) => pp.get(s)!)).toFixed(2)}.`);
  return lines;
}

async function barsFigure(name: string, summary: SummaryRow[], title: string, groupBy: "modality" | "norm"): Promise<NotebookFigure> {
  const values = summary
    .filter((s) => s.metric === "dice" && s.structure === "mean" && s.condition === "clean" && (groupBy === "norm" ? s.modality === "overall" : s.modality !== "overall"))
    .map((s) => ({ setting: s.setting, group: groupBy === "norm" ? s.norm : s.modality.toUpperCase(), dice: s.mean }));
  return { name, title, svg: await renderVegaLite(settingBarsSpec(values, title, SETTINGS)) };
}

function finish(name: NotebookName, params: NotebookParams, exps: ExperimentResult[], parts: { tables: NotebookTable[]; figures: NotebookFigure[]; notes: string[]; rows?: TidyRow[] }): NotebookRun {
  const rows = parts.rows ?? exps.flatMap((e) => e.rows.map((r) => ({ ...r, notebook: name })));
  const summary = summarizeTidy(rows);
  const run: NotebookRun = {
    name, profile: exps[0]!.profile, params, experiments: exps, rows, summary,
    tables: parts.tables, figures: parts.figures, notes: [dataNote(rows), runNote(exps), ...parts.notes],
    write: (resultsRoot?: string) => writeNotebookResults(run, resultsRoot ?? join(ROOT, "results")),
  };
  return run;
}

async function tableMain(name: "table1_cardiac" | "table2_abdominal", p: NotebookParams): Promise<NotebookRun> {
  const cfg = config(name);
  const exp = await experiment(name, p);
  const rows = exp.rows.filter((r) => r.condition === "clean");
  const summary = summarizeTidy(rows);
  const paper = paperTable(name);
  const structures = STRUCTS_DISPLAY[cfg.task];
  const norm = p.norm ?? "batch";
  const settings = SETTINGS.filter((s) => summary.some((x) => x.setting === s));
  const tables = [
    table("Dice (%), mean ± std over test cases — ours beside the paper", sideBySide(summary, paper, { metric: "dice", structures, settings, norm })),
    table("ASSD (mm) — ours beside the paper's “Hausdorff distance (mm)” (which looks like ASSD, see notes)", sideBySide(summary, paper, { metric: "assd", paperMetric: "hd", structures, settings, norm })),
    table("Hausdorff distance (mm, maximum) — ours", sideBySide(summary, [], { metric: "hd", structures, settings, norm })),
    table("HD95 (mm) — ours", sideBySide(summary, [], { metric: "hd95", structures, settings, norm })),
  ];
  const figures = [await barsFigure(`${name}_dice`, summary, `${cfg.artefact} (ours): mean Dice per setting`, "modality")];
  return finish(name, p, [{ ...exp, rows: exp.rows }], { tables, figures, notes: compareSettings(summary, paper, norm), rows: exp.rows.map((r) => ({ ...r, notebook: name })) });
}

async function table34(p: NotebookParams): Promise<NotebookRun> {
  const exps = [await experiment("table1_cardiac", p), await experiment("table2_abdominal", p)];
  const tables: NotebookTable[] = [];
  const pv: Record<string, unknown>[] = [];
  for (const [k, exp] of exps.entries()) {
    const paper = paperTable(k === 0 ? "table3_pvalues_cardiac" : "table4_pvalues_abdominal");
    const label = k === 0 ? "Table III (cardiac)" : "Table IV (abdominal)";
    const out: Record<string, string | number>[] = [];
    for (const [metric, paperMetric] of [["dice", "dice"], ["assd", "hd"], ["hd", null]] as const) {
      for (const r of pValues(exp.rows, { metric })) {
        const pp = paperMetric ? paper.find((x) => x.setting === r.setting && x.metric === paperMetric)?.value : undefined;
        const row = { table: label, metric, setting: r.setting, n: r.n, "ours − setting": Number(r.meanDiff.toFixed(3)), "p (paired)": Number(r.pPaired.toPrecision(3)), "p (Welch)": Number(r.pWelch.toPrecision(3)), "paper p": pp ?? "–" };
        out.push(row);
        pv.push(row);
      }
    }
    tables.push(table(`${label}: t-tests of Ours against each setting (per-case mean over structures, CT and MRI cases pooled)`, aq.from(out)));
  }
  const sig = (rows: Record<string, unknown>[], key: string) => rows.filter((r) => typeof r[key] === "number" && (r[key] as number) < 0.05).length;
  const diceRows = pv.filter((r) => r.metric === "dice");
  const run = finish("table3_4_pvalues", p, exps, {
    tables,
    figures: [],
    notes: [
      "The paper's 'Hausdorff distance' p-values are placed beside our ASSD p-values (see Table I notes).",
      `Reading: Dice comparisons with p < 0.05 — ours (paired): ${sig(diceRows, "p (paired)")} of ${diceRows.length}; paper: ${sig(diceRows, "paper p")} of ${diceRows.filter((r) => typeof r["paper p"] === "number").length}. Where ours − setting is negative, Ours is worse than that setting in our runs.`,
    ],
  });
  return run;
}

async function table5(p: NotebookParams): Promise<NotebookRun> {
  const cfg = config("table5_normalization");
  const exp = await experiment("table5_normalization", p);
  const summary = summarizeTidy(exp.rows);
  const paper = paperTable("table5_normalization");
  const norms = p.norms ?? cfg.norms;
  const settings = SETTINGS.filter((s) => summary.some((x) => x.setting === s));
  const tables = norms.map((norm) =>
    table(`${norm} normalization — Dice (%), ours beside the paper`, sideBySide(summary, paper, { metric: "dice", structures: STRUCTS_DISPLAY.cardiac, settings, norm })),
  );
  const figures = [await barsFigure("table5_dice", summary, "Table V (ours): overall mean Dice per setting and normalization", "norm")];
  return finish("table5_normalization", p, [exp], { tables, figures, notes: norms.flatMap((n) => compareSettings(summary, paper, n)) });
}

async function table6(p: NotebookParams): Promise<NotebookRun> {
  const exp = await experiment("table2_abdominal", p);
  const rows = withCaseMeans(exp.rows).filter((r) => r.modality === "ct" && r.structure === "mean");
  const paper = paperTable("table6_outlier");
  const out: Record<string, string>[] = [];
  const settings = SETTINGS.filter((s) => rows.some((r) => r.setting === s));
  for (const metric of ["dice", "assd", "hd"] as const) {
    for (const src of ["ours: artefact case", "ours: clean CT test cases", "paper: outlier case"]) {
      const o: Record<string, string> = { metric, source: src };
      for (const s of settings) {
        if (src.startsWith("paper")) {
          const v = metric === "hd" ? undefined : paper.find((x) => x.setting === s && x.metric === (metric === "assd" ? "hd" : metric))?.value;
          o[s] = v === undefined ? "–" : String(v);
        } else {
          const cond = src.includes("artefact") ? "artefacts" : "clean";
          const v = rows.filter((r) => r.setting === s && r.metric === metric && r.condition === cond && Number.isFinite(r.value)).map((r) => r.value);
          const mean = v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
          o[s] = formatMeanStd(mean, null, metric === "dice" ? 1 : 2);
        }
      }
      out.push(o);
    }
  }
  const samples = exp.runs.flatMap((r) => r.samples.filter((s) => s.case.endsWith("-artefacts")).map((s) => ({ title: r.spec.setting, slice: s })));
  const figures: NotebookFigure[] = [];
  if (samples.length) {
    const gt = samples[0]!.slice;
    figures.push({
      name: "table6_artefact_case",
      title: "Artefact CT case (Figure 9 analogue): ground truth and each setting's prediction",
      svg: qualitativeSvg([{ title: "CT+art.", columns: [{ title: "ground truth", slice: gt, show: "label" }, ...samples.map((s) => ({ title: s.title, slice: s.slice, show: "pred" as const }))] }], COLORS.abdominal, { legend: ["liver", "R-kdy", "L-kdy", "spleen"] }),
    });
  }
  return finish("table6_outlier", p, [exp], {
    tables: [table("Mean over the four organs on the artefact CT case (ours) vs the clean CT test cases (ours) vs the paper's outlier case", aq.from(out))],
    figures,
    notes: ["The artefact case is the first CT test case with noise, streaks and a bias field added (lib/data/synthetic.ts addArtefacts, seed 6); the paper used a real CT case with artefacts that is not identified."],
  });
}

async function figure45(p: NotebookParams): Promise<NotebookRun> {
  const exps = [await experiment("table1_cardiac", p), await experiment("table2_abdominal", p)];
  const figures: NotebookFigure[] = [];
  for (const [k, exp] of exps.entries()) {
    const task = k === 0 ? "cardiac" : "abdominal";
    const rows = ["ct", "mri"].map((m) => {
      const runs: RunRecord[] = SETTINGS.map((s) => exp.runs.find((r) => r.spec.setting === s)).filter((r): r is RunRecord => !!r);
      const sl = runs.map((r) => ({ title: r.spec.setting, slice: r.samples.find((s) => s.modality === m && !s.case.endsWith("-artefacts"))! })).filter((x) => x.slice);
      return { title: m.toUpperCase(), columns: sl.length ? [{ title: "ground truth", slice: sl[0]!.slice, show: "label" as const }, ...sl.map((x) => ({ ...x, show: "pred" as const }))] : [] };
    });
    figures.push({
      name: k === 0 ? "figure4_cardiac" : "figure5_abdominal",
      title: k === 0 ? "Figure 4 (ours): cardiac, seven settings — red LVM, yellow AA, blue LVC, green LAC" : "Figure 5 (ours): abdominal, seven settings — red liver, yellow spleen, blue R-kdy, green L-kdy",
      svg: qualitativeSvg(rows, COLORS[task], { legend: k === 0 ? ["LVM", "LAC", "LVC", "AA"] : ["liver", "R-kdy", "L-kdy", "spleen"] }),
    });
  }
  return finish("figure4_5_qualitative", p, exps, { tables: [], figures, notes: ["Slices: the middle foreground slice of the first CT and the first MRI test case."] });
}

async function figure6(p: NotebookParams): Promise<NotebookRun> {
  const exp = await experiment("figure6_alpha", p);
  const values = caseMeanDice(exp.rows).filter((r) => r.setting === "ours").map((r) => ({ alpha: r.alpha, modality: r.modality.toUpperCase(), dice: r.value }));
  const ind = caseMeanDice(exp.rows).filter((r) => r.setting === "individual");
  const indMean = (m: string) => {
    const v = ind.filter((r) => r.modality === m).map((r) => r.value);
    return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(1) : "–";
  };
  const summary = summarizeTidy(exp.rows).filter((s) => s.metric === "dice" && s.structure === "mean" && s.modality !== "overall");
  const t = aq.from(summary.map((s) => ({ setting: s.setting, alpha: s.alpha, modality: s.modality, "mean Dice (%)": formatMeanStd(s.mean, s.std, 1), n: s.n })));
  return finish("figure6_alpha", p, [exp], {
    tables: [table("Mean Dice over structures per α (Ours) and the Individual baseline", t)],
    figures: [{ name: "figure6_alpha", title: "Figure 6 (ours): per-case mean Dice vs α", svg: await renderVegaLite(alphaBoxplotSpec(values, `Figure 6 (ours): mean Dice vs α — Individual: CT ${indMean("ct")}, MRI ${indMean("mri")}`)) }],
    notes: ["Paper: Individual 88.4% (CT) and 84.8% (MRI); Ours not very sensitive to α in [0.1, 0.9]."],
  });
}

async function figure7(p: NotebookParams): Promise<NotebookRun> {
  const exp = await experiment("figure7_kd_curve", p);
  const values = exp.runs.flatMap((r) => r.val.map((v) => ({ step: v.step, kd: v.kd, alpha: `α = ${r.spec.alpha}${r.spec.seed ? ` (seed ${r.spec.seed})` : ""}` })));
  const t = aq.from(exp.runs.map((r) => ({ alpha: r.spec.alpha, seed: r.spec.seed, "first val KD": r.val[0]?.kd ?? NaN, "last val KD": r.val.at(-1)?.kd ?? NaN, "val points": r.val.length })));
  return finish("figure7_kd_curve", p, [exp], {
    tables: [table("Validation KD loss at the first and last validation", t)],
    figures: [{ name: "figure7_kd_curve", title: "Figure 7 (ours): KD loss on validation data during training", svg: await renderVegaLite(kdCurveSpec(values, "Figure 7 (ours): validation KD loss vs step")) }],
    notes: ["The paper computes this curve on test data of the abdominal task; we use the validation cases (the test cases stay unseen)."],
  });
}

async function figure8(p: NotebookParams): Promise<NotebookRun> {
  const exp = await experiment("figure8_confusion", p);
  const run = exp.runs.find((r) => r.spec.setting === "ours") ?? exp.runs[0]!;
  const val = run.val;
  const picks = val.length <= 4 ? val : [0, Math.round((val.length - 1) / 3), Math.round((2 * (val.length - 1)) / 3), val.length - 1].map((k) => val[k]!);
  const values: { step: number; panel: string; row: number; col: number; value: number }[] = [];
  for (const v of picks) {
    v.qCt.forEach((row, i) =>
      row.forEach((q, j) => {
        const b = v.qMri[i]![j]!;
        values.push({ step: v.step, panel: "CT (q^a)", row: i, col: j, value: q });
        values.push({ step: v.step, panel: "MRI (q^b)", row: i, col: j, value: b });
        values.push({ step: v.step, panel: "5 x |q^a - q^b|", row: i, col: j, value: Math.min(1, 5 * Math.abs(q - b)) });
      }),
    );
  }
  const t = aq.from(val.map((v) => ({ step: v.step, "val KD": v.kd, "mean |q^a - q^b|": v.qCt.flat().reduce((a, q, k) => a + Math.abs(q - v.qMri.flat()[k]!), 0) / v.qCt.flat().length, "Dice CT": v.diceCt, "Dice MRI": v.diceMri })));
  return finish("figure8_confusion", p, [exp], {
    tables: [table(`Alignment of q^a and q^b during training (${run.spec.setting}, α = ${run.spec.alpha})`, t)],
    figures: [{ name: "figure8_confusion", title: "Figure 8 (ours)", svg: await renderVegaLite(confusionSpec(values, "Figure 8 (ours): q^a (CT), q^b (MRI) and 5x|difference| over training")) }],
    notes: ["Classes: 0 background, 1 liver, 2 right kidney, 3 left kidney, 4 spleen (the paper's figure lists 4..0 as liver, spleen, R-kdy, L-kdy)."],
  });
}

/**
 * Run one notebook's experiment(s) and derive its tables and figures.
 * @param name one of NOTEBOOKS
 * @param params the notebook's parameters cell, checked first (lib/experiment/params.ts)
 * @throws ParamError for an unknown key or an invalid value
 */
export async function run(name: NotebookName, params: NotebookParams = {}): Promise<NotebookRun> {
  if (!(NOTEBOOKS as readonly string[]).includes(name)) throw new OptionError("notebook", name, NOTEBOOKS);
  const checked = checkParams(params as Record<string, unknown>);
  const nb = await addInteractiveFigures(await runDriver(name, checked));
  nb.variant = variantName(name, nb.profile, checked, profileDefaults(name, nb.profile));
  const vs = comparisonTable(nb);
  if (vs) nb.tables.push(vs);
  return nb;
}

async function runDriver(name: NotebookName, params: NotebookParams): Promise<NotebookRun> {
  switch (name) {
    case "table1_cardiac":
    case "table2_abdominal":
      return tableMain(name, params);
    case "table3_4_pvalues":
      return table34(params);
    case "table5_normalization":
      return table5(params);
    case "table6_outlier":
      return table6(params);
    case "figure4_5_qualitative":
      return figure45(params);
    case "figure6_alpha":
      return figure6(params);
    case "figure7_kd_curve":
      return figure7(params);
    case "figure8_confusion":
      return figure8(params);
    default:
      throw new OptionError("notebook", name, NOTEBOOKS);
  }
}
