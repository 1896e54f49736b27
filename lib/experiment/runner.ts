/**
 * The experiment runner: trains and evaluates every (setting, norm, alpha, seed) of a config at a
 * profile, one cached run each, and collects tidy rows, validation curves (KD loss, q^a/q^b) and
 * sample slices for the qualitative figures.
 *
 * One run = build the data (lib/experiment/data.ts) -> trainer (lib/train) on an unpaired
 * resumable source -> whole-volume prediction of every test case -> lib/metrics per structure ->
 * tidy rows. Runs are cached by a hash of their spec (lib/experiment/cache.ts); `force` retrains.
 * Every run records its validation log (Figures 7/8) and sample slices (Figures 4/5), and every
 * abdominal run also evaluates Table VI's artefact case (condition "artefacts"), so notebooks that
 * need the same runs (Tables II/IV/VI, Figures 5/7/8) share one cached training.
 */
import { initEngine, engineInfo } from "../engine/index.ts";
import { evaluateSegmentation } from "../metrics/index.ts";
import { usesKD, type NormKind, type Setting } from "../models/types.ts";
import { resolveTrainConfig, type TrainConfigInput } from "../train/config.ts";
import { train } from "../train/trainer.ts";
import { predictVolume2D5, predictVolume3D } from "../train/predict.ts";
import type { LogRecord } from "../train/types.ts";
import type { ProgressMode } from "../train/progress.ts";
import type { Case } from "../data/types.ts";
import { foregroundZRange } from "../data/crop.ts";
import { findDataRoot } from "../data/root.ts";
import { provenance, type Provenance } from "../util/provenance.ts";
import { cacheGet, cachePut, runKey } from "./cache.ts";
import type { ExperimentConfig, ExperimentProfile, ProfileSpec } from "./config.ts";
import { loadTaskData, structuresOf, type TaskData } from "./data.ts";
import { resolveProfile, resolveProfileName } from "./profiles.ts";
import { CaseBatchSource, validationSet } from "./sources.ts";
import type { TidyRow } from "./tidy.ts";

/** Everything that determines one training run's result (hashed for the cache). */
export interface RunSpec {
  task: ExperimentConfig["task"];
  network: ExperimentConfig["network"];
  setting: Setting;
  norm: NormKind;
  alpha: number;
  seed: number;
  profile: ExperimentProfile;
  spec: ProfileSpec;
  dataRoot: string | null;
}

/** A validation record as kept in the cache (Figures 7 and 8). */
export type ValRecord = Extract<LogRecord, { type: "val" }>;

/** A 2D slice for the qualitative figures: image (z-scored), label and prediction, x fastest. */
export interface SampleSlice {
  modality: string;
  case: string;
  z: number;
  width: number;
  height: number;
  image: number[];
  label: number[];
  pred: number[];
}

export interface RunRecord {
  key: string;
  spec: RunSpec;
  dataSource: string;
  /** Tidy rows without the notebook column (filled by the caller). */
  rows: Omit<TidyRow, "notebook">[];
  val: ValRecord[];
  samples: SampleSlice[];
  train: { steps: number; wallS: number; evalS: number; lastLoss: number | null };
  provenance: Provenance;
  cached?: boolean;
}

export interface RunOptions {
  /** Retrain even when a cached run exists. */
  force?: boolean;
  /** Progress display for training (default "auto": a live line in notebooks, a bar in terminals). */
  progress?: ProgressMode;
  /** Called when a run starts / finishes (with whether it came from the cache). */
  onRun?: (spec: RunSpec, event: "start" | "done", record?: RunRecord) => void;
}

const STRUCTURE_METRICS = ["dice", "hd", "hd95", "assd"] as const;

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

/** Train and evaluate one run (no cache). */
export async function executeRun(spec: RunSpec, data: TaskData, options: RunOptions = {}): Promise<Omit<RunRecord, "key">> {
  await initEngine();
  const mode = spec.network === "dilated2d" ? "2d" : "3d";
  const width = spec.spec.train.width;
  const overrides: Record<string, number> = { ...spec.spec.train };
  delete overrides.width;
  const input: TrainConfigInput = {
    ...(overrides as Partial<TrainConfigInput>),
    profile: spec.spec.trainProfile,
    model: { network: spec.network, setting: spec.setting, norm: spec.norm, ...(width !== undefined ? { width } : {}) },
    seed: spec.seed,
    alpha: spec.alpha,
  };
  const config = resolveTrainConfig(input);
  const source = new CaseBatchSource(data.train, mode, spec.seed);
  const validation = validationSet(data.val, mode, { batchSize: mode === "2d" ? Math.min(4, config.batchSize * 2) : 1 });
  const val: ValRecord[] = [];
  const res = await train(config, { train: source, validation }, {
    progress: options.progress ?? "auto",
    label: `${spec.setting}${spec.norm !== "batch" ? `/${spec.norm}` : ""} a=${spec.alpha} s=${spec.seed}`,
    onLog: (r) => {
      if (r.type === "val") val.push(r);
    },
  });
  const t0 = Date.now();
  const structures = structuresOf(spec.task);
  const labels = structures.map((_, k) => k + 1);
  const rows: Omit<TidyRow, "notebook">[] = [];
  const samples: SampleSlice[] = [];
  const evalCases: [Case, string][] = [...data.test.ct, ...data.test.mri].map((c) => [c, "clean"]);
  if (data.outlier) evalCases.push([data.outlier, "artefacts"]);
  try {
    for (const [c, condition] of evalCases) {
      const modality = c.modality === "ct" ? 0 : 1;
      const pred = mode === "2d" ? predictVolume2D5(res.model, c.image, modality) : predictVolume3D(res.model, c.image, modality);
      const metrics = evaluateSegmentation(pred, c.label!, { labels });
      for (const m of metrics) {
        for (const metric of STRUCTURE_METRICS) {
          rows.push({
            profile: spec.profile, data_source: data.source[c.modality], condition, setting: spec.setting, norm: spec.norm,
            alpha: spec.alpha, seed: spec.seed, modality: c.modality, case: c.id, structure: structures[m.label - 1]!,
            metric, value: metric === "dice" ? m.dice * 100 : m[metric],
          });
        }
      }
      // one slice per modality (first test case) and the artefact case, for Figures 4/5 and Table VI
      if (condition === "artefacts" || !samples.some((s) => s.modality === c.modality))
        samples.push(sliceOf(c, pred.data, middleForegroundSlice(c)));
    }
  } finally {
    res.model.dispose();
  }
  return {
    spec,
    dataSource: `${data.source.ct} + ${data.source.mri}`,
    rows,
    val,
    samples,
    train: { steps: res.steps, wallS: res.wallS, evalS: (Date.now() - t0) / 1000, lastLoss: res.lastLosses?.total ?? null },
    provenance: provenance(spec.seed),
  };
}

/** The run specs a config expands to at a profile (settings x norms x alphas x seeds). */
export function expandRuns(config: ExperimentConfig, profile: ExperimentProfile, overrides: ExperimentOverrides = {}): RunSpec[] {
  const spec = resolveProfile(config, profile);
  if (overrides.steps !== undefined) spec.train.steps = overrides.steps;
  const seeds = overrides.seeds ?? spec.seeds;
  const norms = overrides.norms ?? spec.subset?.norms ?? config.norms;
  const alphas = overrides.alphas ?? spec.subset?.alphas ?? config.alphas;
  const settings = overrides.settings ?? spec.subset?.settings ?? config.settings;
  const out: RunSpec[] = [];
  for (const norm of norms)
    for (const setting of settings)
      for (const alpha of usesKD(setting) ? alphas : [0])
        for (const seed of seeds)
          out.push({
            task: config.task, network: config.network, setting, norm, alpha, seed, profile, spec,
            dataRoot: spec.data === "real" ? (overrides.dataRoot ?? findDataRoot() ?? null) : null,
          });
  return out;
}

/** Notebook parameters that override a config (all optional). */
export interface ExperimentOverrides {
  seeds?: number[];
  norms?: NormKind[];
  alphas?: number[];
  settings?: Setting[];
  /** Override the training steps of the profile (e.g. a quick look at a longer run). */
  steps?: number;
  dataRoot?: string;
}

export interface ExperimentResult {
  config: ExperimentConfig;
  profile: ExperimentProfile;
  runs: RunRecord[];
  rows: TidyRow[];
  startedAt: string;
  endedAt: string;
  wallS: number;
  /** How many runs were trained now vs loaded from the cache. */
  trained: number;
  cached: number;
  backend: string | null;
}

/**
 * Run (or load from the cache) every run of `config` at `profile` (default: UMMKD_PROFILE, else quick).
 */
export async function runExperiment(
  config: ExperimentConfig,
  options: RunOptions & ExperimentOverrides & { profile?: string | null } = {},
): Promise<ExperimentResult> {
  const profile = resolveProfileName(options.profile ?? null);
  const started = new Date();
  const specs = expandRuns(config, profile, options);
  const runs: RunRecord[] = [];
  let trained = 0;
  let dataMemo: TaskData | undefined;
  for (const spec of specs) {
    const key = runKey(spec);
    options.onRun?.(spec, "start");
    let rec = options.force ? undefined : cacheGet<RunRecord>(key);
    if (rec) rec = { ...rec, cached: true };
    else {
      dataMemo ??= await loadTaskData(spec.task, spec.spec, { dataRoot: spec.dataRoot, outlier: spec.task === "abdominal" });
      rec = { key, ...(await executeRun(spec, dataMemo, options)) };
      cachePut(key, rec);
      rec.cached = false;
      trained++;
    }
    options.onRun?.(spec, "done", rec);
    runs.push(rec);
  }
  const rows: TidyRow[] = runs.flatMap((r) => r.rows.map((x) => ({ notebook: config.name, ...x })));
  const ended = new Date();
  return {
    config, profile, runs, rows,
    startedAt: started.toISOString(), endedAt: ended.toISOString(), wallS: (ended.getTime() - started.getTime()) / 1000,
    trained, cached: runs.length - trained, backend: engineInfo()?.backend ?? null,
  };
}
