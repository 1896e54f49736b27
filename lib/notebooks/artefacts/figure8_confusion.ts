/**
 * Figure 8: the soft confusion matrices q^a (CT) and q^b (MRI) of the KD loss and 5 x |q^a - q^b|
 * at four validation steps, with the alignment, the validation KD loss and the pooled validation
 * Dice per step as a table.
 */
import { confusionSpec } from "../figures.ts";
import { foldsOf } from "./common.ts";
import type { Artefact, ArtefactInput, ArtefactOutput } from "./types.ts";
import { COMMON_DIFFERS, ABDOMINAL_DATA } from "./text.ts";

function derive(input: ArtefactInput): ArtefactOutput {
  const runs = input.runs[0]!.runs;
  // with cross-validation there is one Ours run per fold: show the lowest fold's, and say which
  const folds = foldsOf(runs);
  const run = runs.find((r) => r.spec.setting === "ours" && (r.spec.fold ?? 0) === folds[0]) ?? runs[0]!;
  const which = folds.length > 1 ? `, fold ${run.spec.fold ?? 0} of ${folds.length}` : "";
  const val = run.val;
  const picks = val.length <= 4 ? val : [0, Math.round((val.length - 1) / 3), Math.round((2 * (val.length - 1)) / 3), val.length - 1].map((k) => val[k]!);
  const values: { step: number; panel: string; row: number; col: number; value: number }[] = [];
  for (const v of picks) {
    v.qCt.forEach((row, i) =>
      row.forEach((q, j) => {
        const b = v.qMri[i]![j]!;
        values.push({ step: v.step, panel: "CT (q^a)", row: i, col: j, value: q });
        values.push({ step: v.step, panel: "MRI (q^b)", row: i, col: j, value: b });
        values.push({ step: v.step, panel: "5 x |q^a - q^b|", row: i, col: j, value: Math.min(1, 5 * Math.abs(q - b)) });
      }),
    );
  }
  // diceCt/diceMri are pooled over the validation set (lib/train/validation.ts), not per-case means
  const rows = val.map((v) => ({ step: v.step, "val KD": v.kd, "mean |q^a - q^b|": v.qCt.flat().reduce((a, q, k) => a + Math.abs(q - v.qMri.flat()[k]!), 0) / v.qCt.flat().length, "pooled Dice CT": v.diceCt, "pooled Dice MRI": v.diceMri }));
  return {
    tables: [{ title: `Alignment of q^a and q^b during training (${run.spec.setting}, α = ${run.spec.alpha}${which})`, rows }],
    figures: [{ name: "figure8_confusion", title: `Figure 8 (ours${which})`, vegaLite: confusionSpec(values, `Figure 8 (ours${which}): q^a (CT), q^b (MRI) and 5x|difference| over training`) }],
    notes: [
      "Classes: 0 background, 1 liver, 2 right kidney, 3 left kidney, 4 spleen (the paper's figure lists 4..0 as liver, spleen, R-kdy, L-kdy).",
      "Pooled Dice: per class, 2 x overlap / (predicted + true voxels) summed over all validation cases of a modality, then the mean over the foreground classes (nnU-Net's \"pseudo Dice\"); the tables of Tables I/II give the mean of per-case Dice instead.",
    ],
  };
}

export const figure8Confusion: Artefact = {
  name: "figure8_confusion",
  configs: ["figure8_confusion"],
  paper: [],
  text: {
    title: "Figure 8 — evolution of the soft confusion matrices q^a (CT) and q^b (MRI)",
    caption: "Fig. 8: Visualization of the evolution of the alignment of prediction confusion matrices between CT (first row) and MRI (second row) modalities as training going on. The third row shows their absolute difference planes (with values amplified by a five-times scaling).",
    differs: [ABDOMINAL_DATA, ...COMMON_DIFFERS, "q matrices are those of the validation batches at each validation step of the Ours run of Table II (cache)."],
    reading: ["The paper's claim to check: the difference plane is small at initialisation, grows while the model starts learning, and becomes small again as the matrices align with stronger diagonals."],
  },
  derive,
};
