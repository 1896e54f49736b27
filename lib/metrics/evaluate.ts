/**
 * Per-class evaluation of a label map against a reference: Dice, Hausdorff distance, HD95 and
 * ASSD in millimetres, for every requested label, in one pass over the volumes.
 *
 * Shared work: a single scan of pred and target gathers, for all labels at once, voxel counts,
 * overlaps (for Dice) and bounding boxes; each class then works only inside the bounding box of
 * the union of its two masks (see surface-distance.ts for why this is exact), reusing one EDT
 * buffer across classes.
 */
import { OptionError } from "../util/errors.ts";
import { computeDice } from "./dice.ts";
import type { Grid, LabelImage } from "./grid.ts";
import { toGridPair } from "./grid.ts";
import { type Box, boxDims, cropMask, surfaceDistancesInBox, unionBox } from "./surface-distance.ts";
import { type SurfaceMetricOptions, resolveSurfaceMetricOptions, surfaceMetrics } from "./surface-metrics.ts";

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateOptions extends SurfaceMetricOptions {
  /**
   * Labels to evaluate, in output order (default: every non-zero value present in pred or target,
   * ascending). Background (0) is evaluated only when listed explicitly.
   */
  labels?: readonly number[];
  /** mm per axis, overriding the images' spacing (default: theirs, else 1 mm). */
  spacing?: readonly number[];
}

/** Metrics of one class. Distances in mm. See {@link evaluateSegmentation} for NaN/Infinity. */
export interface ClassMetrics {
  label: number;
  dice: number;
  hd: number;
  hd95: number;
  assd: number;
  /** Voxels of this label in pred / target. */
  predVoxels: number;
  targetVoxels: number;
}

interface LabelStats {
  predCount: Float64Array;
  targetCount: Float64Array;
  inter: Float64Array;
  predBox: Int32Array; // per slot: lo0,lo1,lo2,hi0,hi1,hi2
  targetBox: Int32Array;
}

function scanLabels(p: Grid, t: Grid, labels: readonly number[]): LabelStats {
  const L = labels.length;
  const lut = new Map<number, number>();
  labels.forEach((l, i) => lut.set(l, i));
  const maxLabel = Math.max(...labels);
  // Dense lookup for small non-negative integer labels; Map otherwise.
  const dense = maxLabel < 65536 && labels.every((l) => Number.isInteger(l) && l >= 0);
  const table = new Int32Array(dense ? maxLabel + 1 : 0).fill(-1);
  if (dense) labels.forEach((l, i) => (table[l] = i));
  const slot = dense
    ? (v: number) => (v >= 0 && v <= maxLabel ? (table[v] ?? -1) : -1)
    : (v: number) => lut.get(v) ?? -1;
  const st: LabelStats = {
    predCount: new Float64Array(L),
    targetCount: new Float64Array(L),
    inter: new Float64Array(L),
    predBox: new Int32Array(6 * L),
    targetBox: new Int32Array(6 * L),
  };
  for (let s = 0; s < L; s++) {
    for (const b of [st.predBox, st.targetBox]) {
      b.set([2 ** 30, 2 ** 30, 2 ** 30, -1, -1, -1], 6 * s);
    }
  }
  const [n0, n1, n2] = p.dims;
  const pd = p.data;
  const td = t.data;
  const upd = (b: Int32Array, s: number, i: number, j: number, k: number) => {
    const o = 6 * s;
    if (i < b[o]!) b[o] = i;
    if (i > b[o + 3]!) b[o + 3] = i;
    if (j < b[o + 1]!) b[o + 1] = j;
    if (j > b[o + 4]!) b[o + 4] = j;
    if (k < b[o + 2]!) b[o + 2] = k;
    if (k > b[o + 5]!) b[o + 5] = k;
  };
  let idx = 0;
  let prevP = NaN;
  let prevT = NaN;
  let sp = -1;
  let stt = -1;
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, idx++) {
        const a = pd[idx]!;
        const b = td[idx]!;
        if (a !== prevP) {
          prevP = a;
          sp = slot(a);
        }
        if (b !== prevT) {
          prevT = b;
          stt = slot(b);
        }
        if (sp >= 0) {
          st.predCount[sp]!++;
          upd(st.predBox, sp, i, j, k);
          if (sp === stt) st.inter[sp]!++;
        }
        if (stt >= 0) {
          st.targetCount[stt]!++;
          upd(st.targetBox, stt, i, j, k);
        }
      }
    }
  }
  return st;
}

function boxAt(b: Int32Array, s: number): Box | null {
  const o = 6 * s;
  if (b[o + 3]! < 0) return null;
  return { lo: [b[o]!, b[o + 1]!, b[o + 2]!], hi: [b[o + 3]!, b[o + 4]!, b[o + 5]!] };
}

/** Sorted distinct non-zero values present in either image. */
export function presentLabels(pred: ArrayLike<number>, target: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  let prev = NaN;
  for (const arr of [pred, target]) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (v === prev) continue;
      prev = v;
      if (v !== 0) seen.add(v);
    }
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * Dice, HD, HD95 and ASSD per class between a predicted and a reference label map.
 *
 * Definitions: medpy's by default (surface = mask XOR face-connected erosion with outside =
 * background; exact EDT in mm; HD95 from the pooled distance sets; ASSD = mean of the two directed
 * means); MONAI's HD95/ASSD reductions via `percentileMode: 'perDirection'` / `assdMode: 'pooled'`
 * (see surface-metrics.ts). The project's tables use the defaults.
 *
 * @param pred - predicted labels, [n0, n1] or [n0, n1, n2], axis 0 fastest (a `Volume<Uint8Array>`
 *   or `{ data, shape, spacing }`).
 * @param target - reference labels, same shape and spacing.
 * @param options - labels, spacing, percentile (95), percentileMode, assdMode.
 * @returns one {@link ClassMetrics} per label, in `labels` order.
 * @throws ShapeError when shapes or spacings differ; OptionError for bad labels/options.
 * @remarks Empty classes never throw. Both masks empty: dice, hd, hd95, assd all NaN (undefined;
 *   skipped by reductions). Exactly one empty: dice 0 and hd, hd95, assd +Infinity.
 * @example
 * const rows = evaluateSegmentation(predVolume, labelVolume, { labels: [1, 2, 3, 4] });
 * // [{ label: 1, dice: 0.91, hd: 7.3, hd95: 3.1, assd: 1.2, predVoxels, targetVoxels }, ...]
 */
export function evaluateSegmentation(
  pred: LabelImage,
  target: LabelImage,
  options: EvaluateOptions = {},
): ClassMetrics[] {
  const g = toGridPair("evaluateSegmentation", pred, target, options.spacing);
  const labels = options.labels ?? presentLabels(g.pred.data, g.target.data);
  for (const l of labels) {
    if (!Number.isFinite(l)) throw new OptionError("labels", [...labels], "finite label values");
  }
  if (new Set(labels).size !== labels.length) throw new OptionError("labels", [...labels], "distinct label values");
  const metricOptions = resolveSurfaceMetricOptions(options);
  if (labels.length === 0) return [];
  const st = scanLabels(g.pred, g.target, labels);
  const out: ClassMetrics[] = [];
  let scratch: Float64Array | undefined;
  labels.forEach((label, s) => {
    const np = st.predCount[s]!;
    const nt = st.targetCount[s]!;
    const dice = computeDice(st.inter[s]!, np, nt);
    const bp = boxAt(st.predBox, s);
    const bt = boxAt(st.targetBox, s);
    let m = { hd: NaN, hd95: NaN, assd: NaN };
    if (bp && bt) {
      const box = unionBox(bp, bt);
      const dims = boxDims(box);
      const n = dims[0] * dims[1] * dims[2];
      if (!scratch || scratch.length < n) scratch = new Float64Array(n);
      const d = surfaceDistancesInBox(
        cropMask(g.pred, box, label),
        cropMask(g.target, box, label),
        dims,
        g.target.ndim,
        g.target.spacing,
        scratch,
      );
      m = surfaceMetrics(d, metricOptions);
    } else if (bp || bt) {
      m = { hd: Infinity, hd95: Infinity, assd: Infinity };
    }
    out.push({ label, dice, ...m, predVoxels: np, targetVoxels: nt });
  });
  return out;
}
