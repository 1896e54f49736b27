/**
 * Tables I and II share one derivation: Dice and distances per setting, modality and structure,
 * ours beside the paper's, plus a bar figure and the automatic reading against the paper.
 */
import { sideBySideRows, summarizeTidy } from "../../experiment/summary.ts";
import type { PaperTable } from "../paper.ts";
import { learningCurveRows, learningCurveSpec } from "../curves.ts";
import { barsFigure, compareSettings, orderingNotes, PAPER_STRUCTURES, settingsIn, tidyRowsOf } from "./common.ts";
import type { ArtefactInput, ArtefactOutput } from "./types.ts";

/**
 * Tables I/II from the runs of one config.
 * @param name notebook name (also the paper table's name)
 * @param input runs of the config `name` (first entry) and the paper table `name`
 */
export function deriveMainTable(name: "table1_cardiac" | "table2_abdominal", input: ArtefactInput): ArtefactOutput {
  const { config } = input.runs[0]!;
  const rows = tidyRowsOf(name, input.runs.slice(0, 1)).filter((r) => r.condition === "clean");
  const summary = summarizeTidy(rows);
  const paper = input.paper[name as PaperTable] ?? [];
  const structures = PAPER_STRUCTURES[config.task];
  const norm = input.norm ?? "batch";
  const settings = settingsIn(summary);
  const curves = learningCurveRows(input.runs[0]!.runs.filter((r) => r.spec.norm === norm));
  const side = (metric: string, ownOnly: boolean, paperMetric?: string) =>
    sideBySideRows(summary, ownOnly ? [] : paper, { metric, ...(paperMetric ? { paperMetric } : {}), structures, settings, norm });
  return {
    tables: [
      { title: "Dice (%), mean ± std over test cases — ours beside the paper", rows: side("dice", false) },
      { title: "ASSD (mm) — ours beside the paper's “Hausdorff distance (mm)” (which looks like ASSD, see notes)", rows: side("assd", false, "hd") },
      { title: "Hausdorff distance (mm, maximum) — ours", rows: side("hd", true) },
      { title: "HD95 (mm) — ours", rows: side("hd95", true) },
      ...(curves.length
        ? [{
            title: "Learning curves: pooled validation Dice (%) per structure at every validation step (every run)",
            rows: curves.map((r) => ({ ...r, pooled_dice: Math.round(r.pooled_dice * 100) / 100 })) as unknown as Record<string, string | number>[],
            file: "learning_curves",
          }]
        : []),
    ],
    figures: [
      barsFigure(`${name}_dice`, summary, `${config.artefact} (ours): mean Dice per setting`, "modality"),
      ...(curves.length ? [{ name: `${name}_learning_curves`, title: `${config.artefact} (ours): pooled validation Dice vs step`, vegaLite: learningCurveSpec(curves, `${config.artefact} (ours): pooled validation Dice vs training step`, settings) }] : []),
    ],
    notes: [...orderingNotes(rows, summary, paper, norm), ...compareSettings(summary, paper, norm)],
  };
}
