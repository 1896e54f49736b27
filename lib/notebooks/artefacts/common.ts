/**
 * Helpers shared by the artefact derivations (structure names and colours: ../structures.ts): the
 * tidy rows of a set of runs, the per-setting bar figure, the automatic reading of our settings
 * against the paper's, and the data/run notes every notebook starts with.
 */
import { SETTINGS, type Setting } from "../../models/types.ts";
import { spearman } from "../../stats/index.ts";
import { settingBarsSpec } from "../figures.ts";
export { CLASS_COLORS, CLASS_STRUCTURES, PAPER_STRUCTURES } from "../structures.ts";
import type { RunRecord } from "../../experiment/run-record.ts";
import { compareModels, comparisonNotes } from "../comparisons.ts";
import { withCaseMeans, type SummaryRow } from "../../experiment/summary.ts";
import type { TidyRow } from "../../experiment/tidy.ts";
import type { ArtefactFigure, ArtefactRuns } from "./types.ts";

/** The tidy rows of the runs, with the notebook column set to `notebook`. */
export function tidyRowsOf(notebook: string, runs: readonly ArtefactRuns[]): TidyRow[] {
  return runs.flatMap((e) => e.runs.flatMap((r) => r.rows.map((x) => ({ notebook, ...x }))));
}

/** The cross-validation folds of the runs, ascending (`[0]` without cross-validation). */
export function foldsOf(runs: readonly RunRecord[]): number[] {
  return [...new Set(runs.map((r) => r.spec.fold ?? 0))].sort((a, b) => a - b);
}

/** The settings (paper order) that occur in `rows`. */
export function settingsIn(rows: readonly { setting: string }[]): Setting[] {
  return SETTINGS.filter((s) => rows.some((x) => x.setting === s));
}

/** Per-case mean Dice over structures of the clean test cases. */
export function caseMeanDice(rows: readonly TidyRow[]): TidyRow[] {
  return withCaseMeans(rows).filter((r) => r.structure === "mean" && r.metric === "dice" && r.condition === "clean");
}

/** Grouped bars of the overall mean Dice per setting, grouped by modality (Tables I/II) or norm (Table V). */
export function barsFigure(name: string, summary: readonly SummaryRow[], title: string, groupBy: "modality" | "norm", models?: { setting: string; group: string; dice: number }[]): ArtefactFigure {
  const values = summary
    .filter((s) => s.metric === "dice" && s.structure === "mean" && s.condition === "clean" && (groupBy === "norm" ? s.modality === "overall" : s.modality !== "overall"))
    .map((s) => ({ setting: s.setting, group: groupBy === "norm" ? s.norm : s.modality.toUpperCase(), dice: s.mean }));
  const spec = models ? settingBarsSpec(values, { text: title, subtitle: "bars: mean over cases of all trained models; dots: each trained model (fold × seed)" }, SETTINGS, models) : settingBarsSpec(values, title, SETTINGS);
  return { name, title, vegaLite: spec };
}

type DiceRowLike = { setting: string; norm: string; modality: string; structure: string; metric: string; mean?: number; value?: number; stat?: string; condition?: string };

/** Overall mean Dice per setting (clean cases) from a summary or the paper rows. */
function overallDice(rows: readonly DiceRowLike[], norm: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) {
    if (r.norm !== norm || r.modality !== "overall" || r.structure !== "mean" || r.metric !== "dice") continue;
    if (r.condition !== undefined && r.condition !== "clean") continue;
    if (r.stat !== undefined && r.stat !== "mean") continue;
    m.set(r.setting, (r.mean ?? r.value)!);
  }
  return m;
}

/**
 * Automatic reading of our settings against the paper's: best setting, differences of the pairs
 * the paper discusses, and the rank agreement (Spearman) of the settings.
 * @param ours summary rows (summarizeTidy)
 * @param paper transcribed paper rows
 * @param norm normalization to compare (default "batch")
 * @returns note lines; none when fewer than two settings are in both
 */
export function compareSettings(ours: readonly SummaryRow[], paper: readonly (DiceRowLike & { stat: string; value: number })[], norm = "batch"): string[] {
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

/**
 * The measured ordering of the settings (overall mean Dice of the clean test cases) beside the
 * paper's, and `ours` against every other setting with the trained model as unit (../comparisons.ts:
 * bootstrap interval, test over models, Holm) beside the paper's per-case paired t-test (per-case
 * means over structures, CT and MRI cases pooled, as Tables III/IV): generated from the numbers, so
 * it stays true when the results change.
 */
export function orderingNotes(rows: readonly TidyRow[], ours: readonly SummaryRow[], paper: readonly (DiceRowLike & { stat: string; value: number })[], norm = "batch"): string[] {
  const o = overallDice(ours, norm);
  const pp = overallDice(paper, norm);
  if (o.size < 2) return [];
  const order = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([s, v]) => `${s} ${v.toFixed(1)}`).join(" > ");
  const lines = [`Measured ordering (overall mean Dice %, ${norm} norm): ${order(o)}.`];
  if (pp.size >= 2) lines.push(`Paper's ordering: ${order(new Map([...pp].filter(([s]) => o.has(s))))}.`);
  lines.push(...comparisonNotes(compareModels(rows, { metric: "dice", norm })));
  return lines;
}

/** "Data: CT: <source>; MRI: <source>." from the tidy rows. */
export function dataNote(rows: readonly TidyRow[]): string {
  const src = [...new Set(rows.map((r) => `${r.modality.toUpperCase()}: ${r.data_source}`))].sort();
  return `Data: ${src.join("; ")}.`;
}

/**
 * How many runs, how many trained now (and how long), loaded from the committed run store
 * (results/runs/) or from the local cache, steps, backend, and the training time of the loaded ones.
 */
export function runNote(runs: readonly RunRecord[]): string {
  const trained = runs.filter((r) => !r.cached);
  const stored = runs.filter((r) => r.cached && r.from === "store").length;
  const cached = runs.length - trained.length - stored;
  const steps = [...new Set(runs.map((r) => r.train.steps))].join("/");
  const wall = trained.reduce((a, r) => a + r.train.wallS + r.train.evalS, 0);
  const loaded = runs.filter((r) => r.cached).reduce((a, r) => a + r.train.wallS, 0);
  const from = [stored ? `${stored} from the run store results/runs/` : "", cached ? `${cached} from the cache` : ""].filter(Boolean);
  return `${runs.length} run${runs.length === 1 ? "" : "s"} (${trained.length} trained now in ${wall.toFixed(0)} s${from.length ? `, ${from.join(", ")}` : ""}), ${steps} steps${runs.length === 1 ? "" : " each"}, backend ${[...new Set(runs.map((r) => r.provenance.backend ?? "?"))].join("/")}` +
    (loaded > 0 ? `; the loaded runs trained for ${(loaded / 60).toFixed(0)} min in all.` : ".");
}
