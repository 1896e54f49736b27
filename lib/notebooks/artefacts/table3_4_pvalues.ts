/**
 * Tables III and IV: Ours against each setting on the per-case mean over structures (CT and MRI
 * cases pooled), for Dice, ASSD (beside the paper's "Hausdorff distance") and HD. Each comparison
 * with the trained model as unit (fold × seed: difference with a 95% hierarchical-bootstrap
 * interval, paired t-test over model means, Holm over the six comparisons of a table and metric;
 * ../comparisons.ts) and, beside it, the paper's test: a paired t-test over the test cases, which
 * ignores that the cases of a fold share one trained model. The paper's p-values beside ours.
 */
import { compareModels, comparisonNotes } from "../comparisons.ts";
import type { PaperTable } from "../paper.ts";
import { tidyRowsOf } from "./common.ts";
import type { Artefact, ArtefactInput, ArtefactOutput, ArtefactTable } from "./types.ts";

const PARTS: { label: string; paper: PaperTable }[] = [
  { label: "Table III (cardiac)", paper: "table3_pvalues_cardiac" },
  { label: "Table IV (abdominal)", paper: "table4_pvalues_abdominal" },
];

const p3 = (p: number) => (Number.isNaN(p) ? "n/a" : Number(p.toPrecision(3)));
const r3 = (x: number) => Number(x.toFixed(3));

function derive(input: ArtefactInput): ArtefactOutput {
  const tables: ArtefactTable[] = [];
  const perFold: Record<string, string | number>[] = [];
  const all: Record<string, string | number>[] = [];
  const notes: string[] = [
    "The paper's 'Hausdorff distance' p-values are placed beside our ASSD p-values (see Table I notes).",
    "Unit of the comparison: the trained model. A fold's test cases are all scored by one network trained with one seed, so they are not independent replicates; the replicates are the (fold, seed) models. 'p (models)' is a paired t-test over the models' mean values, Holm-adjusted over the six comparisons of a table and metric; the interval resamples models, then cases within them. 'p (cases, paper's test)' is the paired t-test over the test cases that the paper reports: it treats cases of one model as independent and overstates significance.",
  ];
  for (const [k, { label, paper: paperName }] of PARTS.entries()) {
    const rows = tidyRowsOf("table3_4_pvalues", input.runs.slice(k, k + 1));
    const paper = input.paper[paperName] ?? [];
    const out: Record<string, string | number>[] = [];
    for (const [metric, paperMetric] of [["dice", "dice"], ["assd", "hd"], ["hd", null]] as const) {
      const cmp = compareModels(rows, { metric });
      for (const r of cmp) {
        const pp = paperMetric ? paper.find((x) => x.setting === r.setting && x.metric === paperMetric)?.value : undefined;
        out.push({
          table: label, metric, setting: r.setting, "models (folds × seeds)": `${r.models} (${r.folds} × ${r.seeds})`, "cases": r.nCases,
          "ours − setting": r3(r.diff), "95% CI low": r3(r.ciLow), "95% CI high": r3(r.ciHigh),
          "p (models)": p3(r.pModels), "p (models, Holm)": p3(r.pModelsHolm), "p (cases, paper's test)": p3(r.pCases), "paper p": pp ?? "–",
        });
        for (const f of r.perFold) perFold.push({ table: label, metric, setting: r.setting, fold: f.fold, seeds: f.seeds, cases: f.cases, "ours − setting": r3(f.diff) });
      }
      if (metric === "dice") notes.push(`${label}, Dice: ` + comparisonNotes(cmp).join(" "));
    }
    all.push(...out);
    tables.push({ title: `${label}: Ours against each setting (per-case mean over structures, CT and MRI cases pooled): model-level difference, interval and test beside the paper's per-case test`, rows: out });
  }
  tables.push({ title: "Per-fold effects: Ours − setting, mean over the fold's seeds of the model's mean over its test cases", rows: perFold, file: "effects_per_fold" });
  const sig = (key: string) => all.filter((r) => r.metric === "dice" && typeof r[key] === "number" && (r[key] as number) < 0.05).length;
  const diceRows = all.filter((r) => r.metric === "dice");
  notes.push(
    `Reading: Dice comparisons with p < 0.05 — over trained models (Holm): ${sig("p (models, Holm)")} of ${diceRows.length}; the paper's per-case test on our runs: ${sig("p (cases, paper's test)")} of ${diceRows.length}; the paper: ${sig("paper p")} of ${diceRows.filter((r) => typeof r["paper p"] === "number").length}. Where ours − setting is negative, Ours is worse than that setting in our runs.`,
  );
  return { tables, figures: [], notes };
}

export const table34PValues: Artefact = {
  name: "table3_4_pvalues",
  configs: ["table1_cardiac", "table2_abdominal"],
  paper: ["table3_pvalues_cardiac", "table4_pvalues_abdominal"],
  text: {
    title: "Tables III and IV — p-values of Ours against every other setting",
    caption: "TABLE III / TABLE IV: P-values for statistical analysis of all settings for our proposed method on 2D cardiac / 3D organ segmentation.",
    differs: [
      "Uses the runs of Tables I and II (loaded from the cache when those notebooks ran first).",
      "**Unit of the comparison: the trained model.** All test cases of a fold are scored by one network trained with one seed, so they are not independent replicates. Each comparison reports the difference with a 95% hierarchical-bootstrap interval (resample the (fold, seed) models, then cases within them), a paired t-test over the models' mean values, and its Holm correction over the six comparisons of a table and metric (lib/notebooks/comparisons.ts). Per-fold effects are in their own table.",
      "**The paper's test beside it**: Student's paired t-test on per-case means over structures with CT and MRI cases pooled (the paper: “jointly considering both results of CT and MRI in each setting”), labelled as the test that ignores shared models: with one model per setting it measures case-to-case spread of that one model, not whether another seed would reproduce the difference.",
    ],
    reading: ["The paper reports p < 0.05 for every comparison, from its per-case test. Read our model-level columns first: where a setting has one trained model, no test over models exists and the per-case p-value is not evidence that the difference would survive another seed."],
  },
  derive,
};
