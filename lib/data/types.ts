/**
 * Image and case types shared by readers, preprocessing, sampling, synthetic data, training and
 * metrics. This file is a contract between lib/data, lib/train, lib/metrics and lib/experiment.
 *
 * Memory layout is NIfTI's: x fastest, then y, then z (index = x + nx * (y + ny * z)). An axial
 * slice z is therefore a row-major [ny][nx] image, i.e. a tfjs [H=ny, W=nx] plane.
 */

/** 4x4 voxel-index -> world (RAS+, millimetres) matrix, row-major, as NIfTI's sform/qform. */
export type Affine = [number[], number[], number[], number[]];

export interface Volume<T extends Float32Array | Uint8Array | Int16Array | Int32Array = Float32Array> {
  data: T;
  /** [nx, ny, nz] */
  shape: [number, number, number];
  /** Voxel size in millimetres [sx, sy, sz]. */
  spacing: [number, number, number];
  /** Voxel -> world; spacing and direction are encoded in it. */
  affine: Affine;
  /** Where it was read from (for error messages and provenance), if anywhere. */
  source?: string;
}

export type ImageVolume = Volume<Float32Array>;
/** Integer class labels 0..K-1 after mapping to a dataset's scheme. */
export type LabelVolume = Volume<Uint8Array>;

export type ModalityName = "ct" | "mri";

/** One subject of one modality: image plus (for training/evaluation) its label map on the same grid. */
export interface Case {
  id: string;
  modality: ModalityName;
  image: ImageVolume;
  label?: LabelVolume;
  /** Free-form notes: original label codes, preprocessing applied, synthetic or real, ... */
  meta?: Record<string, unknown>;
}

export function voxelCount(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}
