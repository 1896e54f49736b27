/**
 * Optional seeded augmentation of one sample: a random in-plane affine (rotation, isotropic scale,
 * shift; bilinear for images, nearest for labels, edge replication outside the plane) applied
 * identically to every channel/slice of the sample, then an intensity jitter x * a + b.
 * The authors' code has none online (theirs is baked offline into the TFRecords); this is an option.
 */
import type { Rng } from "../util/rng.ts";

export interface AugmentOptions {
  /** Max |rotation| in degrees (uniform); default 15. */
  rotateDeg?: number;
  /** Max relative scale change (scale ~ U(1-s, 1+s)); default 0.1. */
  scale?: number;
  /** Max shift as a fraction of H and W (uniform); default 0.05. */
  shift?: number;
  /** Std of the multiplicative intensity factor around 1; default 0.1. */
  intensityScale?: number;
  /** Std of the additive intensity offset; default 0.1. */
  intensityShift?: number;
}

/**
 * Augments one sample in place.
 * @param x image values, either HWC interleaved (`channels` > 1, `planar` false: 2.5D [H,W,3]) or
 *   planar [planes][H][W] (`planar` true: a 3D patch [D,H,W])
 * @param y labels [planes][H][W] (planar) or [H][W], or undefined
 */
export function augmentSample(
  x: Float32Array,
  y: Uint8Array | undefined,
  H: number,
  W: number,
  layout: { channels: number; planar: boolean },
  rng: Rng,
  opts: AugmentOptions = {},
): void {
  const rot = (((opts.rotateDeg ?? 15) * Math.PI) / 180) * (2 * rng.next() - 1);
  const s = 1 + (opts.scale ?? 0.1) * (2 * rng.next() - 1);
  const tx = (opts.shift ?? 0.05) * W * (2 * rng.next() - 1);
  const ty = (opts.shift ?? 0.05) * H * (2 * rng.next() - 1);
  const a = 1 + (opts.intensityScale ?? 0.1) * rng.normal();
  const b = (opts.intensityShift ?? 0.1) * rng.normal();
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const cos = Math.cos(rot) / s;
  const sin = Math.sin(rot) / s;
  const plane = H * W;
  const C = layout.channels;
  // Source coordinate of each output pixel (inverse map), computed once.
  const sx = new Float32Array(plane);
  const sy = new Float32Array(plane);
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const u = i - cx - tx;
      const v = j - cy - ty;
      let px = cos * u + sin * v + cx;
      let py = -sin * u + cos * v + cy;
      px = px < 0 ? 0 : px > W - 1 ? W - 1 : px;
      py = py < 0 ? 0 : py > H - 1 ? H - 1 : py;
      sx[j * W + i] = px;
      sy[j * W + i] = py;
    }
  }
  const planes = layout.planar ? x.length / plane : 1;
  const src = x.slice();
  for (let q = 0; q < planes; q++) {
    for (let c = 0; c < (layout.planar ? 1 : C); c++) {
      const at = (p: number) => (layout.planar ? q * plane + p : p * C + c);
      for (let p = 0; p < plane; p++) {
        const px = sx[p]!, py = sy[p]!;
        const x0 = Math.floor(px), y0 = Math.floor(py);
        const x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
        const fx = px - x0, fy = py - y0;
        const v00 = src[at(y0 * W + x0)]!, v01 = src[at(y0 * W + x1)]!;
        const v10 = src[at(y1 * W + x0)]!, v11 = src[at(y1 * W + x1)]!;
        const v = (v00 + fx * (v01 - v00)) * (1 - fy) + (v10 + fx * (v11 - v10)) * fy;
        x[at(p)] = v * a + b;
      }
    }
  }
  if (y) {
    const ysrc = y.slice();
    const yplanes = y.length / plane;
    for (let q = 0; q < yplanes; q++) {
      for (let p = 0; p < plane; p++) y[q * plane + p] = ysrc[q * plane + Math.round(sy[p]!) * W + Math.round(sx[p]!)]!;
    }
  }
}
