/**
 * The trainer (paper Section III-C, eq. 5; Section IV-A): every step draws one batch per modality
 * (unpaired), runs each through the network with that modality's normalization, and takes one
 * Adam step on
 *
 *   L = seg(CT) + seg(MRI) + alpha * L_kd + eta * L2
 *
 * over all trainable variables. Periodic validation and atomic checkpoints; a run directory with a
 * checkpoint is resumed from it and reproduces the uninterrupted run exactly on the same backend
 * (model state, Adam moments and accumulators, batch-source state and per-step dropout seeds are
 * all restored or derived from the step number).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Optimizer, Scalar } from "@tensorflow/tfjs-core";
import { engineFacts, engineInfo, fusedAdam, tf, type Tensor } from "../engine/index.ts";
import type { Modality, SegmentationNetwork } from "../models/types.ts";
import { DataError, NonFiniteLossError, ShapeError, oneOf } from "../util/errors.ts";
import { cleanStaleTemps } from "../util/atomic.ts";
import { acquireLock, type Lock } from "../util/lock.ts";
import { checkResumeCompatible, runLockPath } from "./resume.ts";
import { provenance } from "../util/provenance.ts";
import { allFinite, releaseState, findCheckpoint, loadModelState, loadOptimizerState, readTrainerState, saveCheckpoint } from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import { realLosses, realModelBuilder, type ModelBuilder, type TrainLossFns } from "./deps.ts";
import { createProgress, type ProgressMode, type ProgressReporter } from "./progress.ts";
import { learningRateAt } from "./schedule.ts";
import { stepLoss } from "./step-loss.ts";
import type { BatchSource, LogRecord, StepLosses, TrainProgress, TrainResult, ValidationSet } from "./types.ts";
import { batchTensors, validate } from "./validation.ts";

export interface TrainSources {
  train: BatchSource;
  validation?: ValidationSet;
}

export interface TrainOptions {
  /** Directory for `checkpoint/` and `log.jsonl`. Without it nothing is written and nothing resumed. */
  runDir?: string;
  /** Resume from `<runDir>/checkpoint` when present (default true). */
  resume?: boolean;
  /** A pre-built network (else `buildModel({...config.model, seed: config.seed})`). */
  model?: SegmentationNetwork;
  /** Model builder (default: lib/models buildModel). */
  buildModel?: ModelBuilder;
  /** Loss functions (default: lib/losses). */
  losses?: TrainLossFns;
  /** Called after every step. */
  onProgress?: (p: TrainProgress) => void;
  /** Called for every log record (also written to log.jsonl when runDir is set). */
  onLog?: (r: LogRecord) => void;
  /** Progress display: a mode, a reporter, or "none" (default "auto"). */
  progress?: ProgressMode | ProgressReporter;
  /**
   * Adam implementation: "fused" (default; lib/engine's FusedAdamOptimizer, one update kernel per
   * variable, same algorithm and state as tf.train.adam) or "tfjs" (the stock tf.train.adam).
   */
  optimizer?: "fused" | "tfjs";
  /** Label shown in progress lines. */
  label?: string;
  /** Appended to each progress line (e.g. "run 2 of 7, all runs ETA ..."). */
  progressSuffix?: (p: TrainProgress) => string;
  /** Stop after the current step (no extra checkpoint: a later run resumes from the last periodic one). */
  signal?: AbortSignal;
  /**
   * Fingerprint of the training data (field -> value, e.g. `{ source: "...", content: "<sha256>" }`),
   * stored in the checkpoint; a resume with a different one is refused, naming the field.
   */
  dataFingerprint?: Record<string, string>;
  /** Called once the run is ready to step (lock held, any checkpoint loaded and checked). */
  onStart?: (info: { resumedFrom: number }) => void;
  /** Wait at most this many ms for another process training the same runDir (default: forever). */
  lockTimeoutMs?: number;
}

export interface TrainRunResult extends TrainResult {
  /** The trained network (owned by the caller; call dispose()). */
  model: SegmentationNetwork;
}

/** Per-step, per-modality dropout seed derived from the run seed (so resume reproduces dropout). */
export function stepSeed(seed: number, step: number, modality: Modality): number {
  // lowbias32 finaliser (Wellons) applied to the chained inputs.
  const mix = (x: number) => {
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    return (x ^ (x >>> 16)) >>> 0;
  };
  let h = mix((seed >>> 0) ^ 0x85ebca6b);
  h = mix((h + Math.imul(step + 1, 0x9e3779b9)) >>> 0);
  h = mix((h + modality + 1) >>> 0);
  return h;
}

/** Append-with-fsync JSONL log; survives kills (every line is on disk before training continues). */
class RunLog {
  private fd: number | undefined;
  constructor(readonly path: string | undefined) {}
  open(truncateTo: number | undefined): void {
    if (!this.path) return;
    if (truncateTo !== undefined && existsSync(this.path)) truncateSync(this.path, truncateTo);
    this.fd = openSync(this.path, "a");
  }
  bytes(): number {
    return this.path && existsSync(this.path) ? statSync(this.path).size : 0;
  }
  write(r: LogRecord): void {
    if (this.fd === undefined) return;
    const buf = Buffer.from(JSON.stringify(r) + "\n", "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    fsyncSync(this.fd);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function checkBatch(b: { x: Float32Array; xShape: number[]; y: Uint8Array; yShape: number[] }, what: string, batchSize: number, numClasses: number | undefined): void {
  const nx = b.xShape.reduce((a, c) => a * c, 1);
  const ny = b.yShape.reduce((a, c) => a * c, 1);
  if (nx !== b.x.length || ny !== b.y.length) throw new ShapeError(`${what}: data lengths ${b.x.length}/${b.y.length} do not match shapes [${b.xShape}]/[${b.yShape}]`);
  if (b.xShape[0] !== batchSize || b.yShape[0] !== batchSize) throw new ShapeError(`${what}: batch dimension ${b.xShape[0]}, expected batchSize ${batchSize}`);
  if (b.yShape.length !== b.xShape.length - 1 || b.yShape.some((d, i) => d !== b.xShape[i])) {
    throw new ShapeError(`${what}: labels [${b.yShape}] must be the image shape [${b.xShape}] without its channel axis`);
  }
  if (numClasses !== undefined) {
    // A label >= numClasses (raw PNG grey levels 63..252, MM-WHS codes like 205) would be silently
    // ignored by the one-hot losses, training background only.
    for (let i = 0; i < b.y.length; i++) {
      if (b.y[i]! >= numClasses) throw new DataError(what, `label value ${b.y[i]} at element ${i}, but the network has ${numClasses} classes (0..${numClasses - 1}); map the dataset's label codes to class indices first ('ummkd prepare')`);
    }
  }
}

/**
 * Train (or resume) one run.
 * @param config resolved config (see `resolveTrainConfig`)
 * @param sources training batch source (resumable) and optional fixed validation set
 * @throws NonFiniteLossError when a loss term is NaN/Inf (the last good checkpoint is kept)
 */
export async function train(config: TrainConfig, sources: TrainSources, opts: TrainOptions = {}): Promise<TrainRunResult> {
  const t0 = Date.now();
  const optimizerKind = oneOf("optimizer", opts.optimizer ?? "fused", ["fused", "tfjs"] as const);
  const losses = opts.losses ?? realLosses();
  const model = opts.model ?? (opts.buildModel ?? realModelBuilder())({ ...config.model, seed: config.seed });
  const vars = model.trainableVariables();
  const optimizer: Optimizer =
    optimizerKind === "fused"
      ? fusedAdam(config.lr, config.beta1, config.beta2, config.epsilon)
      : tf.train.adam(config.lr, config.beta1, config.beta2, config.epsilon);
  const runDir = opts.runDir;
  let lock: Lock | undefined;
  if (runDir) {
    mkdirSync(runDir, { recursive: true });
    // One process per run folder: a second one waits, then resumes from the first one's checkpoint
    // (with nothing left to do if it finished) instead of training the same run again.
    try {
      lock = await acquireLock(runLockPath(runDir), {
        ...(opts.lockTimeoutMs !== undefined ? { timeoutMs: opts.lockTimeoutMs } : {}),
        onWait: (holder) => console.error(`[ummkd] ${runDir} is being trained by ${holder}; waiting for it to finish`),
      });
    } catch (e) {
      optimizer.dispose();
      if (!opts.model) model.dispose();
      throw e;
    }
    // Temp files of a killed checkpoint write (their writer pid is gone).
    cleanStaleTemps(runDir);
  }
  const numClasses = model.options?.numClasses ?? config.model.numClasses;
  const log = new RunLog(runDir ? join(runDir, "log.jsonl") : undefined);

  const reporter: ProgressReporter =
    typeof opts.progress === "object" ? opts.progress : createProgress({ mode: opts.progress ?? "auto", label: opts.label, ...(opts.progressSuffix ? { suffix: opts.progressSuffix } : {}) });
  let step = 0;
  let resumedFrom = 0;
  let checkpoint: string | undefined;
  let lastLosses: StepLosses | undefined;
  let lastVal: Extract<LogRecord, { type: "val" }> | undefined;
  let aborted = false;
  try {
    const ckptDir = runDir && opts.resume !== false ? findCheckpoint(runDir) : undefined;
    if (ckptDir) {
      const st = readTrainerState(ckptDir);
      checkResumeCompatible(st, config, opts.dataFingerprint, ckptDir);
      const savedBackend = (st.provenance as { backend?: string | null } | undefined)?.backend;
      const nowBackend = engineInfo()?.backend;
      if (savedBackend && nowBackend && savedBackend !== nowBackend) {
        console.warn(`[ummkd] resuming ${ckptDir} (written on backend '${savedBackend}') on '${nowBackend}': the result matches an uninterrupted run only within float32 tolerance, not bit for bit`);
      }
      loadModelState(ckptDir, model);
      await loadOptimizerState(ckptDir, optimizer, st.adam, vars.length);
      sources.train.restore(st.sourceState);
      step = st.step;
      checkpoint = ckptDir;
      log.open(st.logBytes);
    } else {
      log.open(runDir ? 0 : undefined);
    }
    resumedFrom = step;
    if (resumedFrom > 0) reporter.note?.(`resuming at step ${resumedFrom} of ${config.steps} (checkpoint ${ckptDir})`);
    opts.onStart?.({ resumedFrom });

    const emit = (r: LogRecord) => {
      log.write(r);
      opts.onLog?.(r);
    };

    const writeCheckpoint = async () => {
      if (!runDir) return;
      const st = model.getState();
      let bad: string | undefined;
      try {
        bad = await allFinite(st);
      } finally {
        releaseState(st);
      }
      if (bad) throw new NonFiniteLossError(step, { [`state:${bad}`]: NaN }, checkpoint);
      checkpoint = await saveCheckpoint(runDir, model, optimizer, {
        step,
        config,
        sourceState: sources.train.state(),
        logBytes: log.bytes(),
        provenance: provenance(config.seed, engineFacts()),
        ...(opts.dataFingerprint ? { data: opts.dataFingerprint } : {}),
      });
    };

    const tStart = Date.now();
    while (step < config.steps) {
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      const lr = learningRateAt(step, config);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const bCt = sources.train.next(0, config.batchSize);
      const bMri = sources.train.next(1, config.batchSize);
      checkBatch(bCt, `training batch (ct) at step ${step + 1}`, config.batchSize, numClasses);
      checkBatch(bMri, `training batch (mri) at step ${step + 1}`, config.batchSize, numClasses);
      const ct = batchTensors(bCt);
      const mri = batchTensors(bMri);
      let terms: Tensor[] = [];
      const dropoutSeed = stepSeed(config.seed, step, 0);
      let vg: { value: Scalar; grads: Record<string, Tensor> };
      try {
        vg = tf.variableGrads(() => {
          // applyPair: shared normalization layers (Joint, shared parts of Y/X) see both modalities'
          // samples together; modality-specific ones see their own (Section III-C).
          const { total, segCt, segMri, kd, l2 } = stepLoss(model, losses, ct, mri, { alpha: config.alpha, eta: config.eta, temperature: config.temperature, absentClass: config.absentClass, dropoutSeed });
          terms = [segCt, segMri, kd, l2].map((t) => tf.keep(t));
          return total;
        }, vars);
      } finally {
        tf.dispose([ct.x, ct.y, mri.x, mri.y]);
      }
      const { value, grads } = vg;
      // one asynchronous read of the five scalars (a device backend cannot read synchronously)
      const read = tf.tidy(() => tf.stack([value, ...terms]));
      tf.dispose(terms);
      value.dispose();
      let v: Float32Array;
      try {
        v = (await read.data()) as Float32Array;
      } finally {
        read.dispose();
      }
      const losses_: StepLosses = { total: v[0]!, segCt: v[1]!, segMri: v[2]!, kd: v[3]!, l2: v[4]! };
      if (!Object.values(losses_).every(Number.isFinite)) {
        tf.dispose(grads);
        throw new NonFiniteLossError(step + 1, { ...losses_ }, checkpoint);
      }
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      tf.dispose(grads);
      step++;
      lastLosses = losses_;
      const elapsedS = (Date.now() - tStart) / 1000;
      if (step % config.logEvery === 0 || step === config.steps) emit({ type: "train", step, lr, elapsedS, ...losses_ });
      if (sources.validation && config.validateEvery > 0 && (step % config.validateEvery === 0 || step === config.steps)) {
        lastVal = await validate(model, losses, config, sources.validation, step);
        emit(lastVal);
      }
      if (runDir && ((config.checkpointEvery > 0 && step % config.checkpointEvery === 0) || step === config.steps)) await writeCheckpoint();
      const done = step - resumedFrom;
      const p: TrainProgress = {
        step,
        totalSteps: config.steps,
        losses: losses_,
        lr,
        elapsedS,
        etaS: done > 0 ? (elapsedS / done) * (config.steps - step) : NaN,
        ...(lastVal ? { lastVal } : {}),
      };
      reporter.update(p);
      opts.onProgress?.(p);
      // let signal handlers and timers run between steps (an interrupted notebook's training child
      // removes its locks on SIGINT, lib/util/lock.ts); a macrotask turn costs microseconds
      await new Promise((r) => setImmediate(r));
    }
  } catch (e) {
    // the lock first: a reporter that fails too (a notebook display) must not leave it behind
    lock?.release();
    try {
      reporter.done(`stopped at step ${step}: ${(e as Error).message}`);
    } finally {
      log.close();
      optimizer.dispose();
      if (!opts.model) model.dispose();
    }
    throw e;
  }
  lock?.release();
  const wall = ((Date.now() - t0) / 1000).toFixed(1);
  reporter.done(
    aborted
      ? `aborted at step ${step}`
      : resumedFrom > 0
        ? `done: step ${step} of ${config.steps}; this process trained ${step - resumedFrom} steps (${resumedFrom} -> ${step}) in ${wall} s`
        : `done: ${step} steps in ${wall} s`,
  );
  log.close();
  optimizer.dispose();
  return {
    model,
    steps: step,
    resumedFrom,
    lastLosses,
    checkpoint,
    logPath: log.path,
    aborted,
    wallS: (Date.now() - t0) / 1000,
  };
}
