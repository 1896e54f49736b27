/**
 * In-plane ROI crop/pad to H x W around the foreground centre (PnP-AdaNet: the heart's centre =
 * mean of the label coordinates; here also used for the abdominal organs). z is untouched.
 */
import type { Volume } from "./types.ts";
import { OptionError } from "../util/errors.ts";
import { subgridAffine } from "./geometry.ts";

/**
 * Mean (x, y) of the voxels with label > 0, rounded to the nearest voxel; the in-plane grid centre
 * if there is no foreground.
 * @param label class indices, Volume layout (x fastest)
 */
export function foregroundCentreXY(label: Volume<Uint8Array>): [number, number] {
  const [nx, ny, nz] = label.shape;
  let sx = 0, sy = 0, n = 0;
  const d = label.data;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const base = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        if (d[base + i]! > 0) {
          sx += i;
          sy += j;
          n++;
        }
      }
    }
  }
  if (n === 0) return [Math.floor(nx / 2), Math.floor(ny / 2)];
  return [Math.round(sx / n), Math.round(sy / n)];
}

/** Inclusive [first, last] z index holding any label > 0, or null if there is none. */
export function foregroundZRange(label: Volume<Uint8Array>): [number, number] | null {
  const [nx, ny, nz] = label.shape;
  const plane = nx * ny;
  let lo = -1, hi = -1;
  for (let k = 0; k < nz; k++) {
    const s = label.data.subarray(k * plane, (k + 1) * plane);
    if (s.some((v) => v > 0)) {
      if (lo < 0) lo = k;
      hi = k;
    }
  }
  return lo < 0 ? null : [lo, hi];
}

/**
 * Crops/pads every axial slice to `height` x `width` with the window's centre at `centre`
 * (window x range = [cx - floor(W/2), cx - floor(W/2) + W)); voxels outside the source take
 * `padValue`.
 * @param vol any volume; data type is preserved
 * @param size [height (y), width (x)]
 * @returns the cropped volume (shape [width, height, nz], affine shifted) and the x/y/z offset of
 *   its voxel 0 in the source grid (may be negative where padded)
 */
export function cropXY<T extends Float32Array | Uint8Array>(
  vol: Volume<T>,
  size: readonly [number, number],
  centre: readonly [number, number],
  padValue = 0,
): { volume: Volume<T>; offset: [number, number, number] } {
  const [H, W] = size;
  if (!(Number.isInteger(H) && H > 0 && Number.isInteger(W) && W > 0)) throw new OptionError("size", size, "two positive integers [H, W]");
  const [nx, ny, nz] = vol.shape;
  const x0 = centre[0] - Math.floor(W / 2);
  const y0 = centre[1] - Math.floor(H / 2);
  const Ctor = vol.data.constructor as { new (n: number): T };
  const out = new Ctor(W * H * nz);
  if (padValue !== 0) out.fill(padValue);
  const xa = Math.max(0, -x0), xb = Math.min(W, nx - x0);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < H; j++) {
      const sy = y0 + j;
      if (sy < 0 || sy >= ny || xb <= xa) continue;
      const src = (k * ny + sy) * nx + x0;
      const dst = (k * H + j) * W;
      out.set(vol.data.subarray(src + xa, src + xb), dst + xa);
    }
  }
  const offset: [number, number, number] = [x0, y0, 0];
  return {
    volume: { data: out, shape: [W, H, nz], spacing: vol.spacing, affine: subgridAffine(vol.affine, offset), ...(vol.source ? { source: vol.source } : {}) },
    offset,
  };
}

/** Keeps slices z in [z0, z1] (inclusive) of a volume; the affine is shifted to match. */
export function cropZ<T extends Float32Array | Uint8Array>(vol: Volume<T>, z0: number, z1: number): Volume<T> {
  const [nx, ny, nz] = vol.shape;
  if (!(Number.isInteger(z0) && Number.isInteger(z1) && 0 <= z0 && z0 <= z1 && z1 < nz)) {
    throw new OptionError("z range", [z0, z1], `integers 0 <= z0 <= z1 < ${nz}`);
  }
  const plane = nx * ny;
  return {
    data: vol.data.slice(z0 * plane, (z1 + 1) * plane) as T,
    shape: [nx, ny, z1 - z0 + 1],
    spacing: vol.spacing,
    affine: subgridAffine(vol.affine, [0, 0, z0]),
    ...(vol.source ? { source: vol.source } : {}),
  };
}

/**
 * The ROI window centre used by preprocessing: the foreground centre, moved as little as needed to
 * keep the H x W window inside the plane along each axis the plane is at least as large as the
 * window (so no anatomy is cut while padding elsewhere); along a smaller axis the window is
 * centred on the plane (equal padding).
 * @param size [H, W]
 */
export function roiCentreXY(label: Volume<Uint8Array> | undefined, shape: readonly [number, number, number], size: readonly [number, number]): [number, number] {
  const c = label ? foregroundCentreXY(label) : [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2)];
  const fit = (centre: number, n: number, w: number) => {
    const half = Math.floor(w / 2);
    const start = n >= w ? Math.min(Math.max(centre - half, 0), n - w) : -Math.floor((w - n) / 2);
    return start + half;
  };
  return [fit(c[0]!, shape[0], size[1]), fit(c[1]!, shape[1], size[0])];
}
