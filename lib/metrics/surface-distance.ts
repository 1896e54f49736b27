/**
 * Surface (border) voxels and directed surface-to-surface distances, medpy semantics
 * (`medpy.metric.binary.__surface_distances`):
 *
 * - surface(M) = M XOR binary_erosion(M) with the face-connectivity structuring element
 *   (6-neighbourhood in 3-D, 4 in 2-D); voxels outside the image count as background, as
 *   `scipy.ndimage.binary_erosion`'s default `border_value=0` — a mask touching the image border
 *   has surface voxels there;
 * - distance of a surface voxel of A to B = exact Euclidean distance (mm, honouring spacing) to the
 *   nearest surface voxel of B.
 *
 * MONAI's `get_mask_edges` / `get_surface_distance` (euclidean) use the same surface and distance
 * definition, so the two directed distance sets are identical; they differ only in how the sets are
 * reduced (see surface-metrics.ts).
 *
 * Speed: everything is computed inside the bounding box of the union of both masks. The surface of
 * a mask spans the mask's bounding box, so the union box contains every surface voxel of both sets
 * and an EDT restricted to it is exact (the separable EDT computes, for every voxel of the box, the
 * minimum over all feature voxels of the box). Outside the box both masks are background, so
 * erosion with "outside = background" inside the box is exact too.
 */
import type { Grid, LabelImage } from "./grid.ts";
import { toGridPair } from "./grid.ts";
import { squaredDistanceToFeatures } from "./distance-transform.ts";

/** Inclusive voxel bounding box [lo, hi] per axis. */
export interface Box {
  lo: [number, number, number];
  hi: [number, number, number];
}

/** The two directed distance sets, in mm, one entry per surface voxel (voxel order: axis 0 fastest). */
export interface SurfaceDistances {
  /** For each surface voxel of pred: distance to the nearest surface voxel of target. */
  predToTarget: Float64Array;
  /** For each surface voxel of target: distance to the nearest surface voxel of pred. */
  targetToPred: Float64Array;
}

export function boxDims(b: Box): [number, number, number] {
  return [b.hi[0] - b.lo[0] + 1, b.hi[1] - b.lo[1] + 1, b.hi[2] - b.lo[2] + 1];
}

/**
 * Copies `data == label` (or `data != 0` when label is null) inside `box` into a 0/1 crop.
 */
export function cropMask(g: Grid, box: Box, label: number | null): Uint8Array {
  const [c0, c1, c2] = boxDims(box);
  const out = new Uint8Array(c0 * c1 * c2);
  const [n0, n1] = g.dims;
  const data = g.data;
  let o = 0;
  for (let k = 0; k < c2; k++) {
    for (let j = 0; j < c1; j++) {
      let idx = box.lo[0] + n0 * (box.lo[1] + j + n1 * (box.lo[2] + k));
      if (label === null) {
        for (let i = 0; i < c0; i++, idx++, o++) out[o] = data[idx] !== 0 ? 1 : 0;
      } else {
        for (let i = 0; i < c0; i++, idx++, o++) out[o] = data[idx] === label ? 1 : 0;
      }
    }
  }
  return out;
}

/**
 * Surface of a 0/1 mask in a box whose outside is background: mask voxels with at least one
 * face neighbour (2*ndim of them) that is background or outside the box.
 * @returns [surface (0/1, same length), number of surface voxels]
 */
export function maskSurface(mask: Uint8Array, dims: readonly [number, number, number], ndim: 2 | 3): [Uint8Array, number] {
  const [n0, n1, n2] = dims;
  const s1 = n0;
  const s2 = n0 * n1;
  const out = new Uint8Array(mask.length);
  let count = 0;
  for (let k = 0; k < n2; k++) {
    const kEdge = ndim === 3 && (k === 0 || k === n2 - 1);
    for (let j = 0; j < n1; j++) {
      const jEdge = j === 0 || j === n1 - 1;
      const base = n0 * (j + n1 * k);
      for (let i = 0; i < n0; i++) {
        const idx = base + i;
        if (mask[idx] === 0) continue;
        let surf =
          kEdge ||
          jEdge ||
          i === 0 ||
          i === n0 - 1 ||
          mask[idx - 1] === 0 ||
          mask[idx + 1] === 0 ||
          mask[idx - s1] === 0 ||
          mask[idx + s1] === 0;
        if (!surf && ndim === 3) surf = mask[idx - s2] === 0 || mask[idx + s2] === 0;
        if (surf) {
          out[idx] = 1;
          count++;
        }
      }
    }
  }
  return [out, count];
}

/**
 * Directed distances between the surfaces of two non-empty 0/1 masks on the same box.
 * Reuses `scratch` (length >= box voxels) for the EDT when given.
 */
export function surfaceDistancesInBox(
  predMask: Uint8Array,
  targetMask: Uint8Array,
  dims: readonly [number, number, number],
  ndim: 2 | 3,
  spacing: readonly [number, number, number],
  scratch?: Float64Array,
): SurfaceDistances {
  const [sp, np] = maskSurface(predMask, dims, ndim);
  const [st, nt] = maskSurface(targetMask, dims, ndim);
  const predToTarget = new Float64Array(np);
  const targetToPred = new Float64Array(nt);
  // Each EDT is needed only at the other set's surface voxels (passed as queries).
  let dt = squaredDistanceToFeatures(st, dims, spacing, scratch, sp);
  for (let i = 0, o = 0; o < np; i++) if (sp[i] !== 0) predToTarget[o++] = Math.sqrt(dt[i]!);
  dt = squaredDistanceToFeatures(sp, dims, spacing, dt, st);
  for (let i = 0, o = 0; o < nt; i++) if (st[i] !== 0) targetToPred[o++] = Math.sqrt(dt[i]!);
  return { predToTarget, targetToPred };
}

/** Bounding box of `data == label` (or `!= 0` when label is null); null when empty. */
export function maskBox(g: Grid, label: number | null): Box | null {
  const [n0, n1, n2] = g.dims;
  const lo: [number, number, number] = [n0, n1, n2];
  const hi: [number, number, number] = [-1, -1, -1];
  const data = g.data;
  let idx = 0;
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, idx++) {
        const v = data[idx]!;
        if (label === null ? v === 0 : v !== label) continue;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  return hi[0] < 0 ? null : { lo, hi };
}

export function unionBox(a: Box, b: Box): Box {
  return {
    lo: [Math.min(a.lo[0], b.lo[0]), Math.min(a.lo[1], b.lo[1]), Math.min(a.lo[2], b.lo[2])],
    hi: [Math.max(a.hi[0], b.hi[0]), Math.max(a.hi[1], b.hi[1]), Math.max(a.hi[2], b.hi[2])],
  };
}

/** Options of {@link surfaceDistances}. */
export interface SurfaceDistanceOptions {
  /** mm per axis, overrides the images' own spacing (default: theirs, else 1). */
  spacing?: readonly number[];
  /** Foreground = voxels equal to this label (default: every non-zero voxel). */
  label?: number;
}

/**
 * The two directed surface-distance sets between binary masks (medpy semantics, see file doc).
 *
 * @param pred - prediction [n0, n1(, n2)], axis 0 fastest; foreground = non-zero or `== label`.
 * @param target - reference, same shape and spacing.
 * @returns `{ predToTarget, targetToPred }` Float64Arrays in mm. When one mask is empty its own
 *   set is empty and the other set is all +Infinity; when both are empty both sets are empty.
 * @throws ShapeError for unequal shapes/spacings or bad shapes.
 * @example
 * const d = surfaceDistances({ data: a, shape: [64, 64, 32], spacing: [1, 1, 2.5] },
 *                            { data: b, shape: [64, 64, 32], spacing: [1, 1, 2.5] });
 */
export function surfaceDistances(
  pred: LabelImage,
  target: LabelImage,
  options: SurfaceDistanceOptions = {},
): SurfaceDistances {
  const g = toGridPair("surfaceDistances", pred, target, options.spacing);
  const label = options.label ?? null;
  const bp = maskBox(g.pred, label);
  const bt = maskBox(g.target, label);
  if (!bp || !bt) {
    const countSurface = (grid: Grid, b: Box | null) =>
      b ? maskSurface(cropMask(grid, b, label), boxDims(b), grid.ndim)[1] : 0;
    return {
      predToTarget: new Float64Array(countSurface(g.pred, bp)).fill(Infinity),
      targetToPred: new Float64Array(countSurface(g.target, bt)).fill(Infinity),
    };
  }
  const box = unionBox(bp, bt);
  return surfaceDistancesInBox(
    cropMask(g.pred, box, label),
    cropMask(g.target, box, label),
    boxDims(box),
    g.target.ndim,
    g.target.spacing,
  );
}
