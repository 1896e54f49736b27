/**
 * How often a class is absent from the training batches (issue 26, hypothesis H2). The KD loss
 * (lib/losses/kd.ts, eq. 2-4) compares, per class, the mean prediction over that class's voxels
 * of one modality's batch with the other's. With 1 patch per modality per step a class is often
 * missing from a patch; where it is missing from one modality's batch but present in the other's,
 * that class's term is not a comparison of two predictions: under `absentClass: "uniform"` (the
 * released code, every committed run) the missing side's soft prediction is the uniform
 * distribution (mean logit 0), so the term pulls the other modality's class-mean prediction towards
 * uniform; under "skip" the class leaves the mean over classes.
 *
 * This counts, over the batches a training source would give (same seed and counters as
 * training), per modality and class the fraction of patches and of batches without the class, and
 * per class the fraction of steps where it is absent from CT only, MRI only, or both.
 */
import { OptionError } from "../util/errors.ts";
import type { Modality } from "../models/types.ts";
import type { BatchSource } from "./types.ts";

export interface ClassPresenceOptions {
  /** Training steps to draw (one batch per modality each). */
  steps: number;
  /** Patches per modality per step (the plan's train.batchSize). */
  batchSize: number;
  /** Classes 0..K-1 (background included: the KD loss averages over all K). Labels >= K are in no class. */
  numClasses: number;
}

export interface ClassPresenceResult {
  steps: number;
  batchSize: number;
  numClasses: number;
  /** [modality][class]: fraction of the sampled patches (steps x batchSize) without a voxel of the class. */
  patchAbsent: [number[], number[]];
  /** [modality][class]: fraction of steps whose whole batch of that modality lacks the class (the KD loss's unit; = patchAbsent at batch 1). */
  batchAbsent: [number[], number[]];
  /** [modality][class]: mean fraction of a patch's voxels in the class, over the patches holding it (NaN if none does). */
  voxelFractionWhenPresent: [number[], number[]];
  /** [class]: fraction of steps with the class absent from the CT batch but present in the MRI batch. */
  absentCtOnly: number[];
  /** [class]: absent from the MRI batch, present in the CT batch. */
  absentMriOnly: number[];
  /** [class]: absent from both batches. */
  absentBoth: number[];
  /** [class]: absentCtOnly + absentMriOnly, the steps where that class's KD term is one-sided. */
  oneSided: number[];
  /** Fraction of steps with at least one one-sided foreground class. */
  stepsWithOneSidedForeground: number;
  /** Mean number of classes (of K) present in both batches: the classes that "skip" averages over. */
  meanClassesInBoth: number;
}

/** Per class: whether batch labels `y` (flattened, `n` patches) hold it, per patch and over the batch, and its voxel count per patch. */
function presence(y: Uint8Array, n: number, K: number): { perPatch: Uint32Array[]; inBatch: boolean[] } {
  const per = y.length / n;
  const perPatch: Uint32Array[] = [];
  const inBatch = new Array<boolean>(K).fill(false);
  for (let p = 0; p < n; p++) {
    const counts = new Uint32Array(K);
    const s = y.subarray(p * per, (p + 1) * per);
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!;
      if (v < K) counts[v]!++;
    }
    for (let k = 0; k < K; k++) if (counts[k]! > 0) inBatch[k] = true;
    perPatch.push(counts);
  }
  return { perPatch, inBatch };
}

/**
 * Draw `steps` pairs of batches from `source` and count absent classes.
 * @param source a fresh training source (lib/train/batch-source.ts CaseBatchSource built as the
 *   runner builds it: same seed, sampling options and counters from 0 give the training batches)
 * @returns fractions in [0, 1] (see {@link ClassPresenceResult})
 * @throws OptionError if steps, batchSize or numClasses is not a positive integer
 */
export function measureClassPresence(source: BatchSource, options: ClassPresenceOptions): ClassPresenceResult {
  const { steps, batchSize, numClasses: K } = options;
  for (const [k, v] of Object.entries({ steps, batchSize, numClasses: K })) {
    if (!Number.isInteger(v) || v < 1) throw new OptionError(`measureClassPresence: ${k}`, v, "a positive integer");
  }
  const zeros = () => new Array<number>(K).fill(0);
  const patchAbsent: [number[], number[]] = [zeros(), zeros()];
  const batchAbsent: [number[], number[]] = [zeros(), zeros()];
  const fracSum: [number[], number[]] = [zeros(), zeros()];
  const presentPatches: [number[], number[]] = [zeros(), zeros()];
  const absentCtOnly = zeros();
  const absentMriOnly = zeros();
  const absentBoth = zeros();
  let stepsWithOneSided = 0;
  let classesInBoth = 0;
  for (let s = 0; s < steps; s++) {
    const inBatch: boolean[][] = [];
    for (const m of [0, 1] as Modality[]) {
      const b = source.next(m, batchSize);
      const n = b.yShape[0]!;
      const { perPatch, inBatch: ib } = presence(b.y, n, K);
      const voxels = b.y.length / n;
      for (const counts of perPatch) {
        for (let k = 0; k < K; k++) {
          if (counts[k] === 0) patchAbsent[m][k]!++;
          else {
            presentPatches[m][k]!++;
            fracSum[m][k]! += counts[k]! / voxels;
          }
        }
      }
      for (let k = 0; k < K; k++) if (!ib[k]) batchAbsent[m][k]!++;
      inBatch.push(ib);
    }
    let oneSidedFg = false;
    for (let k = 0; k < K; k++) {
      const ct = inBatch[0]![k]!;
      const mri = inBatch[1]![k]!;
      if (!ct && mri) absentCtOnly[k]!++;
      if (ct && !mri) absentMriOnly[k]!++;
      if (!ct && !mri) absentBoth[k]!++;
      if (ct && mri) classesInBoth++;
      if (k > 0 && ct !== mri) oneSidedFg = true;
    }
    if (oneSidedFg) stepsWithOneSided++;
  }
  const patches = steps * batchSize;
  const div = (a: number[], d: number) => a.map((v) => v / d);
  return {
    steps, batchSize, numClasses: K,
    patchAbsent: [div(patchAbsent[0], patches), div(patchAbsent[1], patches)],
    batchAbsent: [div(batchAbsent[0], steps), div(batchAbsent[1], steps)],
    voxelFractionWhenPresent: [0, 1].map((m) => fracSum[m]!.map((v, k) => (presentPatches[m]![k]! > 0 ? v / presentPatches[m]![k]! : NaN))) as [number[], number[]],
    absentCtOnly: div(absentCtOnly, steps),
    absentMriOnly: div(absentMriOnly, steps),
    absentBoth: div(absentBoth, steps),
    oneSided: absentCtOnly.map((v, k) => (v + absentMriOnly[k]!) / steps),
    stepsWithOneSidedForeground: stepsWithOneSided / steps,
    meanClassesInBoth: classesInBoth / steps,
  };
}
