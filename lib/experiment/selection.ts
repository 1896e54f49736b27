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
import { encodeTensors, readTensorFiles } from "../train/tensor-io.ts";
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

function snapshot(model: SegmentationNetwork): HostState {
  const st = model.getState();
  const out: HostState = new Map();
  for (const [n, t] of st) out.set(n, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
  releaseState(st);
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

  /** Keep the model's weights if `score` beats the best so far; returns whether it did. */
  offer(step: number, score: number, model: SegmentationNetwork): boolean {
    if (!(Number.isFinite(score) && score > this.score)) return false;
    this.state = snapshot(model);
    this.step = step;
    this.score = score;
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      const ts = [...this.state].map(([name, v]) => ({ name, tensor: tf.tensor(v.data, v.shape, "float32") }));
      try {
        const { index, blob } = encodeTensors(ts);
        // files named by step, meta.json (written last) points at the complete copy; older copies removed after
        writeFileAtomic(join(this.dir, `weights-${step}.bin`), blob);
        writeFileAtomic(join(this.dir, `weights-${step}.json`), JSON.stringify(index));
        writeJsonAtomic(join(this.dir, "meta.json"), { step, score });
        for (const f of readdirSync(this.dir)) if (/^weights-\d+\.(bin|json)$/.test(f) && !f.startsWith(`weights-${step}.`)) rmSync(join(this.dir, f), { force: true });
      } finally {
        tf.dispose(ts.map((t) => t.tensor));
      }
    }
    return true;
  }

  /** Load the kept weights into `model` (no-op when none were kept). */
  restoreInto(model: SegmentationNetwork): void {
    if (!this.state) return;
    const ts = new Map([...this.state].map(([n, v]) => [n, tf.tensor(v.data, v.shape, "float32")] as [string, Tensor]));
    try {
      model.setState(ts);
    } finally {
      tf.dispose([...ts.values()]);
    }
  }
}
