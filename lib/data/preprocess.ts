/**
 * The per-case preprocessing pipeline (authors' notes section 6, PnP-AdaNet issue #1), with sizes
 * and spacings as parameters so CPU profiles can run smaller:
 *   0. optional reorientation so the slicing plane's normal is the z axis (`slicePlane`),
 *   1. optional resampling to `spacing` (trilinear image, nearest labels),
 *   2. in-plane ROI crop/pad to `size` = [H, W] around the foreground centre (mean label
 *      coordinate; grid centre without labels), shifted to stay inside the plane where it fits
 *      (`keepInside`), padding images with their minimum,
 *   3. clip the top `clipPercent`% of intensities (default 2%), 4. z-score the whole volume.
 */
import type { Case } from "./types.ts";
import { OptionError } from "../util/errors.ts";
import { resampleImage, resampleLabels } from "./resample.ts";
import { cropXY, foregroundCentreXY, roiCentreXY } from "./crop.ts";
import { clipTopPercent, zscore } from "./intensity.ts";
import { assertFinite, assertSameGrid, permuteAxes, sliceAxisIndex, type SlicePlane } from "./geometry.ts";

export interface PreprocessOptions {
  /**
   * Plane of the 2D slices: the chosen axis becomes z (slice axis) before anything else, keeping
   * the other two in order. "z" (default) keeps the grid; "coronal" reproduces PnP-AdaNet's MM-WHS
   * slicing (axis picked from the affine).
   */
  slicePlane?: SlicePlane;
  /** Target spacing [sx, sy, sz] in mm; undefined keeps the grid, an entry <= 0 keeps that axis. */
  spacing?: [number, number, number] | undefined;
  /** In-plane ROI [H, W]; undefined keeps the full plane. Default [256, 256]. */
  size?: [number, number] | undefined;
  /**
   * Keep the ROI window inside the plane where the plane is large enough (see roiCentreXY); default
   * true. false: centre exactly on the mean foreground coordinate (PnP-AdaNet), padding as needed.
   */
  keepInside?: boolean;
  /**
   * Where the in-plane ROI is centred: "foreground" (default; the mean label coordinate, as
   * PnP-AdaNet) or "grid" (the plane's centre: uses no label, so test cases are cropped exactly as
   * an unlabelled scan would be).
   */
  roiCentre?: "foreground" | "grid";
  /** Percentage of the brightest voxels clipped; default 2 (clip at the 98th percentile); 0 disables. */
  clipPercent?: number;
  /** Z-score after clipping; default true. */
  zscore?: boolean;
}

export interface PreprocessRecord {
  /** Output axis a came from input axis axisOrder[a] (the slice axis last). */
  axisOrder: [number, number, number];
  originalShape: [number, number, number];
  originalSpacing: [number, number, number];
  resampledShape: [number, number, number];
  cropOffset: [number, number, number];
  clipThreshold: number | null;
  mean: number | null;
  std: number | null;
}

/**
 * Preprocesses one case (image and, if present, label). The input is not modified.
 * @returns a new Case (image float32 z-scored, label on the same grid) with `meta.preprocess`
 * @throws DataError if intensities are not finite or the label grid differs from the image's
 */
export function preprocessCase(c: Case, opts: PreprocessOptions = {}): Case {
  const file = c.image.source ?? c.id;
  assertFinite(c.image.data, file);
  if (c.label) assertSameGrid(c.image, c.label, c.label.source ?? c.id);
  const axis = sliceAxisIndex(c.image.affine, opts.slicePlane ?? "z");
  const order = ([0, 1, 2].filter((a) => a !== axis).concat(axis)) as [number, number, number];
  const src = { image: permuteAxes(c.image, order), label: c.label ? permuteAxes(c.label, order) : undefined };
  const target = opts.spacing ? (opts.spacing.map((t, i) => (t > 0 ? t : src.image.spacing[i]!)) as [number, number, number]) : undefined;
  let image = target ? resampleImage(src.image, target) : { ...src.image, data: axis === 2 ? src.image.data.slice() : src.image.data };
  let label = src.label ? (target ? resampleLabels(src.label, target) : src.label) : undefined;
  const resampledShape = image.shape;
  let cropOffset: [number, number, number] = [0, 0, 0];
  const size: [number, number] | undefined = "size" in opts ? opts.size : [256, 256];
  if (size) {
    let min = Infinity;
    for (let i = 0; i < image.data.length; i++) if (image.data[i]! < min) min = image.data[i]!;
    const centre = opts.keepInside === false
      ? (label ? foregroundCentreXY(label) : ([Math.floor(image.shape[0] / 2), Math.floor(image.shape[1] / 2)] as [number, number]))
      : roiCentreXY(opts.roiCentre === "grid" ? undefined : label, image.shape, size);
    const ci = cropXY(image, size, centre, min);
    image = ci.volume;
    cropOffset = ci.offset;
    if (label) label = cropXY(label, size, centre, 0).volume;
  }
  const pct = opts.clipPercent ?? 2;
  if (!(pct >= 0 && pct < 100)) throw new OptionError("clipPercent", pct, "a percentage in [0, 100)");
  const clipThreshold = pct > 0 ? clipTopPercent(image.data, 100 - pct) : null;
  const z = opts.zscore === false ? null : zscore(image.data);
  const record: PreprocessRecord = {
    axisOrder: order,
    originalShape: c.image.shape,
    originalSpacing: c.image.spacing,
    resampledShape,
    cropOffset,
    clipThreshold,
    mean: z ? z.mean : null,
    std: z ? z.std : null,
  };
  return { id: c.id, modality: c.modality, image, ...(label ? { label } : {}), meta: { ...(c.meta ?? {}), preprocess: record } };
}
