/**
 * Training checkpoints, written atomically (temp directory + rename, lib/util/atomic.ts):
 *
 *   <runDir>/checkpoint/
 *     trainer.json      step, resolved TrainConfig, batch-source state, log byte offset, Adam scalars
 *     model.json/.bin   every model state tensor (trainable + moving statistics) by stable name
 *     optimizer.json/.bin  Adam's iteration count and first/second moments, in variable order
 *
 * A reader never sees a half-written checkpoint: the directory appears complete or not at all, and
 * the previous one is replaced only after the new one is complete. The .bin blobs carry a SHA-256
 * in their index and every float32 value must be finite on load (lib/train/tensor-io.ts); the
 * trainer refuses to save non-finite weights.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Variable as VariableClass, type Optimizer } from "@tensorflow/tfjs-core";
import { tf, type FusedAdamOptimizer, type Tensor, type Variable } from "../engine/index.ts";
import type { ModelOptions, SegmentationNetwork } from "../models/types.ts";
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { DataError } from "../util/errors.ts";
import type { TrainConfig } from "./config.ts";
import { encodeTensorsAsync, readTensorFiles } from "./tensor-io.ts";
import { realModelBuilder, type ModelBuilder } from "./deps.ts";

export const CHECKPOINT_DIR = "checkpoint";
const FORMAT = "ummkd-checkpoint-1";

/** Contents of trainer.json. */
export interface TrainerState {
  format: typeof FORMAT;
  /** Optimizer updates completed. */
  step: number;
  config: TrainConfig;
  /** `BatchSource.state()` after the batches of `step` were drawn. */
  sourceState: unknown;
  /** Size in bytes of log.jsonl at this step (a resumed run truncates the log here). */
  logBytes: number;
  /** Adam's bias-correction accumulators beta^(t+1), saved exactly (tfjs would recompute them with pow). */
  adam: { accBeta1: number; accBeta2: number } | null;
  /** Model options the network was built with (for `ummkd predict`). */
  modelOptions: ModelOptions;
  createdAt: string;
  provenance?: unknown;
  /** Fingerprint of the training data (field -> value), compared on resume (absent in older checkpoints). */
  data?: Record<string, string>;
}

/** Adam internals we need beyond `getWeights()` (private fields in tfjs 4.22's AdamOptimizer). */
interface AdamInternals {
  accBeta1: Variable;
  accBeta2: Variable;
}

/**
 * Dispose the tensors of a `getState()` map that are not the model's own variables (lib/models
 * returns clones owned by the caller; a network may also return its variables directly).
 */
export function releaseState(state: Map<string, Tensor>): void {
  for (const t of state.values()) if (!(t instanceof VariableClass) && !t.isDisposed) t.dispose();
}

/** Path of the checkpoint directory of a run, or undefined when none exists. Recovers from a
 * rename interrupted between "old moved away" and "new moved in" (writeDirAtomic's `.old`). */
export function findCheckpoint(runDir: string): string | undefined {
  const p = join(runDir, CHECKPOINT_DIR);
  if (existsSync(join(p, "trainer.json"))) return p;
  if (!existsSync(runDir)) return undefined;
  const olds = readdirSync(runDir).filter((f) => f.startsWith(`.${CHECKPOINT_DIR}.`) && f.endsWith(".tmp.old")).sort();
  const last = olds.at(-1);
  return last && existsSync(join(runDir, last, "trainer.json")) ? join(runDir, last) : undefined;
}

/**
 * Write a checkpoint atomically to `<runDir>/checkpoint`.
 * @returns the checkpoint directory
 */
export async function saveCheckpoint(
  runDir: string,
  model: SegmentationNetwork,
  optimizer: Optimizer,
  state: Omit<TrainerState, "format" | "adam" | "createdAt" | "modelOptions">,
): Promise<string> {
  const modelState = model.getState();
  let m: Awaited<ReturnType<typeof encodeTensorsAsync>>;
  try {
    m = await encodeTensorsAsync([...modelState].map(([name, tensor]) => ({ name, tensor })));
  } finally {
    releaseState(modelState);
  }
  const optWeights = await optimizer.getWeights();
  const o = await encodeTensorsAsync(optWeights.map((w) => ({ name: w.name, tensor: w.tensor })));
  // getWeights() creates a fresh scalar for the iteration count; free it.
  optWeights.filter((w) => w.name === "iter").forEach((w) => w.tensor.dispose());
  const internals = optimizer as unknown as Partial<AdamInternals>;
  const adam =
    internals.accBeta1 && internals.accBeta2
      ? { accBeta1: (await internals.accBeta1.data())[0]!, accBeta2: (await internals.accBeta2.data())[0]! }
      : null;
  const trainer: TrainerState = {
    format: FORMAT,
    ...state,
    adam,
    modelOptions: model.options,
    createdAt: new Date().toISOString(),
  };
  const dir = join(runDir, CHECKPOINT_DIR);
  await writeDirAtomic(dir, (tmp) => {
    writeFileAtomic(join(tmp, "model.bin"), m.blob);
    writeJsonAtomic(join(tmp, "model.json"), m.index);
    writeFileAtomic(join(tmp, "optimizer.bin"), o.blob);
    writeJsonAtomic(join(tmp, "optimizer.json"), o.index);
    writeJsonAtomic(join(tmp, "trainer.json"), trainer);
  });
  return dir;
}

/** Read trainer.json of a checkpoint directory. */
export function readTrainerState(dir: string): TrainerState {
  const p = join(dir, "trainer.json");
  let s: TrainerState;
  try {
    s = JSON.parse(readFileSync(p, "utf8")) as TrainerState;
  } catch (e) {
    throw new DataError(p, `cannot read checkpoint state: ${(e as Error).message}`);
  }
  if (s.format !== FORMAT) throw new DataError(p, `format ${JSON.stringify(s.format)}, expected ${FORMAT}`);
  return s;
}

/** Load model state tensors from a checkpoint into `model` (names must match `model.getState()`). */
export function loadModelState(dir: string, model: SegmentationNetwork): void {
  const entries = readTensorFiles(join(dir, "model.json"), join(dir, "model.bin"));
  const wantState = model.getState();
  const want = new Map([...wantState].map(([k, t]) => [k, { shape: t.shape }] as const));
  releaseState(wantState);
  const have = new Map(entries.map((e) => [e.name, e.tensor] as const));
  try {
    const missing = [...want.keys()].filter((k) => !have.has(k));
    const extra = [...have.keys()].filter((k) => !want.has(k));
    if (missing.length || extra.length) {
      throw new DataError(join(dir, "model.json"), `state does not match the network: missing [${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}], unexpected [${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", ..." : ""}]`);
    }
    for (const [k, t] of want) {
      const h = have.get(k)!;
      if (h.shape.join(",") !== t.shape.join(",")) {
        throw new DataError(join(dir, "model.json"), `tensor '${k}' has shape [${h.shape}], the network expects [${t.shape}]`);
      }
    }
    model.setState(have);
  } finally {
    for (const t of have.values()) t.dispose();
  }
}

/**
 * Restore Adam's moments, iteration count and bias-correction accumulators.
 * @param varCount number of trainable variables the optimizer will update (checked)
 */
export async function loadOptimizerState(dir: string, optimizer: Optimizer, adam: TrainerState["adam"], varCount: number): Promise<void> {
  const entries = readTensorFiles(join(dir, "optimizer.json"), join(dir, "optimizer.bin"));
  const moments = entries.length - 1;
  if (entries[0]?.name !== "iter" || moments !== 2 * varCount) {
    entries.forEach((e) => e.tensor.dispose());
    throw new DataError(join(dir, "optimizer.json"), `optimizer state has ${moments} moment tensors, expected 2 x ${varCount} trainable variables plus 'iter'`);
  }
  // setWeights turns each tensor into a variable (sharing its data); dispose our handles afterwards.
  await optimizer.setWeights(entries.map((e) => ({ name: e.name, tensor: e.tensor })));
  entries.forEach((e) => e.tensor.dispose());
  const internals = optimizer as unknown as Partial<AdamInternals>;
  // not instanceof: tfjs's Optimizer answers instanceof by duck typing (any optimizer passes)
  const fused = optimizer as Partial<Pick<FusedAdamOptimizer, "setBiasCorrection">>;
  if (adam && typeof fused.setBiasCorrection === "function") {
    fused.setBiasCorrection(adam.accBeta1, adam.accBeta2);
  } else if (adam && internals.accBeta1 && internals.accBeta2) {
    tf.tidy(() => {
      internals.accBeta1!.assign(tf.scalar(adam.accBeta1));
      internals.accBeta2!.assign(tf.scalar(adam.accBeta2));
    });
  }
}

/** The name of the first tensor of the map with a NaN or infinite value, else undefined (checked before writing a checkpoint). */
export async function allFinite(state: Map<string, Tensor>): Promise<string | undefined> {
  for (const [name, t] of state) {
    if (t.dtype !== "float32") continue;
    const all = tf.tidy(() => tf.all(tf.isFinite(t)));
    const ok = (await all.data())[0];
    all.dispose();
    if (!ok) return name;
  }
  return undefined;
}

/**
 * Rebuild the network of a checkpoint (from its recorded model options) and load its state, for
 * inference (`ummkd predict`). Accepts a run directory or the checkpoint directory itself.
 * @returns the network (caller disposes) and the checkpoint's trainer state
 */
export function loadTrainedModel(dirOrRun: string, build: ModelBuilder = realModelBuilder()): { model: SegmentationNetwork; state: TrainerState; dir: string } {
  if (!existsSync(dirOrRun)) throw new DataError(dirOrRun, "no checkpoint here: no such folder");
  if (!statSync(dirOrRun).isDirectory()) throw new DataError(dirOrRun, "is a file; expected a run folder or its checkpoint/ folder");
  const dir = existsSync(join(dirOrRun, "trainer.json")) ? dirOrRun : findCheckpoint(dirOrRun);
  if (!dir) throw new DataError(dirOrRun, "no checkpoint here (expected trainer.json, or a run directory with checkpoint/)");
  const state = readTrainerState(dir);
  const model = build(state.modelOptions);
  try {
    loadModelState(dir, model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, state, dir };
}
