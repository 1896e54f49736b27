/**
 * The numeric, self-describing table of a results folder (`table.csv`, Tables I and II): one row per
 * setting, normalization, α, modality, structure and metric, with plain numbers (no "mean ± sd"
 * text), how many test cases and trained models are behind each number, a 95% interval, the unit,
 * the data source, the profile and the commit of the code that trained the models. Our rows only:
 * the paper's numbers are in results/paper/. results/README.md says which file to cite for what.
 *
 * - mean, sd: over the test cases' values (sd with n − 1), summary.csv's mean and std (up to the last digit);
 *   structure "mean" = per-case mean over the structures, modality "overall" = CT and MRI cases
 *   together (lib/experiment/summary.ts). Non-finite values (a structure absent from prediction
 *   and label; a distance to an empty mask) are skipped and not counted in n_cases.
 * - ci_low, ci_high: 95% two-level percentile bootstrap with the trained model as unit
 *   (lib/stats/hierarchical.ts: models, i.e. (fold, seed) pairs, drawn with replacement, then the
 *   cases of each drawn model; 10000 replicates, seed 0). With n_models = 1 the interval reflects
 *   the spread over cases only, not between trained models: read it with n_models.
 */
import { hierarchicalBootstrap } from "../stats/hierarchical.ts";
import { SETTINGS } from "../models/types.ts";
import { toCsv } from "../experiment/csv.ts";
import type { RunRecord } from "../experiment/run-record.ts";
import { withCaseMeans } from "../experiment/summary.ts";
import type { TidyRow } from "../experiment/tidy.ts";

/** Notebooks whose results folder gets a table.csv (the paper's main result tables). */
export const CITABLE_TABLES: readonly string[] = ["table1_cardiac", "table2_abdominal"];

export const CITABLE_COLUMNS = [
  "setting", "norm", "alpha", "modality", "structure", "metric", "n_cases", "n_models",
  "mean", "sd", "ci_low", "ci_high", "ci_method", "unit", "data_source", "profile", "commit",
] as const;

export type CitableRow = Record<(typeof CITABLE_COLUMNS)[number], string | number>;

export const CI_METHOD = "95% hierarchical bootstrap (models, then cases; 10000 replicates, seed 0)";

const UNITS: Record<string, string> = { dice: "%", hd: "mm", hd95: "mm", assd: "mm" };
const METRIC_ORDER = ["dice", "assd", "hd", "hd95"];
const MODALITY_ORDER = ["ct", "mri", "overall"];
const rank = (list: readonly string[], v: unknown) => (list.includes(String(v)) ? list.indexOf(String(v)) : list.length);

/**
 * The rows of table.csv from a run's tidy rows (condition "clean") and its run records (for the
 * commit that trained each model).
 * @param rows tidy rows of the notebook (every test case, structure and metric)
 * @param runs the run records behind them (provenance.git.commit per setting/norm/α/seed/fold)
 */
export function citableRows(rows: readonly TidyRow[], runs: readonly Pick<RunRecord, "spec" | "provenance">[]): CitableRow[] {
  const clean = rows.filter((r) => r.condition === "clean");
  const all = withCaseMeans(clean).filter((r) => Number.isFinite(r.value)).map((r) => ({ ...r, fold: r.fold ?? 0 }));
  const overall = all.filter((r) => r.structure === "mean").map((r) => ({ ...r, modality: "overall" }));
  const key = (r: TidyRow) => [r.setting, r.norm, r.alpha, r.modality, r.structure, r.metric].join("\u0000");
  const groups = new Map<string, TidyRow[]>();
  for (const r of [...all, ...overall]) {
    const k = key(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const commitOf = new Map<string, string>();
  for (const r of runs) commitOf.set([r.spec.setting, r.spec.norm, r.spec.alpha, r.spec.seed, r.spec.fold ?? 0].join("\u0000"), r.provenance?.git?.commit ?? "unknown");
  const out: CitableRow[] = [];
  for (const g of groups.values()) {
    const r0 = g[0]!;
    const values = g.map((r) => r.value);
    const n = values.length;
    const mean = values.reduce((a, v) => a + v, 0) / n;
    const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : NaN;
    const byModel = new Map<string, number[]>();
    for (const r of g) {
      const m = `${r.fold ?? 0}/${r.seed}`;
      if (!byModel.has(m)) byModel.set(m, []);
      byModel.get(m)!.push(r.value);
    }
    const ci = hierarchicalBootstrap([...byModel].map(([id, a]) => ({ id, a, b: a.map(() => 0) })));
    const commits = [...new Set(g.map((r) => commitOf.get([r.setting, r.norm, r.alpha, r.seed, r.fold ?? 0].join("\u0000")) ?? "unknown"))].sort();
    out.push({
      setting: r0.setting, norm: r0.norm, alpha: r0.alpha, modality: r0.modality, structure: r0.structure, metric: r0.metric,
      n_cases: n, n_models: byModel.size, mean, sd, ci_low: ci.ciLow, ci_high: ci.ciHigh, ci_method: CI_METHOD,
      unit: UNITS[r0.metric] ?? "", data_source: [...new Set(g.map((r) => r.data_source))].sort().join(" + "), profile: r0.profile,
      commit: commits.join(" "),
    });
  }
  // paper order: metric, setting (as in the paper's tables), then modality, structures with their mean last
  const order = (r: CitableRow): (number | string)[] => [
    rank(METRIC_ORDER, r.metric), rank(SETTINGS, r.setting), String(r.norm), Number(r.alpha), rank(MODALITY_ORDER, r.modality), r.structure === "mean" ? 1 : 0, String(r.structure),
  ];
  return out.sort((a, b) => {
    const x = order(a);
    const y = order(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}

/** table.csv's text (numbers with full precision; NaN written empty). */
export function citableCsv(rows: readonly TidyRow[], runs: readonly Pick<RunRecord, "spec" | "provenance">[]): string {
  return toCsv(citableRows(rows, runs), CITABLE_COLUMNS);
}
