/**
 * Contracts of the trainer: what a batch is, what a batch source must offer (so the data
 * engineer's sampler, the experiment's synthetic sampler or a test fixture plug in alike), and
 * what the trainer reports.
 */
import type { Modality } from "../models/types.ts";

/**
 * One modality's mini-batch, channels-last.
 * - 2D (dilated2d): `x` [B, H, W, C] (C = 3 adjacent slices), `y` [B, H, W] labels of the middle slice.
 * - 3D (unet3d): `x` [B, D, H, W, 1], `y` [B, D, H, W].
 * Labels are class indices 0..K-1; a value >= K (e.g. the cardiac label 5) is "ignore": it falls
 * in no class mask (authors-code-notes section 6).
 */
export interface Batch {
  /** Images, float32, layout per `xShape` (NHWC or NDHWC). */
  x: Float32Array;
  xShape: number[];
  /** Class index per voxel, layout per `yShape` ([B,H,W] or [B,D,H,W]). */
  y: Uint8Array;
  yShape: number[];
  /** Which case each batch item came from, and its slice (2D) or first slice (3D); set by CaseBatchSource. */
  caseIds?: string[];
  slices?: number[];
}

/**
 * A resumable source of unpaired per-modality batches.
 *
 * `next` must be deterministic given the source's construction (seed) and its `state()`: after
 * `restore(s)` with `s` taken from `state()`, the following `next` calls return exactly the batches
 * an uninterrupted source would have returned. The state must be JSON-serialisable (it is written
 * into checkpoints).
 */
export interface BatchSource {
  /** The next batch of `batchSize` samples of `modality` (0 = CT, 1 = MRI). */
  next(modality: Modality, batchSize: number): Batch;
  /** JSON-serialisable sampling state (rng state, epoch order, cursor, ...). */
  state(): unknown;
  /** Restore a state returned by `state()`. */
  restore(state: unknown): void;
}

/** Fixed validation data, evaluated every `validateEvery` steps with normalization in eval mode. */
export interface ValidationSet {
  /** Batches per modality: index 0 = CT, 1 = MRI. Results are averaged over the batches. */
  batches: [Batch[], Batch[]];
}

/** Loss terms of one training step (already multiplied out: `total` = segCt + segMri + alpha*kd + eta*l2). */
export interface StepLosses {
  total: number;
  segCt: number;
  segMri: number;
  /** KD loss value (eq. 4), computed for logging even when alpha = 0 or the setting has no KD. */
  kd: number;
  /** Unweighted L2 term (sum over regularized variables of ||w||^2 / 2). */
  l2: number;
}

/**
 * One line of the run log (`log.jsonl`, append + fsync per line; a resumed run truncates it to the
 * checkpoint's byte offset, so the file always equals an uninterrupted run's). NaN values (e.g. the
 * Dice of a class absent from both prediction and target) are written as JSON `null`.
 */
export type LogRecord =
  | ({ type: "train"; step: number; lr: number; elapsedS: number } & StepLosses)
  | {
      type: "val";
      step: number;
      /**
       * Pooled Dice per modality: overlaps and voxel counts summed over the whole validation set,
       * one Dice per foreground class (1..K-1), then their NaN-aware mean; argmax predictions, eval
       * mode. Not the per-case mean Dice of the tables (see lib/metrics/dice.ts); show it as "pooled Dice".
       */
      diceCt: number;
      diceMri: number;
      /** Pooled Dice per class [class 1..K-1] per modality (NaN where the class is absent from both pred and target). */
      diceCtPerClass: number[];
      diceMriPerClass: number[];
      /** KD loss on validation data (Figure 7). */
      kd: number;
      /** Segmentation losses on validation data. */
      segCt: number;
      segMri: number;
      /** Soft confusion matrices q^a (CT), q^b (MRI), K x K row-major rows = class (Figure 8). */
      qCt: number[][];
      qMri: number[][];
    };

/** Progress callback payload. */
export interface TrainProgress {
  step: number;
  totalSteps: number;
  losses: StepLosses;
  lr: number;
  /** Seconds since the start of this process's training (excluding restored steps). */
  elapsedS: number;
  /** Estimated seconds remaining. */
  etaS: number;
  /** The latest validation record, if any. */
  lastVal?: Extract<LogRecord, { type: "val" }>;
}

export interface TrainResult {
  /** Steps completed in total (including steps before a resume). */
  steps: number;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
  /** Losses of the last step. */
  lastLosses: StepLosses | undefined;
  /** Path of the last checkpoint written, if any. */
  checkpoint: string | undefined;
  /** Path of the JSONL log, if a run directory was given. */
  logPath: string | undefined;
  /** Whether the run stopped early because the abort signal fired. */
  aborted: boolean;
  wallS: number;
}
