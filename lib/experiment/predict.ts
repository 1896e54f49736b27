/**
 * Whole-volume prediction for evaluation: every slice (2.5D, dilated2d) or non-overlapping
 * depth-`d` blocks with the last block clamped to the end (3D, unet3d), each modality through its
 * own normalization (eval mode). Returns a label volume on the input grid.
 */
import { tf } from "../engine/index.ts";
import type { Case, LabelVolume } from "../data/types.ts";
import { slice25DInto, patch3DInto } from "../data/samples.ts";
import type { Modality, SegmentationNetwork } from "../models/types.ts";

/**
 * @param model trained network
 * @param c preprocessed case (image z-scored like the training data)
 * @param mode "2d": slice-by-slice 2.5D; "3d": blocks of `depth` slices
 * @returns argmax labels (uint8) with the case image's geometry
 */
export function predictCase(model: SegmentationNetwork, c: Case, mode: "2d" | "3d", options: { batchSize?: number; depth?: number } = {}): LabelVolume {
  const [nx, ny, nz] = c.image.shape;
  const plane = nx * ny;
  const out = new Uint8Array(plane * nz);
  const modality: Modality = c.modality === "ct" ? 0 : 1;
  if (mode === "2d") {
    const bs = options.batchSize ?? 8;
    for (let z0 = 0; z0 < nz; z0 += bs) {
      const n = Math.min(bs, nz - z0);
      const x = new Float32Array(n * plane * 3);
      for (let k = 0; k < n; k++) slice25DInto(c.image, undefined, z0 + k, x, k * plane * 3);
      const labels = tf.tidy(() => tf.argMax(model.apply(tf.tensor4d(x, [n, ny, nx, 3]), modality, false), -1).dataSync());
      for (let k = 0; k < n; k++) for (let p = 0; p < plane; p++) out[(z0 + k) * plane + p] = labels[k * plane + p]!;
    }
  } else {
    const depth = options.depth ?? 8;
    const starts: number[] = [];
    for (let z = 0; z < nz; z += depth) starts.push(Math.min(z, Math.max(0, nz - depth)));
    for (const z0 of starts) {
      const x = new Float32Array(depth * plane);
      patch3DInto(c.image, undefined, z0, depth, x, 0);
      const labels = tf.tidy(() => tf.argMax(model.apply(tf.tensor5d(x, [1, depth, ny, nx, 1]), modality, false), -1).dataSync());
      for (let d = 0; d < depth && z0 + d < nz; d++) for (let p = 0; p < plane; p++) out[(z0 + d) * plane + p] = labels[d * plane + p]!;
    }
  }
  return { data: out, shape: [nx, ny, nz], spacing: [...c.image.spacing], affine: c.image.affine, source: `prediction of ${c.id}` };
}
