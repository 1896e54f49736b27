/**
 * Model selection on the validation cases (never on test): the weights of the validation step with
 * the best mean pooled Dice over both modalities' foreground classes are kept — in memory, and on
 * disk under `<runDir>/best/` when the run has a directory, so that a resumed run still knows its
 * best step (the trainer's checkpoint only holds the latest weights).
 *
 * Ties keep the earlier step (strictly better replaces), so the choice is deterministic.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tf, type Tensor } from "../engine/index.ts";
import type { SegmentationNetwork } from "../models/types.ts";
import { releaseState } from "../train/checkpoint.ts";
import { encodeTensorsAsync, readTensorFiles } from "../train/tensor-io.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";

type HostState = Map<string, { shape: number[]; data: Float32Array }>;

/** Mean of the finite values (NaN when none). */
export function finiteMean(a: readonly number[]): number {
  const v = a.filter(Number.isFinite);
  return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
}

/** The selection score of a validation record: mean pooled Dice over both modalities' foreground classes. */
export function selectionScore(r: { diceCtPerClass: number[]; diceMriPerClass: number[] }): number {
  return finiteMean([...r.diceCtPerClass, ...r.diceMriPerClass]);
}

/** The model's state now, as clones (a variable's later assign gives it new storage; the clone keeps the old). */
function snapshot(model: SegmentationNetwork): Map<string, Tensor> {
  const st = model.getState();
  const out = new Map([...st].map(([n, t]) => [n, tf.clone(t)] as [string, Tensor]));
  releaseState(st);
  return out;
}

/** Read clones to host memory asynchronously (a device backend cannot read synchronously) and free them. */
async function toHost(clones: Map<string, Tensor>): Promise<HostState> {
  const out: HostState = new Map();
  try {
    for (const [n, t] of clones) out.set(n, { shape: [...t.shape], data: Float32Array.from((await t.data()) as Float32Array) });
  } finally {
    tf.dispose([...clones.values()]);
  }
  return out;
}

export class BestWeights {
  step: number | undefined;
  score = -Infinity;
  private state: HostState | undefined;

  /** @param dir folder for the persisted copy (undefined: memory only) */
  constructor(private readonly dir?: string) {
    if (dir && existsSync(join(dir, "meta.json"))) {
      const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { step: number; score: number };
      const ts = readTensorFiles(join(dir, `weights-${meta.step}.json`), join(dir, `weights-${meta.step}.bin`));
      this.state = new Map(ts.map(({ name, tensor }) => [name, { shape: [...tensor.shape], data: Float32Array.from(tensor.dataSync() as Float32Array) }]));
      tf.dispose(ts.map((t) => t.tensor));
      this.step = meta.step;
      this.score = meta.score;
    }
  }

  /** Reads and writes of offered weights, in offer order (await `settled()` before reading `state`). */
  private pending: Promise<void> = Promise.resolve();
  private inFlight = 0;

  /**
   * Keep the model's weights if `score` beats the best so far; returns whether it did. The weights
   * are taken now (clones); reading them to host memory and writing `<dir>` finish asynchronously,
   * in order: `settled()` waits for them (`restoreInto` does).
   */
  offer(step: number, score: number, model: SegmentationNetwork): boolean {
    if (!(Number.isFinite(score) && score > this.score)) return false;
    const clones = snapshot(model);
    this.step = step;
    this.score = score;
    this.inFlight++;
    this.pending = this.pending.then(async () => {
      try {
        this.state = await toHost(clones);
        if (this.dir) await this.persist(step, score);
      } finally {
        this.inFlight--;
      }
    });
    return true;
  }

  /** Wait until every offered weight is read and written (rejects if a write failed). */
  settled(): Promise<void> {
    return this.pending;
  }

  private async persist(step: number, score: number): Promise<void> {
    const dir = this.dir!;
    mkdirSync(dir, { recursive: true });
    const ts = [...this.state!].map(([name, v]) => ({ name, tensor: tf.tensor(v.data, v.shape, "float32") }));
    try {
      const { index, blob } = await encodeTensorsAsync(ts);
      // files named by step, meta.json (written last) points at the complete copy; older copies removed after
      writeFileAtomic(join(dir, `weights-${step}.bin`), blob);
      writeFileAtomic(join(dir, `weights-${step}.json`), JSON.stringify(index));
      writeJsonAtomic(join(dir, "meta.json"), { step, score });
      for (const f of readdirSync(dir)) if (/^weights-\d+\.(bin|json)$/.test(f) && !f.startsWith(`weights-${step}.`)) rmSync(join(dir, f), { force: true });
    } finally {
      tf.dispose(ts.map((t) => t.tensor));
    }
  }

  /**
   * Load the kept weights into `model` (no-op when none were kept).
   * @throws Error while an offer's read is pending (await `settled()` first)
   */
  restoreInto(model: SegmentationNetwork): void {
    if (this.inFlight > 0) throw new Error("BestWeights.restoreInto: offered weights are still being read; await settled() first");
    if (!this.state) return;
    const ts = new Map([...this.state].map(([n, v]) => [n, tf.tensor(v.data, v.shape, "float32")] as [string, Tensor]));
    try {
      model.setState(ts);
    } finally {
      tf.dispose([...ts.values()]);
    }
  }
}
