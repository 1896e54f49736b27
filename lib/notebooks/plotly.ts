/**
 * Interactive figures with Plotly (`plotly.js-dist`, the card's plotting package), for the views a
 * reader would rather explore than read: per-case Dice/ASSD per setting (case id on hover), the
 * learning curves (Figure 7's validation KD loss, validation Dice) and the α sweep (Figure 6).
 *
 * A figure is plain JSON (`{ data, layout }`), built here without loading plotly.js. It reaches
 * the reader two ways:
 * - in a notebook, as the `application/vnd.plotly.v1+json` entry of a multi-mime display
 *   (lib/notebooks/display.ts), beside the static PNG and SVG (JupyterLab with the plotly
 *   renderer and VS Code draw it; the classic Notebook, nbconvert and GitHub show the PNG);
 * - as a standalone `.html` beside the static files in the results folder (`plotlyHtml`).
 *
 * The static PNG/SVG of the same view (Vega-Lite, lib/notebooks/figures.ts) stays the citable
 * figure; the Plotly figure is its explorable twin from the same rows.
 */
import { relative } from "node:path";

/** Mime type of a Plotly figure in a Jupyter display bundle. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A Plotly figure: traces and layout (https://plotly.com/javascript/reference/). */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** One point of a per-case plot: a case's value (e.g. mean Dice over structures) in one group. */
export interface CasePoint {
  /** x category, e.g. the setting or "α = 0.3". */
  group: string;
  /** trace, e.g. "CT" / "MRI". */
  series: string;
  /** case id shown on hover. */
  case: string;
  value: number;
  /** extra hover line (e.g. "seed 0"). */
  note?: string;
  /**
   * The trained model (fold x seed) the case's value comes from, where a group pools several:
   * the static twin colours points by it and marks each model's mean (lib/notebooks/interactive.ts).
   */
  model?: { label: string; fold: number; seed: number };
}

const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d"];

/**
 * Box plot with every case drawn as a point (case id on hover): per-case Dice/ASSD per setting,
 * and the α sweep of Figure 6. One trace per series, grouped side by side.
 * @param groups x categories in display order (groups absent from `points` are dropped)
 */
export function caseBoxPlot(points: readonly CasePoint[], options: { title: string; yTitle: string; groups: readonly string[]; xTitle?: string }): PlotlyFigure {
  const series = [...new Set(points.map((p) => p.series))].sort();
  const present = options.groups.filter((g) => points.some((p) => p.group === g));
  const data = series.map((s, k) => {
    const pts = points.filter((p) => p.series === s && Number.isFinite(p.value));
    pts.sort((a, b) => present.indexOf(a.group) - present.indexOf(b.group));
    return {
      type: "box",
      name: s,
      x: pts.map((p) => p.group),
      y: pts.map((p) => p.value),
      text: pts.map((p) => `case ${p.case}${p.note ? ` (${p.note})` : ""}`),
      hovertemplate: `%{text}<br>%{x}: %{y:.2f}<extra>${s}</extra>`,
      boxpoints: "all",
      jitter: 0.4,
      pointpos: 0,
      marker: { color: COLORS[k % COLORS.length], size: 6 },
    };
  });
  return {
    data,
    layout: {
      title: { text: options.title },
      boxmode: "group",
      xaxis: { title: { text: options.xTitle ?? "" }, categoryorder: "array", categoryarray: present },
      yaxis: { title: { text: options.yTitle }, zeroline: false },
      legend: { orientation: "h" },
      width: 760,
      height: 420,
    },
  };
}

/** One learning curve: a run's values at its validation steps. */
export interface CurveSeries {
  name: string;
  step: number[];
  value: number[];
}

/** Learning curves (Figure 7's validation KD loss, validation Dice): one line per run, zoomable. */
export function learningCurvePlot(series: readonly CurveSeries[], options: { title: string; yTitle: string }): PlotlyFigure {
  return {
    data: series.map((s, k) => ({
      type: "scatter",
      mode: "lines+markers",
      name: s.name,
      x: s.step,
      y: s.value,
      hovertemplate: `${s.name}<br>step %{x}: %{y:.4g}<extra></extra>`,
      line: { color: COLORS[k % COLORS.length] },
    })),
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: "training step" } },
      yaxis: { title: { text: options.yTitle } },
      hovermode: "closest",
      width: 760,
      height: 420,
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A standalone HTML page for a Plotly figure, written beside the static PNG/SVG.
 *
 * plotly.js (10 MB) is not embedded, so that committed results stay small: the page loads the
 * project's own copy by a relative path (`node_modules/plotly.js-dist/plotly.js`, present after
 * `npm run setup`), and the CDN copy of the same version when opened outside a checkout. Without
 * either it shows the PNG (`fallbackPng`, relative file name) and says why.
 * @param fromDir folder the page is written to (for the relative path to node_modules)
 * @param plotlyJs absolute path of plotly.js-dist's `plotly.js`
 * @param version plotly.js version (CDN fallback URL)
 */
export function plotlyHtml(fig: PlotlyFigure, options: { title: string; fromDir: string; plotlyJs: string; version: string; fallbackPng?: string }): string {
  const local = relative(options.fromDir, options.plotlyJs).split("\\").join("/");
  const json = JSON.stringify(fig).replace(/</g, "\\u003c");
  const fallback = options.fallbackPng
    ? `<img src="${escapeHtml(options.fallbackPng)}" alt="${escapeHtml(options.title)}" style="max-width:100%">`
    : "";
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<script src="${escapeHtml(local)}"></script>`,
    `<script>window.Plotly || document.write('<script src="https://cdn.plot.ly/plotly-${escapeHtml(options.version)}.min.js"><\\/script>')</script>`,
    "</head><body style=\"font-family:sans-serif\">",
    `<div id="fig">${fallback}<p>plotly.js did not load (run <code>npm run setup</code> in the repository, or go online); the static figure is shown.</p></div>`,
    "<script>",
    `const fig = ${json};`,
    'if (window.Plotly) { const el = document.getElementById("fig"); el.innerHTML = ""; Plotly.newPlot(el, fig.data, fig.layout, { responsive: true }); }',
    "</script>",
    "</body></html>",
    "",
  ].join("\n");
}
