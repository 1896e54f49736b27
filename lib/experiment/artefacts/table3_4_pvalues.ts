/**
 * Tables III and IV: t-tests of Ours against each setting on the per-case mean over structures
 * (CT and MRI cases pooled), for Dice, ASSD (beside the paper's "Hausdorff distance") and HD;
 * our p-values beside the paper's.
 */
import { pValues } from "../summary.ts";
import type { PaperTable } from "../paper.ts";
import { tidyRowsOf } from "./common.ts";
import type { Artefact, ArtefactInput, ArtefactOutput, ArtefactTable } from "./types.ts";

const PARTS: { label: string; paper: PaperTable }[] = [
  { label: "Table III (cardiac)", paper: "table3_pvalues_cardiac" },
  { label: "Table IV (abdominal)", paper: "table4_pvalues_abdominal" },
];

function derive(input: ArtefactInput): ArtefactOutput {
  const tables: ArtefactTable[] = [];
  const pv: Record<string, string | number>[] = [];
  for (const [k, { label, paper: paperName }] of PARTS.entries()) {
    const rows = tidyRowsOf("table3_4_pvalues", input.runs.slice(k, k + 1));
    const paper = input.paper[paperName] ?? [];
    const out: Record<string, string | number>[] = [];
    for (const [metric, paperMetric] of [["dice", "dice"], ["assd", "hd"], ["hd", null]] as const) {
      for (const r of pValues(rows, { metric })) {
        const pp = paperMetric ? paper.find((x) => x.setting === r.setting && x.metric === paperMetric)?.value : undefined;
        const row = { table: label, metric, setting: r.setting, n: r.n, "ours − setting": Number(r.meanDiff.toFixed(3)), "p (paired)": Number(r.pPaired.toPrecision(3)), "p (Welch)": Number(r.pWelch.toPrecision(3)), "paper p": pp ?? "–" };
        out.push(row);
        pv.push(row);
      }
    }
    tables.push({ title: `${label}: t-tests of Ours against each setting (per-case mean over structures, CT and MRI cases pooled)`, rows: out });
  }
  const sig = (rows: Record<string, unknown>[], key: string) => rows.filter((r) => typeof r[key] === "number" && (r[key] as number) < 0.05).length;
  const diceRows = pv.filter((r) => r.metric === "dice");
  return {
    tables,
    figures: [],
    notes: [
      "The paper's 'Hausdorff distance' p-values are placed beside our ASSD p-values (see Table I notes).",
      `Reading: Dice comparisons with p < 0.05 — ours (paired): ${sig(diceRows, "p (paired)")} of ${diceRows.length}; paper: ${sig(diceRows, "paper p")} of ${diceRows.filter((r) => typeof r["paper p"] === "number").length}. Where ours − setting is negative, Ours is worse than that setting in our runs.`,
    ],
  };
}

export const table34PValues: Artefact = {
  name: "table3_4_pvalues",
  configs: ["table1_cardiac", "table2_abdominal"],
  paper: ["table3_pvalues_cardiac", "table4_pvalues_abdominal"],
  derive,
};
