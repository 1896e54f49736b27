/**
 * Tidy long results: one row per (setting, norm, alpha, modality, case, structure, metric, seed).
 *
 * Columns (in file order) and units:
 * - notebook, profile, data_source ("synthetic" | "real:<dataset>"), condition ("clean" | "artefacts")
 * - setting, norm, alpha, seed, fold (cross-validation fold that tested the case; 0 without CV), modality ("ct" | "mri"), case (case id), structure (e.g. "LVM", "liver")
 * - metric: "dice" (percent, 0-100, as the paper prints it), "hd", "hd95", "assd" (millimetres)
 * - value: NaN where undefined (structure absent from prediction and label), Infinity where one
 *   side is empty (distances); summaries skip non-finite values and report how many were valid.
 *
 * Files live in `results/<notebook>/<profile>/tidy.csv` (see lib/notebooks/results.ts).
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { DataError } from "../util/errors.ts";
import { num, readCsv, toCsv } from "./csv.ts";

export const TIDY_COLUMNS = [
  "notebook", "profile", "data_source", "condition", "setting", "norm", "alpha", "seed", "fold",
  "modality", "case", "structure", "metric", "value",
] as const;
export type TidyColumn = (typeof TIDY_COLUMNS)[number];

export interface TidyRow {
  notebook: string;
  profile: string;
  data_source: string;
  condition: string;
  setting: string;
  norm: string;
  alpha: number;
  seed: number;
  /** Cross-validation fold whose test set held the case (0 without cross-validation). */
  fold: number;
  modality: string;
  case: string;
  structure: string;
  metric: string;
  value: number;
}

/** Serialise rows to CSV text with the fixed column order. */
export function tidyToCsv(rows: readonly TidyRow[]): string {
  return toCsv(rows as unknown as Record<TidyColumn, string | number>[], TIDY_COLUMNS);
}

/** Write rows atomically (temp file + rename): a reader never sees a half-written file. */
export function writeTidy(path: string, rows: readonly TidyRow[]): void {
  writeFileAtomic(path, tidyToCsv(rows));
}

/** Read a tidy CSV back, checking the header. */
export function readTidy(path: string): TidyRow[] {
  const recs = readCsv(path);
  if (recs.length) {
    // `fold` was added with cross-validation; files written before it have no such column (fold 0)
    const missing = TIDY_COLUMNS.filter((c) => c !== "fold" && !(c in recs[0]!));
    if (missing.length) throw new DataError(path, `missing tidy columns: ${missing.join(", ")}`);
  }
  return recs.map((r) => ({
    notebook: r.notebook!, profile: r.profile!, data_source: r.data_source!, condition: r.condition!,
    setting: r.setting!, norm: r.norm!, alpha: num(r.alpha), seed: num(r.seed), fold: r.fold === undefined ? 0 : num(r.fold),
    modality: r.modality!, case: r.case!, structure: r.structure!, metric: r.metric!, value: num(r.value),
  }));
}
