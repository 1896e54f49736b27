/**
 * `ummkd diagnose precise-bn HASH ...` and `ummkd diagnose class-presence HASH ...`: the tools of
 * issue 26's diagnosis (H1, H2) on a stored run (lib/notebooks/diagnose.ts). They read the run
 * store / cache and the training folder, and write only under --out.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "../util/repo-root.ts";
import { toCsv } from "../experiment/csv.ts";
import {
  DIAGNOSIS_COLUMNS, diagnoseClassPresence, diagnosePreciseBn, type ClassPresenceDiagnosis, type PreciseBnDiagnosis,
} from "../notebooks/diagnose.ts";
import { PRECISE_BN_STATISTICS, type PreciseBnStatistic } from "../train/precise-bn.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { parseFlags, positiveIntFlag, seedListFlag, UsageError } from "./args.ts";

const DEFAULT_OUT = join(REPO_ROOT, ".ummkd-cache", "diagnose");

const HELP = `usage: ummkd diagnose precise-bn HASH [--patches 200] [--statistics pooled,batch-average] [--seed S]
                                      [--metrics dice,hd,hd95,assd] [--data DIR] [--out DIR]
       ummkd diagnose class-presence HASH [--steps N] [--seed S] [--data DIR] [--out DIR]

Diagnosis of a stored run (issue 26), identified by its plan hash: the record <hash>.json in the
run store (UMMKD_RUN_STORE, default results/runs/) or the cache (UMMKD_CACHE, default
.ummkd-cache/runs/). Data are loaded as the runner loads them (--data or UMMKD_DATA for real data).
Output goes to --out (default .ummkd-cache/diagnose/).

precise-bn (H1: batch-norm statistics from one patch per step)
  Needs the run's best validation weights, <UMMKD_TRAIN_DIR or .ummkd-cache/train>/<hash>/best/
  (kept for plans with selection "best-val-dice", e.g. every cpu-profile Table II run).
  1. evaluates the test cases (and Table VI's artefact case) with the trained moving statistics
     ("moving-average": must reproduce the record's rows; the JSON's reproducesRecord says so);
  2. runs --patches training patches per modality (the plan's training source, seed = the plan's
     unless --seed: the first N training batches) forward in training mode, at the plan's batch
     size per modality, and collects every batch-norm layer's input statistics;
  3. re-evaluates with each estimate written into the moving statistics:
     pooled         mean and population variance over all voxels of all patches (includes the
                    spread of the patch means, which training with 1 patch never normalizes with)
     batch-average  the plain mean of per-batch means and unbiased per-batch variances (what the
                    decay-0.9 moving average estimates, without its weighting to the last ~10 steps)
  Modality-specific BN (chilopod, ours, individual) gets statistics of its own modality's patches;
  shared BN (joint, joint-kd, shared parts of y/x-shaped) of both modalities' patches together,
  as in training.
  Writes precise_bn_<hash>.csv: the run records' tidy columns plus plan_hash, bn_statistics
  (moving-average | pooled | batch-average) and patches, one row per case x structure x metric;
  and precise_bn_<hash>.json: summary per statistics and modality (mean per-case foreground Dice
  of the clean test cases, per structure), per-layer shift of the statistics, timings.

class-presence (H2: classes absent from a 1-patch batch, and the KD loss)
  Draws --steps (default: the plan's training steps) pairs of batches from the plan's training
  source with the plan's seed and sampling (the batches training saw) and reports, per class
  (background included: the KD loss averages over all classes):
    patch absent   fraction of sampled patches of a modality without a voxel of the class
    batch absent   fraction of steps whose whole batch of that modality lacks it (= patch absent
                   at 1 patch per modality)
    CT-only / MRI-only / both
                   fraction of steps with the class absent from the CT batch only, the MRI batch
                   only, or both. CT-only + MRI-only = "one-sided": the steps where the KD term of
                   that class (eq. 2-4, lib/losses/kd.ts) has a class-mean prediction on one side only.
  What the KD loss does then (lib/losses/kd.ts, option train.absentClass):
    "uniform" (released code; every committed run): an absent class's mean logit is 0, so its
      softened prediction is the uniform distribution and the term still counts: when one-sided,
      it pulls the other modality's class-mean prediction towards uniform (a gradient against
      confident predictions), and when absent from both it adds 0 but still counts in the mean
      over classes (diluting the loss).
    "skip": classes absent from either batch leave the mean; the mean is over the classes present
      in both (meanClassesInBoth on average).
  Writes class_presence_<hash>.json (all fractions, the run's alpha / T / absentClass) and
  class_presence_<hash>.csv (plan_hash, modality, class, quantity, value).

Cost on the cpu profile (2 cores, busy): precise-bn about 0.8 s per patch pair (200 patches: ~3 min)
plus the data loading (~20 s) and 3 evaluations (~15-30 s each);
class-presence a few seconds plus the data loading.`;

function parseStatistics(v: string | undefined): PreciseBnStatistic[] {
  if (v === undefined) return [...PRECISE_BN_STATISTICS];
  const items = v.split(",").map((s) => s.trim());
  if (!items.length || items.some((s) => s === "")) throw new OptionError("--statistics", v, `a comma-separated list of ${PRECISE_BN_STATISTICS.join(", ")}`);
  return items.map((s) => oneOf("--statistics", s, PRECISE_BN_STATISTICS));
}

function parseMetrics(v: string | undefined): ("dice" | "hd" | "hd95" | "assd")[] | undefined {
  if (v === undefined) return undefined;
  const all = ["dice", "hd", "hd95", "assd"] as const;
  return v.split(",").map((s) => oneOf("--metrics", s.trim(), all));
}

const pct = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "NaN");
const frac = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "NaN");

/** One line per modality: mean Dice with the trained statistics and each precise-BN estimate (delta in points). */
export function preciseBnSummaryLines(d: Pick<PreciseBnDiagnosis, "summary" | "patches">): string[] {
  const modalities = [...new Set(d.summary.map((s) => s.modality))];
  return modalities.map((m) => {
    const rows = d.summary.filter((s) => s.modality === m);
    const base = rows.find((s) => s.bn_statistics === "moving-average");
    const parts = rows.map((s) => {
      const delta = base && s !== base ? ` (${s.meanDice - base.meanDice >= 0 ? "+" : ""}${(s.meanDice - base.meanDice).toFixed(1)})` : "";
      return `${s.bn_statistics} ${pct(s.meanDice)}${delta}`;
    });
    return `${m.padEnd(3)} mean Dice % over ${rows[0]?.cases ?? 0} test cases: ${parts.join(" | ")}  [precise BN: ${d.patches} patches/modality]`;
  });
}

/** A text table of the class-presence fractions. */
export function classPresenceTable(d: ClassPresenceDiagnosis): string[] {
  const head = `${"class".padEnd(12)} ${"CT absent".padStart(9)} ${"MRI absent".padStart(10)} ${"CT-only".padStart(8)} ${"MRI-only".padStart(8)} ${"both".padStart(6)} ${"one-sided".padStart(9)}`;
  const lines = d.classes.map((c, k) =>
    `${c.padEnd(12)} ${frac(d.batchAbsent[0][k]!).padStart(9)} ${frac(d.batchAbsent[1][k]!).padStart(10)} ${frac(d.absentCtOnly[k]!).padStart(8)} ${frac(d.absentMriOnly[k]!).padStart(8)} ${frac(d.absentBoth[k]!).padStart(6)} ${frac(d.oneSided[k]!).padStart(9)}`,
  );
  return [
    `${d.label} (${d.hash}): ${d.steps} steps x ${d.batchSize} patch(es) per modality, source seed ${d.seed}; KD alpha ${d.kd.alpha}, T ${d.kd.temperature}, absentClass "${d.kd.absentClass}"`,
    "fractions of steps (batch absent):",
    head,
    ...lines,
    `steps with a one-sided foreground class: ${frac(d.stepsWithOneSidedForeground)}; classes present in both batches per step: ${d.meanClassesInBoth.toFixed(2)} of ${d.numClasses}`,
  ];
}

function classPresenceRows(d: ClassPresenceDiagnosis): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  const push = (modality: string, quantity: string, values: number[]) => values.forEach((value, k) => rows.push({ plan_hash: d.hash, modality, class: d.classes[k]!, quantity, value }));
  (["ct", "mri"] as const).forEach((m, i) => {
    push(m, "patch_absent", d.patchAbsent[i]!);
    push(m, "batch_absent", d.batchAbsent[i]!);
    push(m, "voxel_fraction_when_present", d.voxelFractionWhenPresent[i]!);
  });
  push("both", "absent_ct_only", d.absentCtOnly);
  push("both", "absent_mri_only", d.absentMriOnly);
  push("both", "absent_both", d.absentBoth);
  push("both", "one_sided", d.oneSided);
  return rows;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      patches: { type: "string" },
      statistics: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      metrics: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    "diagnose",
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [sub, hash, ...extra] = positionals;
  if (!sub || !hash || extra.length) throw new UsageError(`ummkd diagnose: expected 'precise-bn HASH' or 'class-presence HASH' (see 'ummkd diagnose --help')`);
  const what = oneOf("diagnose subcommand", sub, ["precise-bn", "class-presence"] as const);
  const seed = seedListFlag("seed", values.seed)?.[0];
  if (values.seed !== undefined && values.seed.includes(",")) throw new OptionError("--seed", values.seed, "one seed");
  const out = resolve(values.out ?? DEFAULT_OUT);
  const dataRoot = values.data ? resolve(values.data) : null;
  const log = (l: string) => console.error(`[ummkd diagnose] ${l}`);
  if (what === "precise-bn") {
    if (values.steps !== undefined) throw new OptionError("--steps", values.steps, "no value (--steps is class-presence's; precise-bn takes --patches)");
    const d = await diagnosePreciseBn(hash, {
      patches: positiveIntFlag("patches", values.patches) ?? 200,
      statistics: parseStatistics(values.statistics),
      ...(seed !== undefined ? { seed } : {}),
      ...(values.metrics !== undefined ? { metrics: parseMetrics(values.metrics)! } : {}),
      dataRoot,
      log,
    });
    mkdirSync(out, { recursive: true });
    const csv = join(out, `precise_bn_${hash}.csv`);
    const json = join(out, `precise_bn_${hash}.json`);
    writeFileAtomic(csv, toCsv(d.rows as unknown as Record<string, string | number>[], DIAGNOSIS_COLUMNS));
    const { rows: _rows, ...meta } = d;
    writeJsonAtomic(json, meta);
    console.log(`${d.label} (${hash}), best step ${d.bestStep}; moving-average rows reproduce the record: ${d.reproducesRecord.compared} compared, max |diff| ${d.reproducesRecord.maxAbsDiff}`);
    for (const l of preciseBnSummaryLines(d)) console.log(l);
    console.log(csv);
    console.log(json);
    return 0;
  }
  for (const k of ["patches", "statistics", "metrics"] as const) {
    if (values[k] !== undefined) throw new OptionError(`--${k}`, values[k], "no value (precise-bn's option, not class-presence's)");
  }
  const steps = positiveIntFlag("steps", values.steps);
  const d = await diagnoseClassPresence(hash, { ...(steps !== undefined ? { steps } : {}), ...(seed !== undefined ? { seed } : {}), dataRoot });
  mkdirSync(out, { recursive: true });
  const csv = join(out, `class_presence_${hash}.csv`);
  const json = join(out, `class_presence_${hash}.json`);
  writeFileAtomic(csv, toCsv(classPresenceRows(d), ["plan_hash", "modality", "class", "quantity", "value"]));
  writeJsonAtomic(json, d);
  for (const l of classPresenceTable(d)) console.log(l);
  console.log(csv);
  console.log(json);
  return 0;
}
