/**
 * Voxel-grid geometry helpers: affines (voxel index -> world mm, RAS+ as in NIfTI), spacing and
 * direction cosines, and grid comparison between an image and its label map.
 */
import type { Affine, Volume } from "./types.ts";
import { DataError } from "../util/errors.ts";

/** Diagonal affine with the given spacing and origin (RAS+ axis-aligned grid). */
export function diagonalAffine(spacing: readonly [number, number, number], origin: readonly number[] = [0, 0, 0]): Affine {
  return [
    [spacing[0], 0, 0, origin[0] ?? 0],
    [0, spacing[1], 0, origin[1] ?? 0],
    [0, 0, spacing[2], origin[2] ?? 0],
    [0, 0, 0, 1],
  ];
}

/** Column norms of the affine's 3x3 part: the voxel size in mm along i, j, k. */
export function spacingFromAffine(a: Affine): [number, number, number] {
  const col = (j: number) => Math.hypot(a[0]![j]!, a[1]![j]!, a[2]![j]!);
  return [col(0), col(1), col(2)];
}

/** Unit direction cosines (columns i, j, k of the affine, normalised), as a 3x3 row-major matrix. */
export function directionFromAffine(a: Affine): number[][] {
  const s = spacingFromAffine(a);
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => a[r]![c]! / (s[c]! || 1)));
}

/**
 * The affine of a grid whose voxel (i,j,k) sits at old voxel (offset + i*step): used after
 * cropping (step 1, offset = crop start) and resampling (step = newSpacing/oldSpacing).
 */
export function subgridAffine(a: Affine, offset: readonly number[], step: readonly number[] = [1, 1, 1]): Affine {
  const out: Affine = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]];
  for (let r = 0; r < 3; r++) {
    let t = a[r]![3]!;
    for (let c = 0; c < 3; c++) {
      out[r]![c] = a[r]![c]! * step[c]!;
      t += a[r]![c]! * offset[c]!;
    }
    out[r]![3] = t;
  }
  return out;
}

/**
 * How the world placement of grid `b` differs from grid `a` of the same shape and spacing, or
 * undefined when their affines agree: an axis mirrored (direction reversed), an oblique direction
 * (rotated by more than `angleTolDeg`), or an origin shifted by more than `shiftTolMm`.
 */
export function affineMismatch(a: Affine, b: Affine, angleTolDeg = 0.1, shiftTolMm = 0.01): string | undefined {
  const da = directionFromAffine(a);
  const db = directionFromAffine(b);
  const axes = ["i", "j", "k"];
  for (let c = 0; c < 3; c++) {
    const dot = da[0]![c]! * db[0]![c]! + da[1]![c]! * db[1]![c]! + da[2]![c]! * db[2]![c]!;
    if (dot < 0) return `is mirrored along voxel axis ${axes[c]} relative to the image's (direction ${fmtVec(db.map((r) => r[c]!))} vs ${fmtVec(da.map((r) => r[c]!))})`;
    const deg = (Math.acos(Math.min(1, dot)) * 180) / Math.PI;
    if (deg > angleTolDeg) return `is oblique to the image's: voxel axis ${axes[c]} is rotated by ${deg.toFixed(1)} degrees (direction ${fmtVec(db.map((r) => r[c]!))} vs ${fmtVec(da.map((r) => r[c]!))})`;
  }
  const shift = Math.hypot(b[0]![3]! - a[0]![3]!, b[1]![3]! - a[1]![3]!, b[2]![3]! - a[2]![3]!);
  if (shift > shiftTolMm) return `has its origin shifted by ${shift.toFixed(3)} mm from the image's (${fmtVec([b[0]![3]!, b[1]![3]!, b[2]![3]!])} vs ${fmtVec([a[0]![3]!, a[1]![3]!, a[2]![3]!])})`;
  return undefined;
}

function fmtVec(v: readonly number[]): string {
  return `[${v.map((x) => Number(x.toFixed(3)) + 0).join(", ")}]`;
}

/**
 * Checks that a label map lies on its image's grid: same shape, spacing within `tol` mm, and the
 * same affine (no mirrored or oblique axis, no shifted origin; see {@link affineMismatch}), so that
 * voxel (i, j, k) of the label is the same point of the body as voxel (i, j, k) of the image. The
 * one geometry check of every image/label pair (`train`, `prepare`, the loaders); `metrics` makes
 * the same comparison with its own `--ignore-affine` escape.
 * @throws DataError naming `file` and what differs.
 */
export function assertSameGrid(image: Volume<any>, label: Volume<any>, file: string, tol = 1e-3): void {
  const same = image.shape.every((v, i) => v === label.shape[i]);
  if (!same) {
    throw new DataError(file, `label shape [${label.shape}] does not match image shape [${image.shape}]`);
  }
  const dsp = image.spacing.some((v, i) => Math.abs(v - label.spacing[i]!) > tol);
  if (dsp) {
    throw new DataError(
      file,
      `label spacing [${label.spacing.map((v) => v.toFixed(4))}] does not match image spacing [${image.spacing.map((v) => v.toFixed(4))}]`,
    );
  }
  const how = affineMismatch(image.affine, label.affine);
  if (how) {
    const of = image.source ? ` (${image.source})` : "";
    throw new DataError(file, `the label's affine ${how}${of}: the label would be misaligned with the image; resample the label onto the image's grid`);
  }
}

/**
 * Throws a DataError if any value is NaN or infinite (reports the count and the first index).
 */
export function assertFinite(data: ArrayLike<number>, file: string): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count > 0) throw new DataError(file, `${count} non-finite (NaN/Inf) intensities, first at voxel index ${first}`);
}

export type AxisName = "x" | "y" | "z";
export type SlicePlane = AxisName | "axial" | "coronal" | "sagittal";

/**
 * The voxel axis (0, 1, 2) to slice along for a named plane: x/y/z directly; an anatomical plane
 * through the affine (axial: the axis most aligned with world S-I, coronal: A-P, sagittal: L-R).
 */
export function sliceAxisIndex(affine: Affine, plane: SlicePlane): 0 | 1 | 2 {
  if (plane === "x") return 0;
  if (plane === "y") return 1;
  if (plane === "z") return 2;
  const world = plane === "sagittal" ? 0 : plane === "coronal" ? 1 : 2;
  const d = directionFromAffine(affine);
  let best: 0 | 1 | 2 = 0;
  for (const c of [1, 2] as const) if (Math.abs(d[world]![c]!) > Math.abs(d[world]![best]!)) best = c;
  return best;
}

/**
 * Reorders voxel axes: output axis a is input axis `order[a]` (a permutation of 0, 1, 2). The
 * affine is permuted to match, so world positions are unchanged.
 */
export function permuteAxes<T extends Float32Array | Uint8Array>(vol: Volume<T>, order: readonly [number, number, number]): Volume<T> {
  if ([...order].sort().join() !== "0,1,2") throw new DataError(vol.source ?? "<volume>", `invalid axis order [${order}]`);
  if (order[0] === 0 && order[1] === 1 && order[2] === 2) return vol;
  const inShape = vol.shape;
  const shape = [inShape[order[0]]!, inShape[order[1]]!, inShape[order[2]]!] as [number, number, number];
  const inStride = [1, inShape[0], inShape[0] * inShape[1]];
  const s0 = inStride[order[0]]!, s1 = inStride[order[1]]!, s2 = inStride[order[2]]!;
  const Ctor = vol.data.constructor as { new (n: number): T };
  const out = new Ctor(vol.data.length);
  let o = 0;
  for (let k = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) {
      const base = k * s2 + j * s1;
      for (let i = 0; i < shape[0]; i++) out[o++] = vol.data[base + i * s0]!;
    }
  }
  const a = vol.affine;
  const affine: Affine = [0, 1, 2, 3].map((r) => [a[r]![order[0]]!, a[r]![order[1]]!, a[r]![order[2]]!, a[r]![3]!]) as Affine;
  const spacing = [vol.spacing[order[0]]!, vol.spacing[order[1]]!, vol.spacing[order[2]]!] as [number, number, number];
  return { data: out, shape, spacing, affine, ...(vol.source ? { source: vol.source } : {}) };
}
