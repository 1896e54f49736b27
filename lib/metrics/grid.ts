/**
 * Input normalisation for the segmentation metrics: a label image given as a `Volume` (lib/data)
 * or as a plain typed array with its shape and spacing becomes an internal 3-D grid view.
 *
 * Layout (the project's, NIfTI's): axis 0 varies fastest, i.e. for shape [n0, n1, n2] the voxel
 * (i0, i1, i2) is at index i0 + n0 * (i1 + n1 * i2). A 2-D image has shape [n0, n1] and is treated
 * as one slice with 2-D (4-neighbour) face connectivity — not as a 3-D volume of depth 1, whose
 * every voxel would be a surface voxel.
 */
import { ShapeError, OptionError } from "../util/errors.ts";

/** Any numeric array type a label map may come in (values are compared with `===`). */
export type LabelData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | readonly number[];

/**
 * A label image: `data` in axis-0-fastest order, `shape` [n0, n1] or [n0, n1, n2], `spacing` in mm
 * in the same axis order (default 1 per axis). `Volume<Uint8Array>` from lib/data/types.ts fits.
 */
export interface LabelImage {
  data: LabelData;
  shape: readonly number[];
  spacing?: readonly number[];
  /** Where it came from, for error messages. */
  source?: string;
}

/** Internal view: always 3 dims (n2 = 1 for 2-D), plus the true dimensionality. */
export interface Grid {
  data: LabelData;
  dims: [number, number, number];
  ndim: 2 | 3;
  spacing: [number, number, number];
}

function describe(name: string, img: LabelImage): string {
  return img.source ? `${name} (${img.source})` : name;
}

function checkSpacing(where: string, sp: readonly number[], ndim: number): void {
  if (sp.length !== ndim) {
    throw new ShapeError(`${where}: spacing must have ${ndim} entries (one per axis), got [${sp.join(", ")}]`);
  }
  for (const s of sp) {
    if (!(Number.isFinite(s) && s > 0)) {
      throw new OptionError(`${where}.spacing`, [...sp], "positive finite millimetres per axis");
    }
  }
}

/**
 * Validates one image and returns its grid view.
 * @throws ShapeError when the shape is not 2-D/3-D with positive integer sizes, or data length differs.
 */
export function toGrid(fn: string, name: string, img: LabelImage, spacing?: readonly number[]): Grid {
  const where = `${fn}: ${describe(name, img)}`;
  const shape = img.shape;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new ShapeError(`${where}: shape must be [n0, n1] or [n0, n1, n2], got [${shape.join(", ")}]`);
  }
  for (const n of shape) {
    if (!(Number.isInteger(n) && n > 0)) {
      throw new ShapeError(`${where}: shape entries must be positive integers, got [${shape.join(", ")}]`);
    }
  }
  const ndim = shape.length as 2 | 3;
  const n = shape.reduce((a, b) => a * b, 1);
  if (img.data.length !== n) {
    throw new ShapeError(`${where}: data has ${img.data.length} elements, shape [${shape.join(", ")}] needs ${n}`);
  }
  const sp = spacing ?? img.spacing ?? new Array<number>(ndim).fill(1);
  checkSpacing(spacing ? `${fn}: options` : where, sp, ndim);
  return {
    data: img.data,
    dims: [shape[0]!, shape[1]!, ndim === 3 ? shape[2]! : 1],
    ndim,
    spacing: [sp[0]!, sp[1]!, ndim === 3 ? sp[2]! : 1],
  };
}

/**
 * Validates a pred/target pair: equal shapes, and equal spacings when both carry one and no
 * explicit `spacing` option overrides them.
 * @throws ShapeError naming both shapes or spacings.
 */
export function toGridPair(
  fn: string,
  pred: LabelImage,
  target: LabelImage,
  spacing?: readonly number[],
): { pred: Grid; target: Grid } {
  const p = toGrid(fn, "pred", pred, spacing);
  const t = toGrid(fn, "target", target, spacing);
  if (pred.shape.length !== target.shape.length || pred.shape.some((n, i) => n !== target.shape[i])) {
    throw new ShapeError(
      `${fn}: pred and target must have equal shapes, got [${pred.shape.join(", ")}] and [${target.shape.join(", ")}]`,
    );
  }
  if (!spacing && pred.spacing && target.spacing) {
    const tol = 1e-6;
    const differ = pred.spacing.some((s, i) => Math.abs(s - target.spacing![i]!) > tol * Math.max(1, Math.abs(s)));
    if (differ) {
      throw new ShapeError(
        `${fn}: pred and target must have equal spacings (mm), got [${pred.spacing.join(", ")}] and [${target.spacing.join(", ")}]`,
      );
    }
  }
  // Both views use the target's spacing (equal to pred's within tolerance, or the explicit option).
  return { pred: { ...p, spacing: t.spacing }, target: t };
}
