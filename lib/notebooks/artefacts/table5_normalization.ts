/**
 * Table V: cardiac segmentation with batch, instance and group normalization — Dice of the
 * settings per normalization, ours beside the paper's.
 */
import { compareModels, comparisonNotes, modelMeans, seedSd } from "../comparisons.ts";
import { sideBySideRows, summarizeTidy } from "../../experiment/summary.ts";
import { barsFigure, compareSettings, PAPER_STRUCTURES, settingsIn, tidyRowsOf } from "./common.ts";
import type { Artefact, ArtefactInput, ArtefactOutput } from "./types.ts";
import { COMMON_DIFFERS, CARDIAC_DATA } from "./text.ts";

function derive(input: ArtefactInput): ArtefactOutput {
  const { config } = input.runs[0]!;
  const rows = tidyRowsOf("table5_normalization", input.runs);
  const summary = summarizeTidy(rows);
  const paper = input.paper.table5_normalization ?? [];
  const norms = input.norms ?? config.norms;
  const settings = settingsIn(summary);
  const clean = rows.filter((r) => r.condition === "clean");
  const perModel = norms.flatMap((norm) => [...modelMeans(clean, norm)].map(([setting, models]) => ({ norm, setting, models })));
  const r2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : "n/a");
  return {
    tables: [
      ...norms.map((norm) => ({
        title: `${norm} normalization — Dice (%), ours beside the paper`,
        rows: sideBySideRows(summary, paper, { metric: "dice", structures: PAPER_STRUCTURES.cardiac, settings, norm }),
      })),
      {
        title: "Overall Dice (%) per trained model (fold × seed) and the seed SD of each setting",
        file: "seeds",
        rows: perModel.map(({ norm, setting, models }) => ({
          norm, setting, models: models.length,
          ...Object.fromEntries([...models].sort((a, b) => a.seed - b.seed).map((m) => [`seed ${m.seed}`, r2(m.dice)])),
          "mean of models": r2(models.reduce((a, m) => a + m.dice, 0) / models.length), "seed SD": r2(seedSd(models)),
        })),
      },
    ],
    figures: [barsFigure("table5_dice", summary, "Table V (ours): overall mean Dice per setting and normalization", "norm", perModel.flatMap(({ norm, setting, models }) => models.map((m) => ({ setting, group: norm, dice: m.dice }))))],
    notes: norms.flatMap((n) => [...compareSettings(summary, paper, n), ...comparisonNotes(compareModels(rows, { metric: "dice", norm: n })).map((l) => `  ${n}: ${l}`)]),
  };
}

export const table5Normalization: Artefact = {
  name: "table5_normalization",
  configs: ["table5_normalization"],
  paper: ["table5_normalization"],
  text: {
    title: "Table V — instance, layer and group normalization (cardiac, 2D)",
    caption: "TABLE V: Multi-modal cardiac segmentation with a 2D network by using different feature normalization layers (Dice, %).",
    differs: [CARDIAC_DATA, ...COMMON_DIFFERS],
    reading: ["The paper's claim to check: Ours ≥ Individual for every normalization, and instance norm gives the best Joint model."],
  },
  params: [["norms", "default (data/configs): instance, layer, group"], "alpha"],
  derive,
};
