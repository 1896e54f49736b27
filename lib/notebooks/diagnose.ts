/**
 * Diagnosis of a stored run (issue 26): hypotheses H1 (batch-norm statistics from one patch per
 * step) and H2 (classes absent from the sampled patches, and what the KD loss does then), on a run
 * the runner trained and stored, identified by its plan hash.
 *
 * A stored run is its record `<store or cache>/<hash>.json` (the complete plan, lib/experiment/cache.ts
 * findRun) plus, for plans with `train.selection: "best-val-dice"`, the best validation weights in
 * `<trainDir(hash)>/best/` (lib/experiment/selection.ts BestWeights; `trainDir` honours
 * UMMKD_TRAIN_DIR). Data, model, training source and evaluation are built exactly as
 * runner.ts executeRun builds them.
 */
import { join } from "node:path";
import { initEngine } from "../engine/index.ts";
import { buildModel } from "../models/network.ts";
import type { SegmentationNetwork } from "../models/types.ts";
import type { Case, LabelVolume } from "../data/types.ts";
import { predictVolume2D5, predictVolume3D } from "../train/predict.ts";
import { measureClassPresence, type ClassPresenceResult } from "../train/class-presence.ts";
import { recomputeNormStatistics, setNormStatistics, type NormLayerStatistics, type PreciseBnStatistic } from "../train/precise-bn.ts";
import { DataError, OptionError } from "../util/errors.ts";
import { findRun } from "../experiment/cache.ts";
import { loadTaskData, structuresOf, type TaskData } from "../experiment/data.ts";
import { planLabel, type RunPlan } from "../plan/plan.ts";
import { evaluateCases, trainConfigOf, trainDir, type RunRecord } from "../experiment/runner.ts";
import { BestWeights, finiteMean } from "../experiment/selection.ts";
import { CaseBatchSource } from "../train/batch-source.ts";
import type { TidyRow } from "../experiment/tidy.ts";

/** A stored run: its record and where it was found. */
export interface StoredRun {
  hash: string;
  record: RunRecord;
  where: "store" | "cache";
}

/**
 * The record of a stored run (committed store `UMMKD_RUN_STORE` or results/runs/, then the cache `UMMKD_CACHE`).
 * @throws DataError if no record has this hash
 */
export function loadStoredRun(hash: string): StoredRun {
  if (!/^[0-9a-f]{6,64}$/.test(hash)) throw new OptionError("hash", hash, "a plan hash (hex, the record's file name without .json)");
  const found = findRun<RunRecord>(hash);
  if (!found) throw new DataError(hash, "no stored run with this plan hash (looked in the run store and the cache: UMMKD_RUN_STORE, UMMKD_CACHE)");
  return { hash, record: found.record, where: found.where };
}

/** The training batch source of a plan, as executeRun builds it (seed: the plan's unless given). */
export function trainingSourceOf(plan: RunPlan, data: Pick<TaskData, "train">, seed = plan.train.seed): CaseBatchSource {
  const s = plan.data.sampling;
  return new CaseBatchSource(data.train, s.mode, seed, { depth: Math.max(s.depth, 1), classCentred: s.classCentred });
}

/**
 * The run's network with its best validation weights (the weights its record was evaluated with).
 * @throws DataError if the run kept no best weights (selection "last": only the stored record remains)
 */
export function loadBestModel(hash: string, plan: RunPlan): { model: SegmentationNetwork; step: number; score: number; dir: string } {
  const dir = join(trainDir(hash), "best");
  if (plan.train.selection !== "best-val-dice")
    throw new DataError(dir, `plan ${hash} uses train.selection "${plan.train.selection}": no weights are kept after the record is stored (only "best-val-dice" keeps <trainDir>/<hash>/best/)`);
  const best = new BestWeights(dir);
  if (best.step === undefined) throw new DataError(dir, "no best weights here (meta.json missing); set UMMKD_TRAIN_DIR to the folder the run trained in");
  const config = trainConfigOf(plan);
  const model = buildModel({ ...config.model, seed: config.seed });
  best.restoreInto(model);
  return { model, step: best.step, score: best.score, dir };
}

/** Whole-volume prediction of a case as the runner does it. */
function predictorOf(plan: RunPlan, model: SegmentationNetwork): (c: Case, modality: 0 | 1) => Promise<LabelVolume> {
  return (c, modality) =>
    plan.data.sampling.mode === "2d" ? predictVolume2D5(model, c.image, modality) : predictVolume3D(model, c.image, modality, { patchDepth: plan.evaluate.blockDepth });
}

/** Which moving statistics an evaluation used: the trained ones, or a precise-BN estimate. */
export type BnStatistics = "moving-average" | PreciseBnStatistic;

/** A tidy row (as the run records', without `notebook`) tagged with the run and the statistics used. */
export type DiagnosisRow = Omit<TidyRow, "notebook"> & { plan_hash: string; bn_statistics: BnStatistics; patches: number };

export const DIAGNOSIS_COLUMNS = [
  "plan_hash", "bn_statistics", "patches", "profile", "data_source", "condition", "setting", "norm", "alpha", "seed", "fold",
  "modality", "case", "structure", "metric", "value",
] as const;

export interface PreciseBnSummary {
  bn_statistics: BnStatistics;
  modality: string;
  /** Test cases (condition "clean") and the mean over them of the per-case mean foreground Dice (%). */
  cases: number;
  meanDice: number;
  /** Per structure, mean Dice over the cases (%). */
  perStructure: Record<string, number>;
}

export interface PreciseBnDiagnosis {
  hash: string;
  label: string;
  bestStep: number;
  patches: number;
  seed: number;
  rows: DiagnosisRow[];
  summary: PreciseBnSummary[];
  /** The "moving-average" rows against the record's rows of the same case/structure/metric: a re-evaluation must reproduce them. */
  reproducesRecord: { compared: number; maxAbsDiff: number };
  /** Per batch-norm instance: how far the recomputed statistics are from the trained moving ones. */
  layers: { layer: string; instance: string; batches: number; count: number; meanAbsShiftMean: number; varRatioPooled: number; varRatioBatchAverage: number }[];
  wallS: { load: number; recompute: number; evaluate: number };
}

export interface PreciseBnDiagnosisOptions {
  /** Patches per modality (default 200). */
  patches?: number;
  /** Estimates to evaluate after "moving-average" (default both). */
  statistics?: PreciseBnStatistic[];
  /** Seed of the training source (default the plan's: the first `patches` training batches). */
  seed?: number;
  /** Metrics to evaluate (default the plan's). */
  metrics?: RunPlan["evaluate"]["metrics"];
  dataRoot?: string | null;
  /** Progress lines (default none). */
  log?: (line: string) => void;
}

/** Mean per-case foreground Dice per modality (clean test cases), per statistics variant. */
export function summarizeDice(rows: readonly DiagnosisRow[]): PreciseBnSummary[] {
  const out: PreciseBnSummary[] = [];
  const keys = [...new Set(rows.map((r) => `${r.bn_statistics}|${r.modality}`))];
  for (const key of keys) {
    const [bn, modality] = key.split("|") as [BnStatistics, string];
    const sel = rows.filter((r) => r.bn_statistics === bn && r.modality === modality && r.metric === "dice" && r.condition === "clean");
    const cases = [...new Set(sel.map((r) => r.case))];
    const structures = [...new Set(sel.map((r) => r.structure))];
    const perCase = cases.map((c) => finiteMean(sel.filter((r) => r.case === c).map((r) => r.value)));
    out.push({
      bn_statistics: bn, modality, cases: cases.length, meanDice: finiteMean(perCase),
      perStructure: Object.fromEntries(structures.map((s) => [s, finiteMean(sel.filter((r) => r.structure === s).map((r) => r.value))])),
    });
  }
  return out;
}

function layerShift(l: NormLayerStatistics) {
  const C = l.mean.length;
  let shift = 0, rp = 0, rb = 0;
  for (let c = 0; c < C; c++) {
    shift += Math.abs(l.mean[c]! - l.movingMeanBefore[c]!) / C;
    rp += l.variance[c]! / l.movingVarBefore[c]! / C;
    rb += l.batchVariance[c]! / l.movingVarBefore[c]! / C;
  }
  return { layer: l.layer, instance: l.instance, batches: l.batches, count: l.count, meanAbsShiftMean: shift, varRatioPooled: rp, varRatioBatchAverage: rb };
}

/**
 * H1: evaluate a stored run's best weights on its test cases with the trained moving statistics,
 * then with precise-BN statistics from `patches` training patches per modality (lib/train/precise-bn.ts).
 * @throws DataError if the run is not stored or kept no best weights; OptionError if it has no batch norm
 */
export async function diagnosePreciseBn(hash: string, options: PreciseBnDiagnosisOptions = {}): Promise<PreciseBnDiagnosis> {
  const log = options.log ?? (() => {});
  const patches = options.patches ?? 200;
  const statistics = options.statistics ?? ["pooled", "batch-average"];
  const { record } = loadStoredRun(hash);
  const plan = record.plan;
  if (plan.model.norm !== "batch") throw new OptionError("plan.model.norm", plan.model.norm, "batch (precise BN re-estimates batch-norm moving statistics; this run has none)");
  const seed = options.seed ?? plan.train.seed;
  const evalPlan: RunPlan = options.metrics ? { ...plan, evaluate: { ...plan.evaluate, metrics: options.metrics } } : plan;
  await initEngine();
  const t0 = Date.now();
  log(`${planLabel(plan)} (${hash}): loading data`);
  const data = await loadTaskData(plan, options.dataRoot ?? null);
  const { model, step, dir } = loadBestModel(hash, plan);
  if (step !== record.train.selectedStep) {
    model.dispose();
    throw new DataError(dir, `best weights of step ${step}, but the record was evaluated with step ${record.train.selectedStep} (a different training of this plan?)`);
  }
  const trained = model.getState();
  const rows: DiagnosisRow[] = [];
  const tag = (bn: BnStatistics, n: number) => (r: Omit<TidyRow, "notebook">): DiagnosisRow => ({ plan_hash: hash, bn_statistics: bn, patches: n, ...r });
  let tRecompute = 0;
  try {
    const t1 = Date.now();
    log(`evaluating the best weights (step ${step}) with the trained moving statistics`);
    const predict = predictorOf(evalPlan, model);
    rows.push(...(await evaluateCases(evalPlan, data, predict)).rows.map(tag("moving-average", 0)));
    log(`precise BN: ${patches} training patches per modality (source seed ${seed})`);
    const t2 = Date.now();
    const res = recomputeNormStatistics(model, trainingSourceOf(plan, data, seed), { patches, batchSize: plan.train.batchSize, statistic: statistics[0] ?? "pooled", dropoutSeed: seed });
    tRecompute = (Date.now() - t2) / 1000;
    for (const s of statistics) {
      model.setState(trained);
      setNormStatistics(model, res.layers, s);
      log(`evaluating with the ${s} statistics`);
      rows.push(...(await evaluateCases(evalPlan, data, predict)).rows.map(tag(s, res.patches)));
    }
    const recorded = new Map(record.rows.map((r) => [`${r.condition}|${r.modality}|${r.case}|${r.structure}|${r.metric}`, r.value]));
    let compared = 0, maxAbsDiff = 0;
    for (const r of rows) {
      if (r.bn_statistics !== "moving-average") continue;
      const v = recorded.get(`${r.condition}|${r.modality}|${r.case}|${r.structure}|${r.metric}`);
      if (v === undefined) continue;
      compared++;
      if (Number.isFinite(v) || Number.isFinite(r.value)) maxAbsDiff = Math.max(maxAbsDiff, Object.is(v, r.value) ? 0 : Math.abs(v - r.value));
    }
    const evaluate = (Date.now() - t1) / 1000 - tRecompute;
    return {
      hash, label: planLabel(plan), bestStep: step, patches: res.patches, seed, rows, summary: summarizeDice(rows),
      reproducesRecord: { compared, maxAbsDiff }, layers: res.layers.map(layerShift),
      wallS: { load: (t1 - t0) / 1000, recompute: tRecompute, evaluate },
    };
  } finally {
    for (const t of trained.values()) t.dispose();
    model.dispose();
  }
}

export interface ClassPresenceDiagnosis extends ClassPresenceResult {
  hash: string;
  label: string;
  seed: number;
  /** Class names, index k = class k (0 = background). */
  classes: string[];
  /** The run's KD settings: alpha (0 = KD not in the loss), temperature T, and its absent-class policy. */
  kd: { alpha: number; temperature: number; absentClass: string };
}

/**
 * H2: the first `steps` training batches of a stored run's plan (default: all its steps), drawn
 * from the production source with the plan's seed and sampling, and how often each class is absent.
 * Needs only the record and the data (no weights).
 */
export async function diagnoseClassPresence(hash: string, options: { steps?: number; seed?: number; dataRoot?: string | null } = {}): Promise<ClassPresenceDiagnosis> {
  const { record } = loadStoredRun(hash);
  const plan = record.plan;
  const seed = options.seed ?? plan.train.seed;
  const data = await loadTaskData(plan, options.dataRoot ?? null);
  const classes = ["background", ...structuresOf(plan.task)];
  const res = measureClassPresence(trainingSourceOf(plan, data, seed), { steps: options.steps ?? plan.train.steps, batchSize: plan.train.batchSize, numClasses: plan.model.numClasses });
  return { hash, label: planLabel(plan), seed, classes, kd: { alpha: plan.train.alpha, temperature: plan.train.T, absentClass: plan.train.absentClass }, ...res };
}
