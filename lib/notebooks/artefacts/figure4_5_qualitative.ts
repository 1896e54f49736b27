/**
 * Figures 4 and 5: the middle foreground slice of the first CT and the first MRI test case, ground
 * truth and each setting's prediction, structure boundaries coloured as the paper's captions.
 */
import { SETTINGS } from "../../models/types.ts";
import { qualitativeSvg } from "../figures.ts";
import type { RunRecord } from "../../experiment/run-record.ts";
import { CLASS_COLORS, CLASS_STRUCTURES, foldsOf } from "./common.ts";
import type { Artefact, ArtefactFigure, ArtefactInput, ArtefactOutput } from "./types.ts";
import { CARDIAC_DATA, ABDOMINAL_DATA } from "./text.ts";

const PANELS = [
  { name: "figure4_cardiac", title: "Figure 4 (ours): cardiac, seven settings — red LVM, yellow AA, blue LVC, green LAC" },
  { name: "figure5_abdominal", title: "Figure 5 (ours): abdominal, seven settings — red liver, yellow spleen, blue R-kdy, green L-kdy" },
] as const;

function derive(input: ArtefactInput): ArtefactOutput {
  const figures: ArtefactFigure[] = [];
  const foldNotes: string[] = [];
  for (const [k, exp] of input.runs.slice(0, 2).entries()) {
    const task = exp.config.task;
    // one fold for every panel (cross-validated runs: the first fold present), so that all settings show the same case
    const folds = foldsOf(exp.runs);
    const fold = folds[0]!;
    // and one seed (the lowest) where a setting has seed replicates
    const seed = Math.min(...exp.runs.map((r) => r.spec.seed));
    const runs: RunRecord[] = SETTINGS.map((s) => exp.runs.find((r) => r.spec.setting === s && (r.spec.fold ?? 0) === fold && r.spec.seed === seed)).filter((r): r is RunRecord => !!r);
    if (folds.length > 1) foldNotes.push(`${PANELS[k]!.name}: the runs of cross-validation fold ${fold} (every panel the same case).`);
    if (new Set(exp.runs.map((r) => r.spec.seed)).size > 1) foldNotes.push(`${PANELS[k]!.name}: the seed-${seed} run of each setting (of ${new Set(exp.runs.map((r) => r.spec.seed)).size} seeds).`);
    const rows = ["ct", "mri"].map((m) => {
      const sl = runs.map((r) => ({ title: r.spec.setting, slice: r.samples.find((s) => s.modality === m && !s.case.endsWith("-artefacts"))! })).filter((x) => x.slice);
      return { title: m.toUpperCase(), columns: sl.length ? [{ title: "ground truth", slice: sl[0]!.slice, show: "label" as const }, ...sl.map((x) => ({ ...x, show: "pred" as const }))] : [] };
    });
    figures.push({ ...PANELS[k]!, svg: qualitativeSvg(rows, CLASS_COLORS[task], { legend: CLASS_STRUCTURES[task] }) });
  }
  return { tables: [], figures, notes: ["Slices: the middle foreground slice of the first CT and the first MRI test case.", ...foldNotes] };
}

export const figure45Qualitative: Artefact = {
  name: "figure4_5_qualitative",
  configs: ["table1_cardiac", "table2_abdominal"],
  paper: [],
  text: {
    title: "Figures 4 and 5 — qualitative results of the seven settings",
    caption: "Fig. 4 / Fig. 5: Qualitative comparison of the segmentation results from the seven different settings on cardiac (red LVM, yellow AA, blue LVC, green LAC) and abdominal (red liver, yellow spleen, blue R-kdy, green L-kdy) segmentation.",
    differs: ["Uses the runs of Tables I and II (cache).", CARDIAC_DATA, ABDOMINAL_DATA, "One slice per modality: the middle foreground slice of the first test case."],
    reading: ["Contours are the boundaries of each predicted structure (ground truth in the first column)."],
  },
  derive,
};
