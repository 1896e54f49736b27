/**
 * Resampling to a target voxel spacing on the same origin and axes: trilinear for images, nearest
 * neighbour for labels. New voxel i sits at old continuous index i * (target / old spacing) along
 * each axis (voxel 0 stays at the same world position); positions past the last voxel take the edge
 * value. New shape: max(1, round(n * old / target)). scipy's equivalent is
 * `ndimage.affine_transform(x, diag(target/old), output_shape=shape, order=1, mode="nearest")`.
 */
import type { ImageVolume, LabelVolume, Volume } from "./types.ts";
import { OptionError } from "../util/errors.ts";
import { subgridAffine } from "./geometry.ts";

type Sp = readonly [number, number, number];

function plan(vol: Volume<any>, target: Sp) {
  target.forEach((t, i) => {
    if (!(t > 0)) throw new OptionError(`spacing[${i}]`, t, "a positive number of millimetres");
  });
  const step = [0, 1, 2].map((i) => target[i]! / vol.spacing[i]!);
  const shape = [0, 1, 2].map((i) => Math.max(1, Math.round((vol.shape[i]! * vol.spacing[i]!) / target[i]!))) as [number, number, number];
  return { step, shape, affine: subgridAffine(vol.affine, [0, 0, 0], step), spacing: [target[0], target[1], target[2]] as [number, number, number] };
}

function axisLinear(nOld: number, nNew: number, step: number) {
  const i0 = new Int32Array(nNew);
  const i1 = new Int32Array(nNew);
  const w = new Float64Array(nNew);
  for (let i = 0; i < nNew; i++) {
    let p = i * step;
    if (p > nOld - 1) p = nOld - 1;
    const f = Math.floor(p);
    i0[i] = f;
    i1[i] = Math.min(f + 1, nOld - 1);
    w[i] = p - f;
  }
  return { i0, i1, w };
}

/**
 * Trilinear resampling of an image volume to `target` spacing (mm).
 * @returns a new ImageVolume with spacing = target and the affine adjusted accordingly
 * @throws OptionError if a target spacing is not positive
 */
export function resampleImage(vol: ImageVolume, target: Sp): ImageVolume {
  const p = plan(vol, target);
  const [nx, ny] = vol.shape;
  const [mx, my, mz] = p.shape;
  const ax = axisLinear(vol.shape[0], mx, p.step[0]!);
  const ay = axisLinear(vol.shape[1], my, p.step[1]!);
  const az = axisLinear(vol.shape[2], mz, p.step[2]!);
  const src = vol.data;
  const out = new Float32Array(mx * my * mz);
  const sxy = nx * ny;
  let o = 0;
  for (let k = 0; k < mz; k++) {
    const z0 = az.i0[k]! * sxy;
    const z1 = az.i1[k]! * sxy;
    const wz = az.w[k]!;
    for (let j = 0; j < my; j++) {
      const y0 = ay.i0[j]! * nx;
      const y1 = ay.i1[j]! * nx;
      const wy = ay.w[j]!;
      const a00 = z0 + y0, a01 = z0 + y1, a10 = z1 + y0, a11 = z1 + y1;
      for (let i = 0; i < mx; i++) {
        const x0 = ax.i0[i]!;
        const x1 = ax.i1[i]!;
        const wx = ax.w[i]!;
        const c00 = src[a00 + x0]! + wx * (src[a00 + x1]! - src[a00 + x0]!);
        const c01 = src[a01 + x0]! + wx * (src[a01 + x1]! - src[a01 + x0]!);
        const c10 = src[a10 + x0]! + wx * (src[a10 + x1]! - src[a10 + x0]!);
        const c11 = src[a11 + x0]! + wx * (src[a11 + x1]! - src[a11 + x0]!);
        const c0 = c00 + wy * (c01 - c00);
        const c1 = c10 + wy * (c11 - c10);
        out[o++] = c0 + wz * (c1 - c0);
      }
    }
  }
  return { data: out, shape: p.shape, spacing: p.spacing, affine: p.affine, ...(vol.source ? { source: vol.source } : {}) };
}

function axisNearest(nOld: number, nNew: number, step: number): Int32Array {
  const idx = new Int32Array(nNew);
  for (let i = 0; i < nNew; i++) idx[i] = Math.min(nOld - 1, Math.round(i * step));
  return idx;
}

/**
 * Nearest-neighbour resampling of a label volume to `target` spacing (same grid rule as resampleImage).
 */
export function resampleLabels(vol: LabelVolume, target: Sp): LabelVolume {
  const p = plan(vol, target);
  const [nx, ny] = vol.shape;
  const [mx, my, mz] = p.shape;
  const ix = axisNearest(vol.shape[0], mx, p.step[0]!);
  const iy = axisNearest(vol.shape[1], my, p.step[1]!);
  const iz = axisNearest(vol.shape[2], mz, p.step[2]!);
  const out = new Uint8Array(mx * my * mz);
  let o = 0;
  for (let k = 0; k < mz; k++) {
    for (let j = 0; j < my; j++) {
      const base = iz[k]! * nx * ny + iy[j]! * nx;
      for (let i = 0; i < mx; i++) out[o++] = vol.data[base + ix[i]!]!;
    }
  }
  return { data: out, shape: p.shape, spacing: p.spacing, affine: p.affine, ...(vol.source ? { source: vol.source } : {}) };
}
