/**
 * The paper's numbers, transcribed once into `results/paper/*.csv` (lib/notebooks/paper-transcribe.ts).
 */
import { join } from "node:path";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";
import { num, readCsv } from "../experiment/csv.ts";
import type { PaperRowLike } from "../experiment/summary.ts";


export type PaperTable = "table1_cardiac" | "table2_abdominal" | "table3_pvalues_cardiac" | "table4_pvalues_abdominal" | "table5_normalization" | "table6_outlier";

export interface PaperRow extends PaperRowLike {
  source_table: string;
  unit: string;
}

/** Rows of one transcribed table (`results/paper/<name>.csv`). */
export function paperTable(name: PaperTable, dir = join(ROOT, "results", "paper")): PaperRow[] {
  return readCsv(join(dir, `${name}.csv`)).map((r) => ({
    source_table: r.source_table!, setting: r.setting!, norm: r.norm!, modality: r.modality!, structure: r.structure!,
    metric: r.metric!, stat: r.stat!, value: num(r.value), unit: r.unit!,
  }));
}
