/**
 * The paper's central claim, answered from the committed run records: does Ours beat Joint (and the
 * other settings) here, with the trained model as unit, and the deviations of the `cpu` profile
 * from the paper beside it. README.md holds the generated text between markers
 * (`npm run readme` rewrites it; test/experiment/readme-generated.test.ts fails when it is stale).
 */
import { join } from "node:path";
import { REPO_ROOT } from "../util/repo-root.ts";
import { findRun } from "../experiment/cache.ts";
import { compareModels, formatP, modelMeans, seedSd, signedPoints, type ModelComparison } from "./comparisons.ts";
import { loadConfig } from "../plan/config.ts";
import { deviationMarkdown, deviationRows } from "./deviations.ts";
import { diagnosisJointVsOurs, H1_BATCH2_ACROSS, table2PooledOursJoint, type Table2Pooled } from "./artefacts/diagnosis_joint_vs_ours.ts";
import { holm } from "../stats/index.ts";
import { expandPlans, type HashedPlan } from "../plan/plan.ts";
import { withCaseMeans } from "../experiment/summary.ts";
import type { RunRecord } from "../experiment/run-record.ts";
import type { TidyRow } from "../experiment/tidy.ts";

/** The committed records of a config's default `cpu` grid (store only), and the plans without one. */
export function committedRuns(configName: string): { plans: HashedPlan[]; runs: RunRecord[]; missing: HashedPlan[] } {
  const config = loadConfig(join(REPO_ROOT, "data", "configs", `${configName}.json`));
  const plans = expandPlans(config, "cpu");
  const runs: RunRecord[] = [];
  const missing: HashedPlan[] = [];
  for (const p of plans) {
    const f = findRun<RunRecord>(p.hash);
    if (f?.where === "store") runs.push(f.record);
    else missing.push(p);
  }
  return { plans, runs, missing };
}

function rowsOf(runs: readonly RunRecord[], notebook: string): TidyRow[] {
  return runs.flatMap((r) => r.rows.map((x) => ({ notebook, ...x, fold: x.fold ?? 0 }))).filter((r) => r.condition === "clean");
}

function verdictLine(task: string, c: ModelComparison | undefined): string {
  if (!c) return `${task}: no committed comparison of Ours and Joint.`;
  const where = c.diff >= 0 ? "Ours is ahead of Joint" : "Joint is ahead of Ours";
  const ci = `${signedPoints(c.diff)} points (95% CI ${signedPoints(c.ciLow)} to ${signedPoints(c.ciHigh)}; ${c.models} trained model${c.models > 1 ? "s" : ""} per setting: ${c.folds} fold${c.folds > 1 ? "s" : ""} × ${c.seeds} seed${c.seeds > 1 ? "s" : ""})`;
  if (c.models < 2) return `${task}: Ours − Joint = ${ci}. One trained model per setting: no test over models is possible, so this difference cannot be told from seed noise.`;
  const sig = c.pModelsHolm < 0.05;
  return `${task}: Ours − Joint = ${ci}; ${where} on average, ${sig ? "and" : "but"} the test over trained models gives p = ${formatP(c.pModels)} (Holm over the six comparisons: ${formatP(c.pModelsHolm)}), ${sig ? "significant at 0.05" : "not significant at 0.05"}. The paper's per-case t-test on the same runs would say p = ${formatP(c.pCases)} (${c.nCases} cases), which ignores that the cases of a fold share one trained model.`;
}

/**
 * The README line on Table II's seed replicates so far (the diagnosis notebook's `table2_seeds`
 * rows: fold, seed, each setting's overall Dice or "–", "Ours − Joint"): per fold that has a replicate,
 * Ours and Joint at every seed, and the largest change of one setting's Dice between two seeds of the
 * same fold, set against the mean Ours − Joint gap of the default grid (`gap`). Null without replicates.
 */
export function replicateBullet(rows: readonly Record<string, string | number>[], gap: number): string | null {
  const folds = [...new Set(rows.filter((r) => Number(r.seed) !== 0).map((r) => Number(r.fold)))].sort((a, b) => a - b);
  if (!folds.length) return null;
  const num = (v: string | number | undefined) => (typeof v === "number" ? v : NaN);
  let move = { d: -Infinity, what: "" };
  const per = folds.map((f) => {
    const rs = rows.filter((r) => Number(r.fold) === f).sort((a, b) => Number(a.seed) - Number(b.seed));
    for (const setting of ["ours", "joint"] as const) {
      const v = rs.map((r) => num(r[setting])).filter(Number.isFinite);
      if (v.length > 1 && Math.max(...v) - Math.min(...v) > move.d) move = { d: Math.max(...v) - Math.min(...v), what: `${setting === "ours" ? "Ours" : "Joint"} on fold ${f}` };
    }
    const cell = (r: Record<string, string | number>) => `seed ${r.seed}: Ours ${Number.isFinite(num(r.ours)) ? num(r.ours).toFixed(1) : "–"}, Joint ${Number.isFinite(num(r.joint)) ? num(r.joint).toFixed(1) : "–"}${Number.isFinite(num(r["Ours − Joint"])) ? ` (${signedPoints(num(r["Ours − Joint"]))})` : ""}`;
    return `fold ${f} ${rs.map(cell).join("; ")}`;
  });
  const against = Number.isFinite(move.d) && Number.isFinite(gap)
    ? ` The seed alone moved ${move.what} by ${move.d.toFixed(1)} points, ${move.d >= Math.abs(gap) ? "as much as or more than" : "less than"} the grid's mean Ours − Joint gap (${signedPoints(gap)}).`
    : "";
  return `- Table II seed replicates so far (overall Dice; outside the default grid until every fold has 3 seeds; diagnosis notebook, table2_seeds.csv): ${per.join(" | ")}.${against}`;
}

/**
 * The Table II comparison of Ours and Joint that the answer uses: the default grid's, or, once the
 * seed replicates form a balanced set with more models than the grid (`tp.use`, the diagnosis's fixed
 * rule), the comparison over the grid and the replicates. Its significance is then read off the test
 * over fold means (`tp.pFolds`: the seeds of a fold share its cases), Holm-adjusted over the table's six
 * comparisons beside the other five's grid p-values (they have no replicates): `pModelsHolm` of the
 * returned comparison is that adjusted fold-level p, `pModels` stays the t-test over the models.
 * @param c2 the six comparisons of the default grid (Ours against each setting)
 * @param tp Ours − Joint over the grid and over the grid with its replicates
 */
export function abdominalAnswer(c2: readonly ModelComparison[], tp: Table2Pooled): { cmp: ModelComparison | undefined; pooled: boolean } {
  const grid = c2.find((c) => c.setting === "joint");
  if (!tp.use || !tp.pooled) return { cmp: grid, pooled: false };
  const i = c2.findIndex((c) => c.setting === "joint");
  const adj = i < 0 ? [tp.pFolds] : holm(c2.map((c, k) => (k === i ? tp.pFolds : c.pModels)));
  return { cmp: { ...tp.pooled, pModelsHolm: adj[Math.max(i, 0)]! }, pooled: true };
}

/** README's line on Ours − Joint over Table II's grid and its balanced seed replicates (the comparison of {@link abdominalAnswer}). */
export function pooledLine(c: ModelComparison, pFolds: number, foldCi?: readonly [number, number], jointAhead?: Table2Pooled["jointAhead"]): string {
  const where = c.diff >= 0 ? "Ours is ahead of Joint" : "Joint is ahead of Ours";
  const sig = c.pModelsHolm < 0.05;
  return `Abdominal with its seed replicates (Table II's Ours and Joint only; the answer above uses this line): Ours − Joint = ${signedPoints(c.diff)} points (95% CI ${signedPoints(c.ciLow)} to ${signedPoints(c.ciHigh)}; ${c.models} trained models per setting: ${c.folds} folds × ${c.seeds} seeds); ${where} on average${jointAhead ? ` (Joint ahead in ${jointAhead.models} of ${jointAhead.of} models and in ${jointAhead.folds} of ${jointAhead.ofFolds} fold means)` : ""}. ` +
    `The t-test over the ${c.models} models gives p = ${formatP(c.pModels)}, but the seeds of a fold share its training and test cases; over the ${c.folds} fold means (seeds averaged, the test of a balanced model with a random fold effect${foldCi ? `; 95% CI ${signedPoints(foldCi[0])} to ${signedPoints(foldCi[1])}` : ""}) p = ${formatP(pFolds)} (Holm with the other five comparisons at the grid's seed: ${formatP(c.pModelsHolm)}), ${sig ? "significant" : "not significant"} at 0.05.`;
}

/** The generated answer to "does Ours beat Joint here, and why or why not" (markdown). */
export function claimMarkdown(): string {
  const t1 = committedRuns("table1_cardiac");
  const t2 = committedRuns("table2_abdominal");
  const r1 = rowsOf(t1.runs, "table1_cardiac");
  const r2 = rowsOf(t2.runs, "table2_abdominal");
  const c1 = compareModels(r1, { metric: "dice" });
  const c2 = compareModels(r2, { metric: "dice" });
  const j1 = c1.find((c) => c.setting === "joint");
  const j2grid = c2.find((c) => c.setting === "joint");
  // Table II's seed replicates (outside the default grid): the answer uses them once balanced
  const gridKeys = new Set(t2.runs.map((r) => r.key));
  // the diagnosis's extras (its records and Table II's replicates) are read once, for its verdicts below and for this
  const extras = diagnosisJointVsOurs.loadExtras?.(join(REPO_ROOT, "results", diagnosisJointVsOurs.name)) ?? {};
  const reps = (extras as { table2Replicates?: readonly RunRecord[] }).table2Replicates ?? [];
  const tp = table2PooledOursJoint(r2, r2.length ? rowsOf(reps.filter((r) => !gridKeys.has(r.key)), "table2_abdominal") : []);
  const { cmp: j2, pooled: j2pooled } = abdominalAnswer(c2, tp);
  const lines: string[] = [];
  const sigJ = [j1, j2].filter((c): c is ModelComparison => !!c && c.models > 1 && c.pModelsHolm < 0.05);
  const dir = (c: ModelComparison | undefined) => (!c ? "n/a" : c.diff >= 0 ? `Ours ahead by ${c.diff.toFixed(1)}` : `Joint ahead by ${(-c.diff).toFixed(1)}`);
  lines.push(
    sigJ.length
      ? `**Answer: ${sigJ.map((c) => (c === j1 ? "cardiac" : "abdominal") + ": " + dir(c)).join("; ")} points, significant over trained models (Holm).**`
      : `**Answer: not demonstrably, either way.** Cardiac: ${dir(j1)} points; abdominal: ${dir(j2)} points. Neither difference is significant with the trained model as the unit (Holm), so at CPU scale this reproduction neither confirms the paper's claim nor establishes its reversal; the case-level p-values that suggested a reversal treat one model's cases as independent.`,
  );
  lines.push(`- ${verdictLine("Cardiac (Table I, synthetic phantoms)", j1)}`);
  lines.push(`- ${verdictLine("Abdominal (Table II, real BTCV CT + CHAOS MRI)", j2grid)}`);
  if (j2pooled && j2) lines.push(`- ${pooledLine(j2, tp.pFolds, tp.foldCi, tp.jointAhead)}`);
  if (j2grid && j2grid.perFold.length > 1) {
    const total = j2grid.perFold.reduce((a, f) => a + f.diff, 0);
    const worst = j2grid.perFold.reduce((a, f) => (f.diff < a.diff ? f : a));
    lines.push(
      `- Per fold (Table II), Ours − Joint: ${j2grid.perFold.map((f) => `fold ${f.fold} ${signedPoints(f.diff)}`).join(", ")}. ` +
        (total < 0 && worst.diff < 0 ? `Fold ${worst.fold} alone supplies ${signedPoints(worst.diff / j2grid.perFold.length)} of the ${signedPoints(total / j2grid.perFold.length)}-point mean.` : ""),
    );
  }
  const m1 = modelMeans(r1);
  const sd1 = [...m1].map(([s, v]) => [s, seedSd(v)] as const).filter(([, v]) => Number.isFinite(v));
  if (sd1.length) lines.push(`- Seed-to-seed SD of a setting's overall Dice (Table I, same data, different seed): ${sd1.map(([s, v]) => `${s} ${v.toFixed(1)}`).join(", ")} points.`);
  const others = (cs: ModelComparison[]) => cs.filter((c) => c.setting !== "joint").map((c) => `${c.setting} ${signedPoints(c.diff)} [${signedPoints(c.ciLow)}, ${signedPoints(c.ciHigh)}]${c.models > 1 ? ` p = ${formatP(c.pModelsHolm)}` : ""}`).join("; ");
  lines.push(`- Ours against the other settings (points, 95% CI${c1[0]?.models && c1[0].models > 1 ? ", Holm-adjusted p over models" : ""}): cardiac: ${others(c1)}. Abdominal: ${others(c2)}.`);
  // why: the diagnosis notebook's verdicts, from the same records
  const diag = diagnosisJointVsOurs.derive({
    runs: diagnosisJointVsOurs.configs.map((c) => ({ config: loadConfig(join(REPO_ROOT, "data", "configs", `${c}.json`)), runs: committedRuns(c).runs })),
    paper: {},
    extras,
  });
  const rep = replicateBullet(diag.tables.find((t) => t.file === "table2_seeds")?.rows ?? [], j2grid?.diff ?? NaN);
  if (rep) lines.push(rep);
  // H1 at the paper's batch across folds (the diagnosis's note), once two (fold, seed) units have both batches
  const b2note = diag.notes.find((n) => n.startsWith(H1_BATCH2_ACROSS));
  if (b2note) lines.push(`- Table II at the paper's batch${b2note.slice(H1_BATCH2_ACROSS.length).replace(/^ \(/, " (diagnosis H1; ")}`);
  lines.push(`- Why (notebooks/diagnosis_joint_vs_ours.ipynb): ${diag.tables[0]!.rows.map((h) => `**${String(h.hypothesis).split(":")[0]}** (${String(h.hypothesis).split(": ").slice(1).join(": ")}): ${h.verdict}.`).join(" ")}`);
  const missing = [...t1.missing, ...t2.missing].length;
  if (missing) lines.push(`- ${missing} plan(s) of the default grids have no committed record yet; the numbers above use the committed ones.`);
  return lines.join("\n");
}

/** The deviation table of the committed `cpu` grids (markdown). */
export function deviationsMarkdown(): string {
  const rows = ["table1_cardiac", "table2_abdominal"].flatMap((name) => {
    const { plans, runs } = committedRuns(name);
    const seeds = [...new Set(runs.map((r) => r.spec.seed))].sort((a, b) => a - b);
    const folds = new Set(plans.map((p) => p.plan.data.split.kind === "kfold" ? (p.plan.data.split as { fold: number }).fold : 0)).size;
    return deviationRows(plans[0]!.plan, seeds, folds);
  });
  return deviationMarkdown(rows);
}

/** README blocks generated here, by marker name. */
export function generatedBlocks(): Record<string, string> {
  return { deviations: deviationsMarkdown(), claim: claimMarkdown() };
}

/** `text` with each `<!-- BEGIN generated: NAME -->…<!-- END generated: NAME -->` block replaced. */
export function replaceBlocks(text: string, blocks: Record<string, string>): string {
  let out = text;
  for (const [name, body] of Object.entries(blocks)) {
    const begin = `<!-- BEGIN generated: ${name} (npm run readme) -->`;
    const end = `<!-- END generated: ${name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md: marker '${begin}' … '${end}' missing`);
    out = out.slice(0, i + begin.length) + "\n" + body + "\n" + out.slice(j);
  }
  return out;
}
