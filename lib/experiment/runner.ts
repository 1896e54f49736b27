/**
 * The experiment runner: trains and evaluates every plan of a config at a profile (settings x
 * norms x alphas x seeds x cross-validation folds, lib/plan/plan.ts), one stored run each,
 * and collects tidy rows, validation curves (KD loss, q^a/q^b, pooled Dice per structure) and
 * sample slices for the qualitative figures.
 *
 * One run = build the plan's data (lib/experiment/data.ts) -> trainer (lib/train) on an unpaired
 * resumable source -> (model selection on the validation cases) -> whole-volume prediction of
 * every test case -> lib/metrics per structure -> tidy rows. Runs are keyed by their plan's hash
 * (lib/experiment/cache.ts: the committed store results/runs/, then the local cache); `force`
 * retrains.
 * Every run records its validation log (Figures 7/8) and sample slices (Figures 4/5), and every
 * abdominal run also evaluates Table VI's artefact case (condition "artefacts"), so notebooks that
 * need the same runs (Tables II/IV/VI, Figures 5/7/8) share one cached training.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { initEngine, engineFacts, engineInfo } from "../engine/index.ts";
import { buildModel } from "../models/network.ts";
import { BestWeights, selectionScore } from "./selection.ts";
import { acquireLock } from "../util/lock.ts";
import { evaluateSegmentation } from "../metrics/index.ts";
import type { TrainConfig } from "../train/config.ts";
import { train } from "../train/trainer.ts";
import { predictVolume2D5, predictVolume3D } from "../train/predict.ts";
import type { LogRecord, TrainProgress } from "../train/types.ts";
import { fmtDuration, type ProgressMode } from "../train/progress.ts";
import type { Case, LabelVolume } from "../data/types.ts";
import { foregroundZRange } from "../data/crop.ts";
import { findDataRoot } from "../data/root.ts";
import { provenance } from "../util/provenance.ts";
import { cachePut, cacheDir, decodeCacheJson, findRun, storeDir } from "./cache.ts";
import { sealRecords } from "./record-check.ts";
import type { ExperimentConfig, ExperimentProfile } from "../plan/config.ts";
import { loadTaskData, structuresOf, type TaskData } from "./data.ts";
import { resolveProfileName } from "../plan/profiles.ts";
import { expandPlans, planLabel, stableStringify, type GridOverrides, type HashedPlan, type RunPlan } from "../plan/plan.ts";
import { CaseBatchSource, validationSet } from "../train/batch-source.ts";
import type { TidyRow } from "./tidy.ts";
import { specOf, type RunRecord, type RunSpec, type SampleSlice, type ValRecord } from "./run-record.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";

export { specOf, type RunSpec, type ValRecord, type SampleSlice, type RunRecord };

export interface RunOptions {
  /** Retrain even when a cached run exists. */
  force?: boolean;
  /** Progress display for training (default "auto": a live line in notebooks, a bar in terminals). */
  progress?: ProgressMode;
  /** Called when a run starts / finishes (with whether it came from the cache). */
  onRun?: (spec: RunSpec, event: "start" | "done", record?: RunRecord) => void;
  /** Appended to each training progress line (set by `runPlans`: "run k of n to train, all runs ETA ..."). */
  progressSuffix?: (p: TrainProgress) => string;
}


function middleForegroundSlice(c: Case): number {
  const r = c.label ? foregroundZRange(c.label) : null;
  return r ? Math.floor((r[0] + r[1]) / 2) : Math.floor(c.image.shape[2] / 2);
}

function sliceOf(c: Case, pred: Uint8Array, z: number): SampleSlice {
  const [nx, ny] = c.image.shape;
  const plane = nx * ny;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    modality: c.modality,
    case: c.id,
    z,
    width: nx,
    height: ny,
    image: Array.from(c.image.data.subarray(z * plane, (z + 1) * plane), round),
    label: Array.from(c.label!.data.subarray(z * plane, (z + 1) * plane)),
    pred: Array.from(pred.subarray(z * plane, (z + 1) * plane)),
  };
}

/** The trainer's config of a plan (execution-only knobs: checkpoint/log frequency). */
export function trainConfigOf(plan: RunPlan, exec: { checkpointEvery?: number; logEvery?: number } = {}): TrainConfig {
  const { optimizer: _o, lrSchedule: _s, selection: _sel, T, ...t } = plan.train;
  return { ...t, temperature: T, model: { ...plan.model, seed: plan.train.seed }, checkpointEvery: exec.checkpointEvery ?? 0, logEvery: exec.logEvery ?? 10 };
}

/** Where runs train (checkpoints, log, best weights): `$UMMKD_TRAIN_DIR` or `<repo>/.ummkd-cache/train/<hash>`. */
export function trainDir(hash: string): string {
  return join(process.env.UMMKD_TRAIN_DIR ?? join(ROOT, ".ummkd-cache", "train"), hash);
}

/** Validation records of a run's log (complete after a resume: the trainer truncates the log to its checkpoint). */
function valRecordsOf(logPath: string | undefined, fallback: ValRecord[]): ValRecord[] {
  if (!logPath || !existsSync(logPath)) return fallback;
  return readFileSync(logPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as LogRecord).filter((r): r is ValRecord => r.type === "val");
}

/**
 * Train and evaluate one plan (no store/cache). With `runDir`, training checkpoints there at every
 * validation and an interrupted run resumes from it; the best validation weights are kept in
 * `<runDir>/best/`.
 */
export async function executeRun(plan: RunPlan, data: TaskData, options: RunOptions & { runDir?: string } = {}): Promise<Omit<RunRecord, "key">> {
  await initEngine();
  const spec = specOf(plan);
  const mode = plan.data.sampling.mode;
  const depth = plan.data.sampling.depth;
  const config = trainConfigOf(plan, { checkpointEvery: options.runDir ? plan.train.validateEvery || 100 : 0 });
  const source = new CaseBatchSource(data.train, mode, plan.train.seed, { depth: Math.max(depth, 1), classCentred: plan.data.sampling.classCentred });
  const validation = validationSet(data.val, mode, mode === "2d" ? { batchSize: Math.min(4, config.batchSize * 2) } : { batchSize: 1, perCase: 4, depth });
  const live: ValRecord[] = [];
  const model = buildModel({ ...config.model, seed: config.seed });
  const best = plan.train.selection === "best-val-dice" ? new BestWeights(options.runDir ? join(options.runDir, "best") : undefined) : undefined;
  let res: Awaited<ReturnType<typeof train>>;
  try {
    res = await train(config, { train: source, validation }, {
      progress: options.progress ?? "auto",
      label: planLabel(plan),
      ...(options.progressSuffix ? { progressSuffix: options.progressSuffix } : {}),
      ...(options.runDir ? { runDir: options.runDir } : {}),
      onLog: (r) => {
        if (r.type !== "val") return;
        live.push(r);
        best?.offer(r.step, selectionScore(r), model);
      },
      model,
    });
  } catch (e) {
    await best?.settled().catch(() => undefined);
    model.dispose();
    throw e;
  }
  await best?.settled();
  const val = valRecordsOf(res.logPath, live);
  const lastVal = val.at(-1);
  let selectedStep = res.steps;
  let selectedValDice: number | null = lastVal ? selectionScore(lastVal) : null;
  if (best?.step !== undefined) {
    if (best.step !== res.steps) best.restoreInto(res.model);
    selectedStep = best.step;
    selectedValDice = best.score;
  }
  const t0 = Date.now();
  let ev: { rows: Omit<TidyRow, "notebook">[]; samples: SampleSlice[] };
  try {
    ev = await evaluateCases(plan, data, (c, modality) =>
      mode === "2d" ? predictVolume2D5(res.model, c.image, modality) : predictVolume3D(res.model, c.image, modality, { patchDepth: plan.evaluate.blockDepth }),
    );
  } finally {
    res.model.dispose();
  }
  const { rows, samples } = ev;
  return {
    plan,
    spec,
    dataSource: `${data.source.ct} + ${data.source.mri}`,
    rows,
    val,
    samples,
    train: {
      steps: res.steps, wallS: res.wallS, ...(res.resumedFrom > 0 ? { resumedFrom: res.resumedFrom } : {}),
      evalS: (Date.now() - t0) / 1000, lastLoss: res.lastLosses?.total ?? null, selectedStep, selectedValDice,
    },
    provenance: provenance(plan.train.seed, engineFacts()),
  };
}

/**
 * The tidy rows of a trained run: every test case (condition "clean") and Table VI's artefact case
 * ("artefacts") predicted by `predict`, then per structure (class k + 1 = structuresOf(task)[k])
 * every metric of the plan (Dice in percent, distances in mm), plus the sample slices of
 * Figures 4/5 (the first test case of each modality and the artefact case, middle foreground slice).
 */
export async function evaluateCases(
  plan: RunPlan,
  data: Pick<TaskData, "test" | "outlier" | "source">,
  predict: (c: Case, modality: 0 | 1) => LabelVolume | Promise<LabelVolume>,
): Promise<{ rows: Omit<TidyRow, "notebook">[]; samples: SampleSlice[] }> {
  const spec = specOf(plan);
  const structures = structuresOf(spec.task);
  const labels = structures.map((_, k) => k + 1);
  const rows: Omit<TidyRow, "notebook">[] = [];
  const samples: SampleSlice[] = [];
  const evalCases: [Case, string][] = [...data.test.ct, ...data.test.mri].map((c) => [c, "clean"]);
  if (data.outlier) evalCases.push([data.outlier, "artefacts"]);
  for (const [c, condition] of evalCases) {
    const pred = await predict(c, c.modality === "ct" ? 0 : 1);
    const metrics = evaluateSegmentation(pred, c.label!, { labels });
    for (const m of metrics) {
      for (const metric of plan.evaluate.metrics) {
        rows.push({
          profile: spec.profile, data_source: data.source[c.modality], condition, setting: spec.setting, norm: spec.norm,
          alpha: spec.alpha, seed: spec.seed, fold: spec.fold, modality: c.modality, case: c.id, structure: structures[m.label - 1]!,
          metric, value: metric === "dice" ? m.dice * 100 : m[metric],
        });
      }
    }
    if (condition === "artefacts" || !samples.some((s) => s.modality === c.modality))
      samples.push(sliceOf(c, pred.data, middleForegroundSlice(c)));
  }
  return { rows, samples };
}

/** Notebook parameters that override a config's grid (all optional). */
export type ExperimentOverrides = GridOverrides;

export interface ExperimentResult {
  config: ExperimentConfig;
  profile: ExperimentProfile;
  /** The plans of this experiment, in run order, with their hashes. */
  plans: HashedPlan[];
  runs: RunRecord[];
  rows: TidyRow[];
  startedAt: string;
  endedAt: string;
  wallS: number;
  /** How many runs were trained now vs loaded from the store or cache. */
  trained: number;
  cached: number;
  backend: string | null;
}

/**
 * Where a newly trained run is written: the committed store when the plan belongs to the config's
 * default grid at cpu/paper (so a subset of folds or settings run separately still lands there),
 * else the cache (tweaked parameters never touch results/).
 */
function saveDirFor(config: ExperimentConfig, profile: ExperimentProfile, dataRoot: string | undefined): (hash: string) => string {
  if (profile !== "cpu" && profile !== "paper") return () => cacheDir();
  // expanded only when a run is trained (loading stored runs needs no second expansion)
  let canonical: Set<string> | undefined;
  return (hash) => {
    canonical ??= new Set(expandPlans(config, profile, dataRoot ? { dataRoot } : {}).map((p) => p.hash));
    return canonical.has(hash) ? storeDir() : cacheDir();
  };
}

/**
 * Run (or load from the store/cache) the given plans of `config` at `profile`, in order: one lock
 * per plan, stored runs loaded, the others trained (resuming from their checkpoint in
 * {@link trainDir}) and written to the store or cache (the body of {@link runExperiment}; a sweep
 * task, lib/sweep, calls it with one plan).
 * @returns the run records in plan order and how many were trained now
 */
export async function runPlans(
  config: ExperimentConfig,
  profile: ExperimentProfile,
  plans: HashedPlan[],
  options: RunOptions & { dataRoot?: string } = {},
): Promise<{ runs: RunRecord[]; trained: number }> {
  const saveDir = saveDirFor(config, profile, options.dataRoot);
  const runs: RunRecord[] = [];
  let trained = 0;
  const dataMemo = new Map<string, TaskData>();
  // "run k of n" and the ETA of all runs still to train (progress lines of each training)
  const toTrain = plans.filter((p) => options.force || !findRun(p.hash));
  for (const { hash, plan } of plans) {
    const spec = specOf(plan);
    options.onRun?.(spec, "start");
    // one process per plan at a time: a second notebook or sweep job waits here, then finds the stored record
    const lock = await acquireLock(join(dirname(trainDir(hash)), `${hash}.lock`), {
      onWait: (holder) => console.log(`[ummkd] ${planLabel(plan)} (${hash}) is being trained by ${holder}; waiting for it`),
    });
    let rec: RunRecord;
    try {
      const found = options.force ? undefined : findRun<RunRecord>(hash);
      if (found) rec = { ...found.record, cached: true, from: found.where };
      else {
        // cases are shared by every plan with the same data section (all settings of a fold)
        const dkey = stableStringify({ data: { ...plan.data, sampling: null }, outlier: plan.evaluate.outlier, task: plan.task });
        let data = dataMemo.get(dkey);
        if (!data) {
          dataMemo.clear(); // one fold's volumes at a time
          data = await loadTaskData(plan, options.dataRoot ?? null);
          dataMemo.set(dkey, data);
        }
        const runDir = trainDir(hash);
        if (options.force) rmSync(runDir, { recursive: true, force: true });
        rec = { key: hash, ...(await executeRun(plan, data, { ...options, runDir, progressSuffix: runsProgress(toTrain, hash) })) };
        const dir = saveDir(hash);
        cachePut(hash, rec, dir);
        // a run trained into the committed store seals itself (results/runs/SHA256SUMS, lib/experiment/record-check.ts)
        if (dir === storeDir()) await sealRecords(dir, decodeCacheJson, [hash]);
        // the record is stored: the resumable training state is no longer needed (best weights are kept)
        rmSync(join(runDir, "checkpoint"), { recursive: true, force: true });
        rec.cached = false;
        rec.from = "trained";
        trained++;
      }
    } finally {
      lock.release();
    }
    options.onRun?.(spec, "done", rec);
    runs.push(rec);
  }
  return { runs, trained };
}

/** "1 run (1 trained, 0 from the cache) in 3.2 s": the line a training process ends with (CLI, notebook child). */
export function runsSummary(runs: number, trained: number, seconds: number): string {
  return `${runs} run${runs === 1 ? "" : "s"} (${trained} trained, ${runs - trained} from the cache) in ${seconds.toFixed(1)} s`;
}
/** Matches `runsSummary`'s line (the notebook's progress view keeps it). */
export const RUNS_SUMMARY = /\bruns? \(\d+ trained, \d+ from the cache\)/;

/**
 * "run k of n, all runs ETA T" for the run `hash` among the runs to train: this run's ETA plus the
 * later runs' steps at this run's rate so far.
 */
export function runsProgress(toTrain: readonly HashedPlan[], hash: string): (p: TrainProgress) => string {
  const k = toTrain.findIndex((p) => p.hash === hash);
  if (k < 0) return () => "";
  const laterSteps = toTrain.slice(k + 1).reduce((a, p) => a + p.plan.train.steps, 0);
  let perStep = NaN;
  return (p) => {
    const left = p.totalSteps - p.step;
    if (left > 0 && Number.isFinite(p.etaS)) perStep = p.etaS / left;
    const all = laterSteps === 0 ? p.etaS : p.etaS + perStep * laterSteps;
    return `run ${k + 1} of ${toTrain.length} to train${toTrain.length > 1 ? `, all runs ETA ${fmtDuration(all)}` : ""}`;
  };
}

/**
 * Run (or load from the store/cache) every plan of `config` at `profile` (default: UMMKD_PROFILE,
 * else quick).
 * @param expanded the plans when the caller has expanded them already (a notebook whose training
 *   child trained them, lib/notebooks/notebook.ts); default: `expandPlans(config, profile, options)`
 */
export async function runExperiment(
  config: ExperimentConfig,
  options: RunOptions & ExperimentOverrides & { profile?: string | null } = {},
  expanded?: HashedPlan[],
): Promise<ExperimentResult> {
  const profile = resolveProfileName(options.profile ?? null);
  const started = new Date();
  const plans = expanded ?? expandPlans(config, profile, options);
  const { runs, trained } = await runPlans(config, profile, plans, options);
  const rows: TidyRow[] = runs.flatMap((r) => r.rows.map((x) => ({ notebook: config.name, ...x, fold: x.fold ?? 0 })));
  const ended = new Date();
  return {
    config, profile, plans, runs, rows,
    startedAt: started.toISOString(), endedAt: ended.toISOString(), wallS: (ended.getTime() - started.getTime()) / 1000,
    trained, cached: runs.length - trained, backend: runs.find((r) => r.provenance?.backend)?.provenance.backend ?? engineInfo()?.backend ?? null,
  };
}
