/**
 * Dice as MONAI computes it: one per-case definition, {@link computeDice}, and an accumulator,
 * {@link DiceAccumulator}, whose aggregate says how it was reduced:
 * - "perCase": Dice of every case, then the NaN-aware mean over cases (the paper's tables; MONAI's
 *   `DiceMetric` with reduction "mean"; our tidy rows);
 * - "pooled": overlaps and voxel counts summed over all cases first, then one Dice per class
 *   (nnU-Net's "pseudo Dice" during training; our validation value, lib/train/validation.ts).
 * The two differ whenever cases differ in size; a pooled value is labelled "pooled Dice" wherever
 * it is shown.
 */
import { nanMean } from "../stats/summary.ts";
import { OptionError } from "../util/errors.ts";

/**
 * Dice from counts: 2|P∩T| / (|P| + |T|); NaN when both are empty (nnU-Net's and MONAI's
 * `ignore_empty` convention: undefined, left out of means).
 * @param intersection |P ∩ T| (voxels)
 * @param predVoxels |P|
 * @param targetVoxels |T|
 * @returns Dice in [0, 1], or NaN
 */
export function computeDice(intersection: number, predVoxels: number, targetVoxels: number): number {
  const denom = predVoxels + targetVoxels;
  return denom === 0 ? NaN : (2 * intersection) / denom;
}

/** How a {@link DiceAccumulator} reduces its cases. */
export type DiceAggregation = "perCase" | "pooled";
export const DICE_AGGREGATIONS: readonly DiceAggregation[] = ["perCase", "pooled"];

/** Per-class counts of one case (or batch), indexed by class 0..K-1. */
export interface DiceCounts {
  intersection: ArrayLike<number>;
  predVoxels: ArrayLike<number>;
  targetVoxels: ArrayLike<number>;
}

/** The aggregate of a {@link DiceAccumulator}. */
export interface DiceAggregate {
  /** How the cases were reduced. */
  aggregation: DiceAggregation;
  /** Dice per evaluated class (1..K-1, or 0..K-1 with `includeBackground`); NaN where undefined. */
  perClass: number[];
  /** "pooled": NaN-aware mean of `perClass`; "perCase": NaN-aware mean over cases of each case's mean over classes. */
  mean: number;
  /** Number of `add` calls. */
  cases: number;
}

/**
 * Accumulates per-class Dice counts case by case and reduces them per case or pooled.
 * @example
 * const acc = new DiceAccumulator("pooled", { numClasses: 2 });
 * acc.add({ intersection: [0, 1], predVoxels: [0, 1], targetVoxels: [0, 3] });
 * acc.add({ intersection: [0, 1], predVoxels: [0, 1], targetVoxels: [0, 1] });
 * acc.aggregate().mean; // 2 * 2 / (2 + 4) = 0.667 (per case: mean of 0.5 and 1 = 0.75)
 */
export class DiceAccumulator {
  private readonly first: number;
  private readonly sums: { intersection: number[]; predVoxels: number[]; targetVoxels: number[] };
  private readonly caseDice: number[][] = [];

  /**
   * @param aggregation "perCase" or "pooled"
   * @param options numClasses K (class 0 = background); includeBackground (default false)
   * @throws OptionError on an unknown aggregation or K < 1
   */
  constructor(readonly aggregation: DiceAggregation, readonly options: { numClasses: number; includeBackground?: boolean }) {
    if (!DICE_AGGREGATIONS.includes(aggregation)) throw new OptionError("DiceAccumulator: aggregation", aggregation, DICE_AGGREGATIONS);
    if (!(Number.isInteger(options.numClasses) && options.numClasses >= 1)) throw new OptionError("DiceAccumulator: numClasses", options.numClasses, "an integer >= 1");
    this.first = options.includeBackground ? 0 : 1;
    const zeros = () => new Array<number>(options.numClasses).fill(0);
    this.sums = { intersection: zeros(), predVoxels: zeros(), targetVoxels: zeros() };
  }

  /** Add one case's (or batch's) per-class counts, length K each. */
  add(c: DiceCounts): void {
    const K = this.options.numClasses;
    for (const key of ["intersection", "predVoxels", "targetVoxels"] as const) {
      if (c[key].length !== K) throw new OptionError(`DiceAccumulator.add: ${key}.length`, c[key].length, `${K} (numClasses)`);
    }
    const dice: number[] = [];
    for (let k = 0; k < K; k++) {
      this.sums.intersection[k]! += c.intersection[k]!;
      this.sums.predVoxels[k]! += c.predVoxels[k]!;
      this.sums.targetVoxels[k]! += c.targetVoxels[k]!;
      if (k >= this.first) dice.push(computeDice(c.intersection[k]!, c.predVoxels[k]!, c.targetVoxels[k]!));
    }
    this.caseDice.push(dice);
  }

  /** Reduce the cases added so far (see {@link DiceAggregate}). */
  aggregate(): DiceAggregate {
    const K = this.options.numClasses;
    if (this.aggregation === "pooled") {
      const perClass: number[] = [];
      for (let k = this.first; k < K; k++) perClass.push(computeDice(this.sums.intersection[k]!, this.sums.predVoxels[k]!, this.sums.targetVoxels[k]!));
      return { aggregation: "pooled", perClass, mean: nanMean(perClass), cases: this.caseDice.length };
    }
    const perClass = Array.from({ length: K - this.first }, (_, j) => nanMean(this.caseDice.map((d) => d[j]!)));
    return { aggregation: "perCase", perClass, mean: nanMean(this.caseDice.map((d) => nanMean(d))), cases: this.caseDice.length };
  }
}
