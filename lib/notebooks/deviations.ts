/**
 * Every deviation of the committed `cpu` profile from the paper's recipe (Section IV-A, and the
 * authors' released code where the paper is silent: ../shared/paper/authors-code-notes.md), one row
 * per item and task. The `cpu` column is read from the resolved plans of Tables I and II (the same
 * plans whose hashes name the committed run records) and the seeds from the committed records, so the
 * table cannot drift from what was run. The paper column is transcribed text.
 */
import type { RunPlan } from "../plan/plan.ts";

/** One row: what, for which task, the paper's value, ours, and whether they differ. */
export interface DeviationRow {
  item: string;
  task: "cardiac" | "abdominal";
  paper: string;
  cpu: string;
  differs: boolean;
}

/** The paper's recipe per task, as the paper (and, marked, the released code) states it. */
const PAPER: Record<"cardiac" | "abdominal", Record<string, string>> = {
  cardiac: {
    data: "MM-WHS 2017: 20 CT + 20 MRI, real",
    split: "70/10/20% per modality, random",
    resolution: "~1.0×1.0 mm, 256×256, 3 adjacent slices",
    network: "2D dilated CNN, full width (Fig. 2)",
    batch: "8 per modality (16 per step)",
    steps: "150,000 (released code)",
    lr: "1e-4, ×0.95 every 1000 steps",
    selection: "not stated",
    norm: "batch norm, moving-average decay 0.9 (released code)",
    seeds: "1 run, not stated",
  },
  abdominal: {
    data: "BTCV 29 CT + CHAOS 9 MRI, real",
    split: "70/10/20% per modality, random",
    resolution: "~1.5×1.5×8 mm, 256×256×8 patches",
    network: "3D U-Net, full width (Fig. 3)",
    batch: "2 per modality (batch 4)",
    steps: "50,000 (released code)",
    lr: "1e-4, ×0.95 every 500 steps",
    selection: "not stated",
    norm: "batch norm, moving-average decay 0.9 (released code)",
    seeds: "1 run, not stated",
  },
};

const mm = (s: readonly number[]) => s.map((x) => String(x)).join("×");

/**
 * The deviation rows of one task's `cpu` plan.
 * @param plan a resolved plan of the task at `cpu` (any setting and fold)
 * @param seeds the seeds of the committed records behind its table
 * @param folds cross-validation folds of that table (1 without CV)
 */
export function deviationRows(plan: RunPlan, seeds: readonly number[], folds: number): DeviationRow[] {
  const task = plan.task;
  const p = PAPER[task];
  const d = plan.data;
  const t = plan.train;
  const ours: Record<string, string> = {
    data: d.source === "real" ? `${d.datasets.ct} + ${d.datasets.mri}, real` : `${d.datasets.ct} phantoms (no real cardiac CT volumes here)`,
    split: d.split.kind === "kfold" ? `${folds}-fold cross-validation over all cases (${d.split.file})` : `fixed synthetic cohorts (${Object.entries((d.split as { cases?: Record<string, number> }).cases ?? {}).map(([k, v]) => `${v} ${k}`).join(", ")} per modality)`,
    resolution: `${mm(d.spacing)} mm, ${mm(d.shape)}${d.sampling.mode === "2d" ? ", 3 adjacent slices" : ` (patches of depth ${d.sampling.depth})`}`,
    network: `${plan.model.network}, width ×${plan.model.width}`,
    batch: `${t.batchSize} per modality (${2 * t.batchSize} per step)`,
    steps: t.steps.toLocaleString("en-US"),
    lr: `${t.lr.toExponential(0).replace("e-3", "e-3")}, ×${t.lrDecay} every ${t.lrDecayEvery} steps`,
    selection: t.selection === "best-val-dice" ? `best validation Dice (every ${t.validateEvery} steps)` : String(t.selection),
    norm: `${plan.model.norm} norm, moving-average decay ${plan.model.normMomentum}`,
    seeds: `${seeds.length} seed${seeds.length === 1 ? "" : "s"} (${seeds.join(", ")}) per setting${folds > 1 ? " and fold" : ""}`,
  };
  const label: Record<string, string> = {
    data: "data", split: "split", resolution: "spacing, input", network: "network", batch: "batch",
    steps: "steps", lr: "learning rate", selection: "weights evaluated", norm: "normalization", seeds: "replicates",
  };
  return Object.keys(label).map((k) => ({ item: label[k]!, task, paper: p[k]!, cpu: ours[k]!, differs: p[k] !== ours[k] }));
}

/** Markdown table of the rows (both tasks side by side per item). */
export function deviationMarkdown(rows: readonly DeviationRow[]): string {
  const items = [...new Set(rows.map((r) => r.item))];
  const get = (item: string, task: string) => rows.find((r) => r.item === item && r.task === task);
  const lines = [
    "| item | cardiac (Table I/V): paper | cardiac: ours (`cpu`) | abdominal (Table II): paper | abdominal: ours (`cpu`) |",
    "|---|---|---|---|---|",
  ];
  for (const item of items) {
    const c = get(item, "cardiac");
    const a = get(item, "abdominal");
    lines.push(`| ${item} | ${c?.paper ?? "–"} | ${c?.cpu ?? "–"} | ${a?.paper ?? "–"} | ${a?.cpu ?? "–"} |`);
  }
  return lines.join("\n");
}
