/**
 * Whole-volume inference with a trained network, normalization in eval mode with the given
 * modality's own parameters and moving statistics (paper Section IV-A; authors-code-notes §6).
 *
 * - `predictVolume2D5`: every axial slice z (including the first and last, which the released
 *   code never predicts) from the channel stack (z-1, z, z+1); out-of-volume neighbours replicate
 *   the edge slice.
 * - `predictVolume3D`: non-overlapping blocks of `patchDepth` slices along z; the last block is
 *   clamped to the end of the volume (it overlaps the previous one; its labels win there), as in
 *   the released 3D test script. A volume thinner than one block is edge-replicated in z.
 *
 * Sizes the network cannot take: both networks downsample in-plane by 8 (dilated2d: three stride-2
 * stages undone by 8x sub-pixel upsampling; unet3d: three 2x pools), so H and W are padded up to a
 * multiple of `multiple` (default 8) with symmetric mirror padding (edge replication where the
 * pad is wider than the image), and the logits are cropped back. The output is on the input grid:
 * same shape, spacing and affine.
 *
 * Layout: volumes are NIfTI order (x fastest), so slice z is a row-major [ny][nx] plane, fed to
 * the network as [H = ny, W = nx]; a 3D block is [D = slices, H = ny, W = nx, 1].
 */
import { tf, type Tensor } from "../engine/index.ts";
import type { ImageVolume, LabelVolume } from "../data/types.ts";
import type { Modality, SegmentationNetwork } from "../models/types.ts";
import { OptionError, ShapeError } from "../util/errors.ts";

export interface Predict2D5Options {
  /** Slices per forward pass (default 8, the released code's test batch). */
  batchSize?: number;
  /** Pad H and W up to a multiple of this (default 8). */
  multiple?: number;
}

export interface Predict3DOptions {
  /** Slices per block (default 8, the paper's 256x256x8 input). */
  patchDepth?: number;
  /** Pad H and W up to a multiple of this (default 8). */
  multiple?: number;
}

function checkImage(image: ImageVolume, fn: string): [number, number, number] {
  const [nx, ny, nz] = image.shape;
  if (![nx, ny, nz].every((d) => Number.isInteger(d) && d > 0)) throw new ShapeError(`${fn}: image shape [${image.shape}] must be three positive integers`);
  if (image.data.length !== nx * ny * nz) throw new ShapeError(`${fn}: image data length ${image.data.length} != prod(shape [${image.shape}]) = ${nx * ny * nz}${image.source ? ` (${image.source})` : ""}`);
  return [nx, ny, nz];
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new OptionError(name, v, "an integer >= 1");
  return v;
}

/** Pad amounts [before, after] bringing `n` up to a multiple of `m`. */
export function padTo(n: number, m: number): [number, number] {
  const p = (m - (n % m)) % m;
  return [Math.floor(p / 2), p - Math.floor(p / 2)];
}

/**
 * Pad axes `axes` of x (mirror, or edge-replicate when a pad exceeds what mirror allows).
 * `pads[i]` is [before, after] for axes[i].
 */
function padSpatial(x: Tensor, axes: number[], pads: [number, number][]): Tensor {
  return tf.tidy(() => {
    let y = x;
    axes.forEach((ax, i) => {
      const [b, a] = pads[i]!;
      if (b === 0 && a === 0) return;
      const n = y.shape[ax]!;
      if (b <= n && a <= n) {
        const spec = y.shape.map((_, j) => (j === ax ? [b, a] : [0, 0])) as [number, number][];
        y = tf.mirrorPad(y, spec, "symmetric");
      } else {
        const parts: Tensor[] = [];
        const first = tf.slice(y, y.shape.map((_, j) => 0), y.shape.map((d, j) => (j === ax ? 1 : d!)));
        const last = tf.slice(y, y.shape.map((_, j) => (j === ax ? n - 1 : 0)), y.shape.map((d, j) => (j === ax ? 1 : d!)));
        for (let k = 0; k < b; k++) parts.push(first);
        parts.push(y);
        for (let k = 0; k < a; k++) parts.push(last);
        y = tf.concat(parts, ax);
      }
    });
    return y;
  });
}

/** argmax over the last axis of cropped logits (int32 labels; the caller reads and disposes). */
function argmaxCropped(logits: Tensor, hAxis: number, pads: [[number, number], [number, number]], ny: number, nx: number): Tensor {
  return tf.tidy(() => {
    const begin = logits.shape.map((_, j) => (j === hAxis ? pads[0][0] : j === hAxis + 1 ? pads[1][0] : 0));
    const size = logits.shape.map((d, j) => (j === hAxis ? ny : j === hAxis + 1 ? nx : d!));
    return tf.argMax(tf.slice(logits, begin, size), -1);
  });
}

/** Labels of a tensor as bytes, read asynchronously (a device backend cannot read synchronously); disposes it. */
async function readLabels(lab: Tensor): Promise<Uint8Array> {
  try {
    return Uint8Array.from((await lab.data()) as Int32Array);
  } finally {
    lab.dispose();
  }
}

/**
 * 2.5D slice-wise prediction of a whole volume.
 * @param model trained network (dilated2d; its `inChannels` sets the neighbour stack, 3 = z-1, z, z+1)
 * @param image float32 volume [nx, ny, nz], x fastest, already normalized as in training
 * @param modality whose normalization parameters to use (0 = CT, 1 = MRI)
 * @returns labels on the input grid (same shape, spacing, affine); read with `await t.data()`, so
 *   it runs on device backends (webgpu) too
 * @throws ShapeError on inconsistent data; OptionError on a bad option or an even channel count
 */
export function predictVolume2D5(model: SegmentationNetwork, image: ImageVolume, modality: Modality, opts: Predict2D5Options = {}): Promise<LabelVolume> {
  const [nx, ny, nz] = checkImage(image, "predictVolume2D5");
  const batchSize = positiveInt("batchSize", opts.batchSize ?? 8);
  const multiple = positiveInt("multiple", opts.multiple ?? 8);
  const C = model.options.inChannels;
  if (C % 2 !== 1) throw new OptionError("model.options.inChannels", C, "an odd number of adjacent slices (1 or 3)");
  const half = (C - 1) / 2;
  const plane = nx * ny;
  const out = new Uint8Array(plane * nz);
  const pads: [[number, number], [number, number]] = [padTo(ny, multiple), padTo(nx, multiple)];
  // arguments are checked (and errors thrown) synchronously; the slices are read asynchronously
  return (async () => {
  for (let z0 = 0; z0 < nz; z0 += batchSize) {
    const b = Math.min(batchSize, nz - z0);
    const buf = new Float32Array(b * plane * C);
    for (let i = 0; i < b; i++) {
      for (let k = 0; k < C; k++) {
        const zz = Math.min(nz - 1, Math.max(0, z0 + i + k - half));
        const src = image.data.subarray(zz * plane, (zz + 1) * plane);
        const base = i * plane * C + k;
        for (let p = 0; p < plane; p++) buf[base + p * C] = src[p]!;
      }
    }
    const labels = tf.tidy(() => {
      const x = padSpatial(tf.tensor4d(buf, [b, ny, nx, C]), [1, 2], pads);
      const logits = model.apply(x, modality, false);
      return argmaxCropped(logits, 1, pads, ny, nx);
    });
    out.set(await readLabels(labels), z0 * plane);
  }
  return { data: out, shape: [nx, ny, nz], spacing: [...image.spacing], affine: image.affine.map((r) => [...r]) as ImageVolume["affine"], ...(image.source ? { source: image.source } : {}) } as LabelVolume;
  })();
}

/**
 * 3D block-wise prediction of a whole volume.
 * @param model trained network (unet3d, 1 input channel)
 * @param image float32 volume [nx, ny, nz], x fastest, already normalized as in training
 * @param modality whose normalization parameters to use
 * @returns labels on the input grid (read asynchronously, as predictVolume2D5)
 */
export function predictVolume3D(model: SegmentationNetwork, image: ImageVolume, modality: Modality, opts: Predict3DOptions = {}): Promise<LabelVolume> {
  const [nx, ny, nz] = checkImage(image, "predictVolume3D");
  const D = positiveInt("patchDepth", opts.patchDepth ?? 8);
  const multiple = positiveInt("multiple", opts.multiple ?? 8);
  if (model.options.inChannels !== 1) throw new OptionError("model.options.inChannels", model.options.inChannels, "1 for block-wise 3D prediction");
  const plane = nx * ny;
  const out = new Uint8Array(plane * nz);
  const pads: [[number, number], [number, number]] = [padTo(ny, multiple), padTo(nx, multiple)];
  const starts: number[] = [];
  if (nz <= D) starts.push(0);
  else {
    for (let s = 0; s + D <= nz; s += D) starts.push(s);
    if (starts.at(-1)! + D < nz) starts.push(nz - D);
  }
  return (async () => {
  for (const s of starts) {
    const depth = Math.min(D, nz);
    const block = image.data.subarray(s * plane, (s + depth) * plane);
    const labels = tf.tidy(() => {
      let x: Tensor = tf.tensor5d(block, [1, depth, ny, nx, 1]);
      if (depth < D) x = padSpatial(x, [1], [[0, D - depth]]);
      x = padSpatial(x, [2, 3], pads);
      const logits = model.apply(x, modality, false);
      return argmaxCropped(logits, 2, pads, ny, nx);
    });
    out.set((await readLabels(labels)).subarray(0, depth * plane), s * plane);
  }
  return { data: out, shape: [nx, ny, nz], spacing: [...image.spacing], affine: image.affine.map((r) => [...r]) as ImageVolume["affine"], ...(image.source ? { source: image.source } : {}) } as LabelVolume;
  })();
}
