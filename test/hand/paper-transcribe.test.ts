// The paper transcription (lib/notebooks/paper-transcribe.ts -> results/paper/*.csv) against cells
// read by hand from the paper (Dou et al. 2020, Tables I-VI; /work/shared/paper text, checked
// against the printed column headers: CT LVM LAC LVC AA Mean | MRI LVM LAC LVC AA Mean | Overall,
// abdominal: liver spleen R-kdy L-kdy).
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { paperTable, type PaperTable } from "../../lib/notebooks/paper.ts";
import { transcribePaper } from "../../lib/notebooks/paper-transcribe.ts";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";

type Cell = [PaperTable, string, string, string, string, string, string, number];
// table, setting, norm, modality, structure, metric, stat, value (as printed)
const HAND: Cell[] = [
  ["table1_cardiac", "ours", "batch", "ct", "LVM", "dice", "mean", 88.5],
  ["table1_cardiac", "ours", "batch", "ct", "LVM", "dice", "std", 3.1],
  ["table1_cardiac", "ours", "batch", "mri", "AA", "dice", "mean", 83.1],
  ["table1_cardiac", "ours", "batch", "mri", "AA", "dice", "std", 5.8],
  ["table1_cardiac", "ours", "batch", "mri", "mean", "dice", "mean", 86.0],
  ["table1_cardiac", "ours", "batch", "overall", "mean", "dice", "mean", 88.8],
  ["table1_cardiac", "joint", "batch", "ct", "AA", "dice", "mean", 92.2],
  ["table1_cardiac", "payer2017", "batch", "mri", "LAC", "dice", "std", 13.8],
  ["table1_cardiac", "ours", "batch", "ct", "LAC", "hd", "mean", 2.43],
  ["table1_cardiac", "ours", "batch", "ct", "LAC", "hd", "std", 1.7],
  ["table1_cardiac", "joint", "batch", "overall", "mean", "hd", "mean", 2.94],
  ["table1_cardiac", "individual", "batch", "mri", "LAC", "hd", "std", 3.59],
  ["table2_abdominal", "ours", "batch", "ct", "liver", "dice", "mean", 92.7],
  ["table2_abdominal", "ours", "batch", "mri", "spleen", "dice", "mean", 87.4],
  ["table2_abdominal", "ours", "batch", "mri", "spleen", "dice", "std", 1.1],
  ["table2_abdominal", "joint", "batch", "mri", "R-kdy", "dice", "std", 0.1],
  ["table2_abdominal", "ours", "batch", "overall", "mean", "dice", "mean", 90.8],
  ["table2_abdominal", "ours", "batch", "mri", "L-kdy", "hd", "mean", 4.27],
  ["table2_abdominal", "joint", "batch", "ct", "liver", "hd", "std", 7.34],
  ["table3_pvalues_cardiac", "joint", "batch", "both", "all", "dice", "p", 6e-4],
  ["table3_pvalues_cardiac", "chilopod", "batch", "both", "all", "hd", "p", 7e-4],
  ["table4_pvalues_abdominal", "joint", "batch", "both", "all", "hd", "p", 2e-9],
  ["table4_pvalues_abdominal", "x-shaped", "batch", "both", "all", "dice", "p", 0.005],
  ["table5_normalization", "joint", "instance", "ct", "LVM", "dice", "mean", 86.6],
  ["table5_normalization", "joint", "instance", "ct", "LVM", "dice", "std", 2.4],
  ["table5_normalization", "ours", "layer", "mri", "mean", "dice", "mean", 85.0],
  ["table5_normalization", "chilopod", "group", "overall", "mean", "dice", "mean", 87.3],
  ["table5_normalization", "individual", "group", "ct", "AA", "dice", "std", 10.5],
  ["table6_outlier", "individual", "batch", "ct", "mean", "dice", "mean", 73.7],
  ["table6_outlier", "ours", "batch", "ct", "mean", "hd", "mean", 3.78],
  ["table6_outlier", "y-shaped", "batch", "ct", "mean", "hd", "mean", 5.83],
];

describe("paper tables: hand-checked cells", () => {
  it.each(HAND)("%s %s %s %s %s %s %s = %d", (table, setting, norm, modality, structure, metric, stat, value) => {
    const hits = paperTable(table).filter(
      (r) => r.setting === setting && r.norm === norm && r.modality === modality && r.structure === structure && r.metric === metric && r.stat === stat,
    );
    expect(hits.map((r) => r.value)).toEqual([value]);
  });

  it("row counts: 19 values per method row (Tables I, II, V), 6 p-values per metric, 7 outlier means per metric", () => {
    // Table I: 8 methods (Payer + 7 settings) x 2 metrics x 19 (8 structures x mean/std + 2 means + overall), Payer's HD absent
    expect(paperTable("table1_cardiac").length).toBe(8 * 19 + 7 * 19);
    expect(paperTable("table2_abdominal").length).toBe(7 * 19 * 2);
    expect(paperTable("table3_pvalues_cardiac").length).toBe(12);
    expect(paperTable("table5_normalization").length).toBe(15 * 19);
    expect(paperTable("table6_outlier").length).toBe(14);
  });

  const text = join(REPO_ROOT, "..", "shared", "paper", "dou2020-unpaired-multimodal-kd.txt");
  it.skipIf(!existsSync(text))("re-transcribing the paper text gives the committed CSVs", () => {
    const t = transcribePaper(readFileSync(text, "utf8"));
    for (const name of ["table1_cardiac", "table2_abdominal", "table3_pvalues_cardiac", "table4_pvalues_abdominal", "table5_normalization", "table6_outlier"] as const) {
      const got = (t[name] ?? []).map((r) => `${r.setting},${r.norm},${r.modality},${r.structure},${r.metric},${r.stat},${Number(r.value)}`);
      const want = paperTable(name).map((r) => `${r.setting},${r.norm},${r.modality},${r.structure},${r.metric},${r.stat},${r.value}`);
      expect(got, name).toEqual(want);
    }
  });
});
