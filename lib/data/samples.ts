/**
 * Network inputs cut from preprocessed volumes (Volume layout: x fastest, shape [nx, ny, nz]).
 *   - 2.5D sample: slices z-1, z, z+1 as channels -> x [H=ny, W=nx, 3] (NHWC without the batch),
 *     label of slice z -> y [H, W]. Edge slices replicate (z-1 = 0 at z = 0).
 *   - 3D patch: `depth` slices from z0 -> x [D, H, W] (NDHWC without batch and channel), y [D, H, W];
 *     slices past the end replicate the last one (volumes thinner than `depth`).
 * 3D patch start (authors' data_loader.py): with probability 1/2 a random block aligned to
 * multiples of `depth` (the last block clamped to the end), else a block centred at a random z in
 * the foreground's z-extent.
 */
import type { ImageVolume, LabelVolume } from "./types.ts";
import type { Rng } from "../util/rng.ts";
import { OptionError } from "../util/errors.ts";

function clampZ(z: number, nz: number): number {
  return z < 0 ? 0 : z >= nz ? nz - 1 : z;
}

/**
 * Writes the 2.5D sample for slice `z` into `x` (at `xOff`, length H*W*3) and `y` (at `yOff`, H*W).
 */
export function slice25DInto(image: ImageVolume, label: LabelVolume | undefined, z: number, x: Float32Array, xOff: number, y?: Uint8Array, yOff = 0): void {
  const [nx, ny, nz] = image.shape;
  if (!(Number.isInteger(z) && z >= 0 && z < nz)) throw new OptionError("z", z, `an integer slice index in [0, ${nz})`);
  const plane = nx * ny;
  for (let c = 0; c < 3; c++) {
    const base = clampZ(z + c - 1, nz) * plane;
    for (let p = 0; p < plane; p++) x[xOff + p * 3 + c] = image.data[base + p]!;
  }
  if (y && label) y.set(label.data.subarray(z * plane, (z + 1) * plane), yOff);
}

/** One 2.5D sample: x [H, W, 3] float32 (HWC), y [H, W] class indices. */
export function slice25D(image: ImageVolume, label: LabelVolume | undefined, z: number): { x: Float32Array; y: Uint8Array } {
  const plane = image.shape[0] * image.shape[1];
  const x = new Float32Array(plane * 3);
  const y = new Uint8Array(plane);
  slice25DInto(image, label, z, x, 0, y, 0);
  return { x, y };
}

/** Writes the 3D patch [depth, H, W] starting at slice z0 into `x`/`y` at the given offsets. */
export function patch3DInto(image: ImageVolume, label: LabelVolume | undefined, z0: number, depth: number, x: Float32Array, xOff: number, y?: Uint8Array, yOff = 0): void {
  const [nx, ny, nz] = image.shape;
  const plane = nx * ny;
  for (let d = 0; d < depth; d++) {
    const z = clampZ(z0 + d, nz);
    x.set(image.data.subarray(z * plane, (z + 1) * plane), xOff + d * plane);
    if (y && label) y.set(label.data.subarray(z * plane, (z + 1) * plane), yOff + d * plane);
  }
}

/** One 3D patch: x [D, H, W] float32, y [D, H, W] class indices. */
export function patch3D(image: ImageVolume, label: LabelVolume | undefined, z0: number, depth = 8): { x: Float32Array; y: Uint8Array } {
  const plane = image.shape[0] * image.shape[1];
  const x = new Float32Array(plane * depth);
  const y = new Uint8Array(plane * depth);
  patch3DInto(image, label, z0, depth, x, 0, y, 0);
  return { x, y };
}

/**
 * Chooses a 3D patch start slice (see the file comment).
 * @param nz slices in the volume
 * @param fgRange inclusive foreground z-range, or null (then always an aligned block)
 */
export function choosePatchStart(rng: Rng, nz: number, depth: number, fgRange: [number, number] | null): number {
  const last = Math.max(0, nz - depth);
  if (rng.next() < 0.5 || !fgRange) {
    const blocks = Math.ceil(nz / depth);
    return Math.min(rng.int(blocks) * depth, last);
  }
  const zc = fgRange[0] + rng.int(fgRange[1] - fgRange[0] + 1);
  return Math.min(Math.max(0, zc - Math.floor(depth / 2)), last);
}
