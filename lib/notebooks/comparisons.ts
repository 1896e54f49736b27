/**
 * Comparisons of one setting (Ours by default) against every other, with the trained model as the
 * unit (lib/stats/hierarchical.ts): the test cases of a fold are all scored by the same network,
 * trained with one seed, so the replicates of a comparison are the (fold, seed) units, not the cases.
 *
 * Per setting: the number of model units and case pairs, the mean difference (per-unit mean, then
 * mean over units) with a 95% hierarchical-bootstrap interval, the paired t-test over unit means and
 * its Holm adjustment over the table's comparisons, and beside them the paper's test — a paired
 * t-test over the test cases (seeds averaged per case), which ignores that cases share a model.
 * Values are the per-case means over structures (the paper's "Mean"), CT and MRI cases pooled.
 */
import { SETTINGS } from "../models/types.ts";
import { hierarchicalBootstrap, holm, modelPairedTTest, nanMean, type ModelUnit } from "../stats/index.ts";
import { pValues, withCaseMeans } from "../experiment/summary.ts";
import type { TidyRow } from "../experiment/tidy.ts";

/** Bootstrap replicates and generator seed of every committed interval (fixed: intervals re-derive byte for byte). */
export const BOOTSTRAP = { replicates: 10000, seed: 2020, level: 0.95 } as const;

export interface ComparisonOptions {
  metric: string;
  /** Setting compared with every other (default "ours"). */
  reference?: string;
  norm?: string;
  condition?: string;
}

/** One comparison: reference − setting. */
export interface ModelComparison {
  reference: string;
  setting: string;
  metric: string;
  /** Model units (fold × seed pairs trained for both settings). */
  models: number;
  folds: number;
  seeds: number;
  /** Case pairs over all units. */
  cases: number;
  /** Mean over units of the per-unit mean difference. */
  diff: number;
  ciLow: number;
  ciHigh: number;
  /** Paired t-test over unit means (NaN with one unit). */
  pModels: number;
  /** Holm-adjusted pModels over the comparisons of one call. */
  pModelsHolm: number;
  /** The paper's per-case paired t-test (cases pooled over folds; seeds averaged per case). */
  pCases: number;
  /** Test cases in the paper's test. */
  nCases: number;
  /** Per fold: the mean over that fold's seeds of the unit mean difference. */
  perFold: { fold: number; diff: number; seeds: number; cases: number }[];
}

const unitKey = (r: TidyRow) => `${r.fold ?? 0}/${r.seed}`;

/**
 * Model units of `reference` vs `setting`: for every (fold, seed) trained for both, the per-case
 * values (finite on both sides) paired by modality and case.
 */
export function modelUnits(rows: readonly TidyRow[], setting: string, options: ComparisonOptions): (ModelUnit & { fold: number; seed: number })[] {
  const ref = options.reference ?? "ours";
  const norm = options.norm ?? "batch";
  const cond = options.condition ?? "clean";
  const means = withCaseMeans(rows).filter((r) => r.structure === "mean" && r.metric === options.metric && r.norm === norm && r.condition === cond);
  const byUnit = (s: string) => {
    const m = new Map<string, Map<string, number>>();
    for (const r of means) {
      if (r.setting !== s) continue;
      const u = m.get(unitKey(r)) ?? new Map<string, number>();
      u.set(`${r.modality}/${r.case}`, r.value);
      m.set(unitKey(r), u);
    }
    return m;
  };
  const a = byUnit(ref);
  const b = byUnit(setting);
  const units: (ModelUnit & { fold: number; seed: number })[] = [];
  const keys = [...a.keys()].filter((k) => b.has(k)).sort((x, y) => {
    const [fx, sx] = x.split("/").map(Number);
    const [fy, sy] = y.split("/").map(Number);
    return fx! - fy! || sx! - sy!;
  });
  for (const k of keys) {
    const ua = a.get(k)!;
    const ub = b.get(k)!;
    const av: number[] = [];
    const bv: number[] = [];
    for (const c of [...ua.keys()].sort()) {
      const x = ua.get(c)!;
      const y = ub.get(c);
      if (y !== undefined && Number.isFinite(x) && Number.isFinite(y)) {
        av.push(x);
        bv.push(y);
      }
    }
    if (av.length === 0) continue;
    const [fold, seed] = k.split("/").map(Number) as [number, number];
    units.push({ id: `fold ${fold} seed ${seed}`, fold, seed, a: av, b: bv });
  }
  return units;
}

/** `reference` against every other setting in `rows` (paper order), Holm-adjusted over them. */
export function compareModels(rows: readonly TidyRow[], options: ComparisonOptions): ModelComparison[] {
  const ref = options.reference ?? "ours";
  const present = new Set(rows.map((r) => r.setting));
  if (!present.has(ref)) return [];
  const paper = pValues(rows, { metric: options.metric, reference: ref, norm: options.norm ?? "batch", condition: options.condition ?? "clean" });
  const out: Omit<ModelComparison, "pModelsHolm">[] = [];
  const others = [...SETTINGS.filter((s) => s !== ref && present.has(s)), ...[...present].filter((s) => s !== ref && !(SETTINGS as readonly string[]).includes(s)).sort()];
  for (const s of others) {
    const units = modelUnits(rows, s, options);
    if (units.length === 0) continue;
    const t = modelPairedTTest(units);
    const bs = hierarchicalBootstrap(units, BOOTSTRAP);
    const folds = [...new Set(units.map((u) => u.fold))].sort((x, y) => x - y);
    const perFold = folds.map((f) => {
      const us = units.filter((u) => u.fold === f);
      return { fold: f, diff: nanMean(us.map((u) => nanMean(u.a) - nanMean(u.b))), seeds: us.length, cases: us[0]!.a.length };
    });
    const pc = paper.find((p) => p.setting === s);
    out.push({
      reference: ref, setting: s, metric: options.metric, models: units.length, folds: folds.length,
      seeds: Math.max(...folds.map((f) => units.filter((u) => u.fold === f).length)),
      cases: bs.cases, diff: bs.estimate, ciLow: bs.ciLow, ciHigh: bs.ciHigh, pModels: t.p,
      pCases: pc?.pPaired ?? NaN, nCases: pc?.n ?? 0, perFold,
    });
  }
  const adj = holm(out.map((r) => r.pModels));
  return out.map((r, i) => ({ ...r, pModelsHolm: adj[i]! }));
}

/**
 * A difference in points as printed in readings: its sign ("+" or "−", U+2212) and one decimal;
 * "n/a" for NaN. A nonzero difference that one decimal would print as "+0.0" or "−0.0" gets two
 * ("−0.02"), and one that two decimals still print as zero is "0.00", unsigned: no printed sign
 * sits on zero digits. An exact zero stays "+0.0".
 */
export function signedPoints(x: number): string {
  if (Number.isNaN(x)) return "n/a";
  if (x === 0 || Math.abs(x) >= 0.05) return (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(1);
  return Math.abs(x) < 0.005 ? "0.00" : (x > 0 ? "+" : "−") + Math.abs(x).toFixed(2);
}

/** p as printed in readings: "n/a", scientific below 1e-4, else 4 decimals. */
export function formatP(p: number): string {
  return Number.isNaN(p) ? "n/a" : p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/**
 * The reading of {@link compareModels}: one line per comparison with the interval and both tests,
 * and which differences hold at 0.05 with the model as unit (Holm), or why none can (one model).
 */
export function comparisonNotes(cmp: readonly ModelComparison[], what = "Ours"): string[] {
  if (!cmp.length) return [];
  const sgn = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(1);
  const m = cmp[0]!;
  const lines = [
    `${what} vs each setting, unit = trained model (${m.models} per comparison: ${m.folds} fold${m.folds > 1 ? "s" : ""} × ${m.seeds} seed${m.seeds > 1 ? "s" : ""}); difference in points with its 95% hierarchical-bootstrap interval (models, then cases), paired t-test over model means (Holm over ${cmp.length} comparison${cmp.length > 1 ? "s" : ""}), and the paper's per-case paired t-test (${m.nCases} cases, ignores that the cases of a fold share one model): ` +
      cmp.map((r) => `${r.setting} ${sgn(r.diff)} [${sgn(r.ciLow)}, ${sgn(r.ciHigh)}], p_models = ${formatP(r.pModels)} (Holm ${formatP(r.pModelsHolm)}), p_cases = ${formatP(r.pCases)}`).join("; ") + ".",
  ];
  if (cmp.every((r) => r.models < 2)) {
    lines.push(`With one trained model per setting there is no test over models: differences between settings cannot be told from seed noise here (the per-case p-values above are not evidence of it).`);
  } else {
    const sig = cmp.filter((r) => r.pModelsHolm < 0.05);
    const ciOnly = cmp.filter((r) => !(r.pModelsHolm < 0.05) && (r.ciLow > 0 || r.ciHigh < 0));
    lines.push(
      (sig.length ? `Significant at 0.05 over trained models (Holm): ${sig.map((r) => `${r.setting} (${r.diff >= 0 ? `${what} above` : `${what} below`})`).join(", ")}.` : `No difference is significant at 0.05 over trained models (Holm).`) +
        (ciOnly.length ? ` The bootstrap interval excludes 0 for ${ciOnly.map((r) => r.setting).join(", ")}, but the test over ${ciOnly[0]!.models} models does not confirm it.` : ""),
    );
  }
  return lines;
}

/** Overall mean Dice (per-case mean over structures, both modalities) of each trained model of each setting. */
export function modelMeans(rows: readonly TidyRow[], norm = "batch"): Map<string, { fold: number; seed: number; dice: number }[]> {
  const perModel = new Map<string, { setting: string; fold: number; seed: number; v: number[] }>();
  for (const r of withCaseMeans(rows)) {
    if (r.structure !== "mean" || r.metric !== "dice" || r.norm !== norm) continue;
    const k = `${r.setting}|${r.fold ?? 0}|${r.seed}`;
    const m = perModel.get(k) ?? { setting: r.setting, fold: r.fold ?? 0, seed: r.seed, v: [] };
    m.v.push(r.value);
    perModel.set(k, m);
  }
  const out = new Map<string, { fold: number; seed: number; dice: number }[]>();
  for (const m of perModel.values()) out.set(m.setting, [...(out.get(m.setting) ?? []), { fold: m.fold, seed: m.seed, dice: nanMean(m.v) }]);
  return out;
}

/** Sample SD (n − 1) of the seeds' overall Dice, averaged over folds; NaN with one seed per fold. */
export function seedSd(models: readonly { fold: number; seed: number; dice: number }[]): number {
  const folds = [...new Set(models.map((m) => m.fold))];
  const sds = folds.map((f) => {
    const v = models.filter((m) => m.fold === f).map((m) => m.dice);
    if (v.length < 2) return NaN;
    const mu = nanMean(v);
    return Math.sqrt(v.reduce((a, x) => a + (x - mu) ** 2, 0) / (v.length - 1));
  });
  return nanMean(sds);
}
