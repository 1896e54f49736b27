/**
 * The interactive (Plotly) side of a notebook's figures, derived from the run's own rows and
 * validation logs after the notebook driver has built its tables and static figures:
 * - Tables I/II: per-case mean Dice and ASSD (over structures) per setting, CT and MRI, with the
 *   case id on hover (new figures `<notebook>_cases_dice`, `<notebook>_cases_assd`, each with a
 *   static Vega-Lite twin), and a static case x setting heatmap of mean Dice with every cell
 *   labelled, hardest cases first (`<notebook>_cases_heatmap`): where each setting fails;
 * - Figure 6: the α sweep (attached to the existing `figure6_alpha` figure);
 * - Figure 7: the validation KD loss curves (attached to `figure7_kd_curve`) and the validation
 *   Dice curves (new figure `figure7_val_dice`).
 * Every figure keeps its SVG (and gets a PNG when written or displayed); the Plotly JSON rides
 * along in `figure.plotly`.
 */
import { SETTINGS } from "../models/types.ts";
import { renderVegaLite } from "./figures.ts";
import type { NotebookFigure, NotebookRun } from "./types.ts";
import { caseBoxPlot, learningCurvePlot, type CasePoint, type CurveSeries } from "./plotly.ts";
import { withCaseMeans } from "../experiment/summary.ts";

/**
 * Per-case mean over structures of `metric` (clean cases), as plot points grouped by `group`.
 * Where the rows come from more than one trained model (several seeds, or cross-validation folds),
 * each point names its model (`seed s`, `fold f` or `fold f seed s`) in `model` and on hover.
 */
function casePoints(run: NotebookRun, metric: string, group: (r: { setting: string; alpha: number }) => string, keep: (r: { setting: string }) => boolean = () => true): CasePoint[] {
  const seeds = new Set(run.rows.map((r) => r.seed));
  const folds = new Set(run.rows.map((r) => r.fold));
  const label = (r: { seed: number; fold: number }) => [folds.size > 1 ? `fold ${r.fold}` : "", seeds.size > 1 ? `seed ${r.seed}` : ""].filter(Boolean).join(" ");
  return withCaseMeans(run.rows)
    .filter((r) => r.structure === "mean" && r.metric === metric && r.condition === "clean" && keep(r) && Number.isFinite(r.value))
    .map((r) => ({
      group: group(r), series: r.modality.toUpperCase(), case: r.case, value: r.value,
      ...(seeds.size > 1 || folds.size > 1 ? { note: label(r), model: { label: label(r), fold: r.fold, seed: r.seed } } : {}),
    }));
}

/**
 * Greedy word wrap of a figure title into lines of at most `chars` characters. Without a canvas,
 * vega sizes a text as 0.8 x font size per character (far wider than it draws), so a long one-line
 * title widened the figure by an empty band on its right.
 */
export function wrapTitle(text: string, chars: number): string[] {
  const lines: string[] = [];
  for (const w of text.split(" ")) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + w.length <= chars) lines[lines.length - 1] = `${last} ${w}`;
    else lines.push(w);
  }
  return lines;
}

/** Plot width of a per-case box plot (px, one facet). */
const CASE_BOX_WIDTH = 460;

/**
 * Static twin of a per-case box plot: boxes with every case as a dot, one row per modality.
 * Where the points come from several trained models (`CasePoint.model`), a box pools every model's
 * cases, the points are coloured by model (with folds and seeds both varying: colour = fold,
 * shape = seed) and sit in one column per model within the setting's band, and each model's mean
 * is a larger open diamond in its column; the subtitle says so. Otherwise one colour, no legend.
 * The title is wrapped to the plot's width, so that the figure is as wide as its content.
 */
export function caseBoxSpec(points: readonly CasePoint[], title: string, yTitle: string, groups: readonly string[]): Record<string, unknown> {
  const enc = {
    // horizontal labels: vega sizes a rotated label by its estimated (far too long) text width, an empty band under the plot
    x: { field: "group", type: "nominal", sort: groups, title: null, axis: { labelAngle: 0 } },
    y: { field: "value", type: "quantitative", title: yTitle, scale: { zero: false } },
  };
  const models = [...new Map(points.filter((p) => p.model).map((p) => [p.model!.label, p.model!])).values()].sort((a, b) => a.fold - b.fold || a.seed - b.seed);
  // title lines of about the plot's width at vega's estimate (13 px bold: 10.4 px a character; 11 px: 8.8)
  const head = wrapTitle(title, Math.floor((CASE_BOX_WIDTH + 50) / 10.4));
  if (models.length < 2) {
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: { text: head },
      data: { values: points.map((p) => ({ group: p.group, series: p.series, value: p.value })) },
      facet: { row: { field: "series", type: "nominal", title: null } },
      spec: {
        width: CASE_BOX_WIDTH,
        height: 150,
        layer: [
          { mark: { type: "boxplot", extent: "min-max", opacity: 0.6 }, encoding: enc },
          { mark: { type: "point", filled: true, size: 16, color: "black", opacity: 0.7 }, encoding: enc },
        ],
      },
    };
  }
  const folds = new Set(models.map((m) => m.fold)).size;
  const seeds = new Set(models.map((m) => m.seed)).size;
  const both = folds > 1 && seeds > 1;
  const order = models.map((m) => m.label);
  const what = both ? "trained model (fold × seed)" : folds > 1 ? "fold" : "seed";
  const offset = { field: "model", type: "nominal", sort: order, scale: { paddingOuter: 0.6 } };
  const color = both
    ? { field: "fold", type: "nominal", title: "fold", sort: [...new Set(models.map((m) => `fold ${m.fold}`))] }
    : { field: "model", type: "nominal", title: what, sort: order };
  const shape = { field: "seed", type: "nominal", title: "seed", sort: [...new Set(models.map((m) => `seed ${m.seed}`))], scale: { range: ["circle", "square", "triangle-up", "cross", "triangle-down"] } };
  const subtitle = wrapTitle(
    `Points: test cases, coloured by ${both ? "fold, shaped by seed" : folds > 1 ? "the fold that tested them" : "seed"}, one column per ${both ? "trained model" : what}; ` +
      `boxes: the cases of all ${models.length} trained models pooled (min-max whiskers); ` +
      `open diamonds: each trained model's mean over its cases.`,
    Math.floor((CASE_BOX_WIDTH + 50) / 8.8),
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: head, subtitle, subtitleFontSize: 11, subtitleColor: "#333" },
    data: { values: points.map((p) => ({ group: p.group, series: p.series, value: p.value, model: p.model?.label ?? "", fold: `fold ${p.model?.fold ?? 0}`, seed: `seed ${p.model?.seed ?? 0}` })) },
    facet: { row: { field: "series", type: "nominal", title: null } },
    spec: {
      width: CASE_BOX_WIDTH,
      height: 170,
      layer: [
        { mark: { type: "boxplot", extent: "min-max", size: 40, color: "#c8c8c8", opacity: 0.7, median: { color: "black" }, rule: { color: "#888" } }, encoding: enc },
        { mark: { type: "point", filled: true, size: 18, opacity: 0.8 }, encoding: { ...enc, xOffset: offset, color, ...(both ? { shape } : {}) } },
        {
          transform: [{ aggregate: [{ op: "mean", field: "value", as: "value" }], groupby: ["group", "series", "model", "fold", "seed"] }],
          mark: { type: "point", shape: "diamond", filled: false, size: 110, strokeWidth: 2 },
          encoding: { ...enc, xOffset: offset, color },
        },
      ],
    },
  };
}

/** One row of the case x setting matrix: a case's value per group (mean over seeds), in display order. */
export interface CaseMatrixRow {
  /** e.g. "CT 3" (the case id alone when it names the modality) */
  label: string;
  series: string;
  case: string;
  /** group -> value (groups where the case has no value are absent) */
  values: Record<string, number>;
  /** mean over the groups present: the row's sort key within its series */
  mean: number;
}

/**
 * Cases x groups (settings) from per-case points: seeds averaged, rows grouped by series (CT before
 * MRI, alphabetically) and, within a series, hardest first (lowest mean over the groups; ties by
 * case id), so the cases every setting fails on lead the figure.
 */
export function caseMatrix(points: readonly CasePoint[]): CaseMatrixRow[] {
  const acc = new Map<string, { series: string; case: string; sums: Map<string, { s: number; n: number }> }>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    const key = `${p.series}\u0000${p.case}`;
    const e = acc.get(key) ?? { series: p.series, case: p.case, sums: new Map() };
    const g = e.sums.get(p.group) ?? { s: 0, n: 0 };
    g.s += p.value;
    g.n++;
    e.sums.set(p.group, g);
    acc.set(key, e);
  }
  const rows = [...acc.values()].map((e) => {
    const values: Record<string, number> = {};
    for (const [g, v] of e.sums) values[g] = v.s / v.n;
    const vs = Object.values(values);
    // a case id that names its modality (synthetic "syn-cardiac-ct-s3-000") is label enough
    const label = e.case.toLowerCase().includes(e.series.toLowerCase()) ? e.case : `${e.series} ${e.case}`;
    return { label, series: e.series, case: e.case, values, mean: vs.reduce((a, b) => a + b, 0) / vs.length };
  });
  const byCase = (a: string, b: string) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a.localeCompare(b));
  return rows.sort((a, b) => a.series.localeCompare(b.series) || a.mean - b.mean || byCase(a.case, b.case));
}

/** Static heatmap of a case matrix: one labelled cell per case and group (Dice: red 0 to green 100). */
export function caseHeatmapSpec(rows: readonly CaseMatrixRow[], title: string, groups: readonly string[]): Record<string, unknown> {
  const present = groups.filter((g) => rows.some((r) => g in r.values));
  const values = rows.flatMap((r) => present.filter((g) => g in r.values).map((g) => ({ case: r.label, group: g, value: r.values[g]!, text: r.values[g]!.toFixed(0) })));
  const enc = {
    x: { field: "group", type: "nominal", sort: present, title: null, axis: { orient: "top", labelAngle: 0 } },
    y: { field: "case", type: "nominal", sort: rows.map((r) => r.label), title: null, axis: { labelLimit: 260 } },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: Math.max(240, 64 * present.length),
    height: 16 * rows.length,
    data: { values },
    layer: [
      { mark: "rect", encoding: { ...enc, color: { field: "value", type: "quantitative", title: "mean Dice (%)", scale: { scheme: "redyellowgreen", domain: [0, 100] } } } },
      { mark: { type: "text", fontSize: 10 }, encoding: { ...enc, text: { field: "text" } } },
    ],
  };
}

function curveSpec(series: CurveSeries[], title: string, yTitle: string): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 460,
    height: 260,
    data: { values: series.flatMap((s) => s.step.map((step, k) => ({ step, value: s.value[k], run: s.name }))) },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "training step" },
      y: { field: "value", type: "quantitative", title: yTitle },
      color: { field: "run", type: "nominal", title: null },
    },
  };
}

async function caseFigure(run: NotebookRun, metric: "dice" | "assd"): Promise<NotebookFigure | undefined> {
  const pts = casePoints(run, metric, (r) => r.setting);
  if (!pts.length) return undefined;
  const label = metric === "dice" ? "mean Dice (%)" : "mean ASSD (mm)";
  const title = `${run.name} (ours): per-case ${label} over structures, per setting`;
  return {
    name: `${run.name}_cases_${metric}`,
    title: `Per-case ${label} per setting (a point per test case; the figure's .html in the results folder names each case on hover)`,
    svg: await renderVegaLite(caseBoxSpec(pts, title, label, SETTINGS)),
    plotly: caseBoxPlot(pts, { title, yTitle: label, groups: SETTINGS }),
  };
}

/**
 * Add the interactive figures of a notebook run (in place) and return it.
 * @param run a notebook driver's result (lib/notebooks/notebook.ts)
 */
export async function addInteractiveFigures(run: NotebookRun): Promise<NotebookRun> {
  if (run.name === "table1_cardiac" || run.name === "table2_abdominal") {
    for (const m of ["dice", "assd"] as const) {
      const f = await caseFigure(run, m);
      if (f) run.figures.push(f);
    }
    const rows = caseMatrix(casePoints(run, "dice", (r) => r.setting));
    if (rows.length) {
      const title = `${run.name} (ours): mean Dice (%) over structures per test case and setting, hardest cases first`;
      run.figures.push({
        name: `${run.name}_cases_heatmap`,
        title: "Per-case mean Dice per setting (rows: test cases, hardest first)",
        svg: await renderVegaLite(caseHeatmapSpec(rows, title, SETTINGS)),
      });
    }
  }
  if (run.name === "figure6_alpha") {
    const fig = run.figures.find((f) => f.name === "figure6_alpha");
    const pts = casePoints(run, "dice", (r) => `α = ${r.alpha}`, (r) => r.setting === "ours");
    const groups = [...new Set(run.rows.filter((r) => r.setting === "ours").map((r) => r.alpha))].sort((a, b) => a - b).map((a) => `α = ${a}`);
    if (fig && pts.length) fig.plotly = caseBoxPlot(pts, { title: "Figure 6 (ours): per-case mean Dice vs α (Ours)", yTitle: "mean Dice (%)", groups, xTitle: "α (KD weight)" });
  }
  if (run.name === "figure7_kd_curve") {
    const runs = run.experiments.flatMap((e) => e.runs);
    const name = (r: (typeof runs)[number]) => `α = ${r.spec.alpha}${r.spec.seed ? ` (seed ${r.spec.seed})` : ""}`;
    const kd: CurveSeries[] = runs.map((r) => ({ name: name(r), step: r.val.map((v) => v.step), value: r.val.map((v) => v.kd) }));
    const fig = run.figures.find((f) => f.name === "figure7_kd_curve");
    if (fig && kd.some((s) => s.step.length)) fig.plotly = learningCurvePlot(kd, { title: "Figure 7 (ours): validation KD loss vs step", yTitle: "KD loss on validation data" });
    const dice: CurveSeries[] = runs.flatMap((r) =>
      (["ct", "mri"] as const).map((m) => ({ name: `${name(r)} ${m.toUpperCase()}`, step: r.val.map((v) => v.step), value: r.val.map((v) => 100 * (m === "ct" ? v.diceCt : v.diceMri)) })),
    );
    if (dice.some((s) => s.step.length)) {
      const title = "Validation Dice (%) during training, per α and modality";
      run.figures.push({
        name: "figure7_val_dice",
        title,
        svg: await renderVegaLite(curveSpec(dice, title, "validation Dice (%)")),
        plotly: learningCurvePlot(dice, { title, yTitle: "validation Dice (%)" }),
      });
    }
  }
  return run;
}
