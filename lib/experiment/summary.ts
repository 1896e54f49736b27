/**
 * Summaries derived from the tidy rows with arquero 7.2: mean ± std per setting/modality/structure,
 * per-case means over structures (the paper's "Mean" columns), the overall mean over both
 * modalities, our numbers beside the paper's, and Tables III/IV's p-values.
 *
 * Conventions (also in the notebooks' text):
 * - std is the sample standard deviation (n - 1) over test cases (and seeds), as the paper's "±".
 * - Non-finite values (NaN: structure absent from both prediction and label; Infinity: one side
 *   empty for distances) are skipped; `n` counts the values used.
 * - structure "mean" = per-case mean over the structures of the task, then mean ± std over cases;
 *   modality "overall" = mean over the per-case means of both modalities.
 */
import * as aq from "arquero";
import { nanMean, pairedTTest, twoSampleTTest } from "../stats/index.ts";
import type { TidyRow } from "./tidy.ts";

type ColumnTable = ReturnType<typeof aq.from>;
const KEYS = ["setting", "norm", "alpha", "condition", "modality", "structure", "metric"] as const;

export interface SummaryRow {
  setting: string;
  norm: string;
  alpha: number;
  condition: string;
  modality: string;
  structure: string;
  metric: string;
  mean: number;
  std: number;
  n: number;
}

/**
 * Adds the per-case mean over structures (structure "mean") for every
 * (setting, norm, alpha, seed, fold, condition, modality, case, metric); only finite values enter.
 */
export function withCaseMeans(rows: readonly TidyRow[]): TidyRow[] {
  const finite = aq.from(rows.filter((r) => r.structure !== "mean" && Number.isFinite(r.value)));
  if (finite.numRows() === 0) return [...rows];
  const means = finite
    .groupby("notebook", "profile", "data_source", "condition", "setting", "norm", "alpha", "seed", "fold", "modality", "case", "metric")
    .rollup({ value: aq.op.mean("value") })
    .derive({ structure: () => "mean" })
    .objects() as unknown as TidyRow[];
  return [...rows.filter((r) => r.structure !== "mean"), ...means];
}

/** Mean ± std (n - 1) and n per setting/norm/alpha/condition/modality/structure/metric, plus modality "overall". */
export function summarizeTidy(rows: readonly TidyRow[]): SummaryRow[] {
  const all = withCaseMeans(rows).filter((r) => Number.isFinite(r.value));
  const overall = all.filter((r) => r.structure === "mean").map((r) => ({ ...r, modality: "overall" }));
  const t = aq.from([...all, ...overall]);
  if (t.numRows() === 0) return [];
  return t
    .groupby(...KEYS)
    .rollup({ mean: aq.op.mean("value"), std: aq.op.stdev("value"), n: aq.op.count() })
    .orderby(...KEYS)
    .objects() as unknown as SummaryRow[];
}

/** "88.5 ± 3.1" (std omitted when undefined, e.g. n = 1). */
export function formatMeanStd(mean: number, std: number | null | undefined, digits: number): string {
  if (!Number.isFinite(mean)) return "–";
  return std === null || std === undefined || !Number.isFinite(std) ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

export interface PaperRowLike {
  setting: string;
  norm: string;
  modality: string;
  structure: string;
  metric: string;
  stat: string;
  value: number;
}

/** Options of {@link sideBySideRows}. */
export interface SideBySideOptions {
  metric: string;
  paperMetric?: string;
  structures: readonly string[];
  norm?: string;
  settings: readonly string[];
  digits?: number;
}

/**
 * A wide table (one row per setting, one column per modality/structure) of "ours" and "paper"
 * cells for one metric. `paperMetric` lets our ASSD stand beside the paper's "Hausdorff distance"
 * (authors-code-notes section 6: the paper's values look like ASSD).
 * @returns rows with columns setting, source ("ours" | "paper"), then `<modality> <structure>`
 */
export function sideBySideRows(ours: readonly SummaryRow[], paper: readonly PaperRowLike[], options: SideBySideOptions): Record<string, string>[] {
  const digits = options.digits ?? (options.metric === "dice" ? 1 : 2);
  const norm = options.norm ?? "batch";
  const cols: [string, string][] = [];
  for (const m of ["ct", "mri"]) for (const s of [...options.structures, "mean"]) cols.push([m, s]);
  cols.push(["overall", "mean"]);
  const colName = ([m, s]: [string, string]) => (m === "overall" ? "overall mean" : `${m.toUpperCase()} ${s}`);
  const out: Record<string, string>[] = [];
  for (const setting of options.settings) {
    const o: Record<string, string> = { setting, source: "ours" };
    const p: Record<string, string> = { setting, source: "paper" };
    let anyPaper = false;
    for (const c of cols) {
      const r = ours.find((x) => x.setting === setting && x.norm === norm && x.modality === c[0] && x.structure === c[1] && x.metric === options.metric && x.condition === "clean");
      o[colName(c)] = r ? formatMeanStd(r.mean, r.std, digits) : "–";
      const pm = options.paperMetric ?? options.metric;
      const pick = (stat: string) =>
        paper.find((x) => x.setting === setting && x.norm === norm && x.modality === c[0] && x.structure === c[1] && x.metric === pm && x.stat === stat)?.value;
      const mean = pick("mean");
      if (mean !== undefined) anyPaper = true;
      p[colName(c)] = mean === undefined ? "–" : formatMeanStd(mean, pick("std"), digits);
    }
    out.push(o);
    if (anyPaper) out.push(p);
  }
  return out;
}

/** {@link sideBySideRows} as an arquero table. */
export function sideBySide(ours: readonly SummaryRow[], paper: readonly PaperRowLike[], options: SideBySideOptions): ColumnTable {
  return aq.from(sideBySideRows(ours, paper, options));
}

export interface PValueRow {
  reference: string;
  setting: string;
  metric: string;
  n: number;
  meanDiff: number;
  pPaired: number;
  pWelch: number;
}

/**
 * Tables III/IV: for each setting, a t-test of `reference` ("ours") against it on the per-case
 * means over structures, CT and MRI cases pooled ("jointly considering both results of CT and MRI
 * in each setting"), seeds averaged per case (NaN-aware, `nanMean`). Paired by (modality, case) — both settings are
 * evaluated on the same test cases — with Welch's two-sample test beside it.
 * Cases where either value is non-finite are dropped (n says how many remain).
 */
export function pValues(rows: readonly TidyRow[], options: { metric: string; reference?: string; norm?: string; condition?: string }): PValueRow[] {
  const ref = options.reference ?? "ours";
  const norm = options.norm ?? "batch";
  const cond = options.condition ?? "clean";
  const means = withCaseMeans(rows).filter((r) => r.structure === "mean" && r.metric === options.metric && r.norm === norm && r.condition === cond);
  // average seeds per (setting, modality, case)
  const bySetting = new Map<string, Map<string, number[]>>();
  for (const r of means) {
    const key = `${r.modality}/${r.case}`;
    const m = bySetting.get(r.setting) ?? new Map<string, number[]>();
    m.set(key, [...(m.get(key) ?? []), r.value]);
    bySetting.set(r.setting, m);
  }
  const refMap = bySetting.get(ref);
  if (!refMap) return [];
  const out: PValueRow[] = [];
  for (const [setting, m] of bySetting) {
    if (setting === ref) continue;
    const a: number[] = [];
    const b: number[] = [];
    for (const [k, v] of refMap) {
      const w = m.get(k);
      if (!w) continue;
      const x = nanMean(v);
      const y = nanMean(w);
      if (Number.isFinite(x) && Number.isFinite(y)) {
        a.push(x);
        b.push(y);
      }
    }
    let pPaired = NaN;
    let pWelch = NaN;
    if (a.length >= 2) {
      pPaired = pairedTTest(a, b).p;
      pWelch = twoSampleTTest(a, b, { equalVariance: false }).p;
    }
    out.push({ reference: ref, setting, metric: options.metric, n: a.length, meanDiff: a.length ? nanMean(a) - nanMean(b) : NaN, pPaired, pWelch });
  }
  return out;
}
