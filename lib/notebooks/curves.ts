/**
 * Learning curves: the evidence that a run finished learning at its budget. Every validation
 * record of every run becomes tidy rows of the pooled validation Dice per structure and modality
 * (pooled over the validation cases' patches/slices, nnU-Net's "pseudo Dice": not the per-case
 * test Dice of the tables), plus the validation KD loss; and one figure per notebook, a panel per
 * structure and modality, a line per setting (folds as separate thin lines).
 */
/** A Vega-Lite specification (rendered by lib/notebooks/figures.ts renderVegaLite). */
type VegaLiteSpec = Record<string, unknown>;
import type { RunRecord } from "../experiment/run-record.ts";
import { structuresOf } from "../experiment/data.ts";

export const CURVE_COLUMNS = ["setting", "norm", "alpha", "seed", "fold", "step", "modality", "structure", "pooled_dice", "val_kd"] as const;

export interface CurveRow {
  setting: string;
  norm: string;
  alpha: number;
  seed: number;
  fold: number;
  step: number;
  modality: "ct" | "mri";
  structure: string;
  /** Pooled validation Dice in percent (NaN where the structure is absent from prediction and label). */
  pooled_dice: number;
  /** Validation KD loss at that step (the same for every structure of the record). */
  val_kd: number;
}

/** Tidy learning-curve rows of a set of runs (in run order, then step order). */
export function learningCurveRows(runs: readonly Pick<RunRecord, "spec" | "val">[]): CurveRow[] {
  const out: CurveRow[] = [];
  for (const r of runs) {
    const structures = structuresOf(r.spec.task);
    for (const v of r.val) {
      for (const [modality, per] of [["ct", v.diceCtPerClass], ["mri", v.diceMriPerClass]] as const) {
        per.forEach((d, k) =>
          out.push({
            setting: r.spec.setting, norm: r.spec.norm, alpha: r.spec.alpha, seed: r.spec.seed, fold: r.spec.fold ?? 0,
            step: v.step, modality, structure: structures[k] ?? `class ${k + 1}`, pooled_dice: d * 100, val_kd: v.kd,
          }),
        );
      }
    }
  }
  return out;
}

/**
 * Figure: pooled validation Dice vs step, a panel per modality (rows) and structure (columns), a
 * colour per setting; runs of different folds/seeds/alphas are separate lines of that colour. Where
 * a setting has several runs (cross-validation folds), those are thin faint lines and a bold line
 * is their mean at each step (over the runs with a value there), so seven settings stay readable.
 */
export function learningCurveSpec(rows: readonly CurveRow[], title: string, settings: readonly string[]): VegaLiteSpec {
  const values = rows
    .filter((r) => Number.isFinite(r.pooled_dice))
    .map((r) => ({ step: r.step, dice: Math.round(r.pooled_dice * 100) / 100, setting: r.setting, run: `${r.setting} a${r.alpha} s${r.seed} f${r.fold} ${r.norm}`, modality: r.modality.toUpperCase(), structure: r.structure }));
  const x = { field: "step", type: "quantitative", title: "training step" };
  const y = { field: "dice", type: "quantitative", title: "pooled val Dice (%)", scale: { domain: [0, 100] } };
  const color = { field: "setting", type: "nominal", title: "setting", sort: [...settings] };
  const detail = { field: "run", type: "nominal" };
  // A run's name starts with its setting: more runs than settings means some setting has several.
  const severalRuns = new Set(values.map((v) => v.run)).size > new Set(values.map((v) => v.setting)).size;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: severalRuns ? { text: title, subtitle: "thin lines: each trained model (fold × seed); bold: their mean at each step" } : title,
    data: { values },
    facet: {
      row: { field: "modality", type: "nominal", title: null, sort: ["CT", "MRI"] },
      column: { field: "structure", type: "nominal", title: null, sort: [...new Set(rows.map((r) => r.structure))] },
    },
    spec: {
      width: 150,
      height: 110,
      ...(severalRuns
        ? {
            layer: [
              { mark: { type: "line", strokeWidth: 0.8, opacity: 0.3 }, encoding: { x, y, color, detail } },
              { mark: { type: "line", strokeWidth: 2 }, encoding: { x, y: { ...y, aggregate: "mean" }, color } },
            ],
          }
        : { mark: { type: "line", strokeWidth: 1, opacity: 0.8 }, encoding: { x, y, color, detail } }),
    },
    resolve: { scale: { x: "shared", y: "shared" } },
    ...(severalRuns ? { config: { legend: { symbolOpacity: 1, symbolStrokeWidth: 2 } } } : {}),
  };
}
