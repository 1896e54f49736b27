/**
 * Learning-rate schedule: step decay, lr(s) = lr0 * decay^floor(s / every), where s is the number
 * of optimizer updates already applied (s = 0 for the first update). Paper Section IV-A: "decayed
 * by 5% in every 1000 iterations" (2D) / 500 (3D); released code: x0.95 whenever
 * global_step % 1000 == 0 (authors-code-notes section 5).
 */
import { OptionError } from "../util/errors.ts";

export interface LrSchedule {
  lr: number;
  lrDecay: number;
  lrDecayEvery: number;
}

/**
 * Learning rate used for the update at 0-based step `step`.
 * @example learningRateAt(1000, { lr: 1e-4, lrDecay: 0.95, lrDecayEvery: 1000 }) // 9.5e-5
 */
export function learningRateAt(step: number, s: LrSchedule): number {
  if (!Number.isInteger(step) || step < 0) throw new OptionError("step", step, "an integer >= 0");
  if (!(s.lrDecayEvery >= 1)) throw new OptionError("lrDecayEvery", s.lrDecayEvery, "an integer >= 1");
  return s.lr * Math.pow(s.lrDecay, Math.floor(step / s.lrDecayEvery));
}
