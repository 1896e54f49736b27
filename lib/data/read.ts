/**
 * One entry point for "read this image, whatever its format": NIfTI (.nii, .nii.gz), a DICOM
 * series folder (or a single .dcm file), a PNG slice, or a PnP-AdaNet/SIFA .tfrecords file (its
 * first example's data_vol, as loadSifaFile lays it out).
 */
import { existsSync, statSync } from "node:fs";
import type { ImageVolume } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { readNifti } from "./nifti.ts";
import { readDicomSeries } from "./dicom.ts";
import { readPngStack } from "./png.ts";
import { loadSifaFile } from "./cardiac.ts";

export type ImageFormat = "nifti" | "dicom" | "png" | "tfrecord";

export interface AnyImage {
  volume: ImageVolume;
  format: ImageFormat;
  /** Stored voxel type ("float64", "int16", ...; "float32" for TFRecord, "uint8"/"uint16" for PNG). */
  dtype: string;
}

/**
 * Reads an image of any supported format.
 * @throws DataError if the path does not exist or the format is not recognised
 */
export function readImage(path: string): AnyImage {
  if (!existsSync(path)) throw new DataError(path, "no such file or folder");
  const st = statSync(path);
  if (st.isDirectory()) return { volume: readDicomSeries(path).volume, format: "dicom", dtype: "int16/uint16 (rescaled)" };
  // a regular file only: a FIFO would hang the read, a link to /dev/zero would never end
  if (!st.isFile()) throw new DataError(path, `not a regular file (${st.isFIFO() ? "a FIFO" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isSocket() ? "a socket" : "not a plain file"}); expected an image file`);
  const p = path.toLowerCase();
  if (p.endsWith(".nii") || p.endsWith(".nii.gz")) {
    const r = readNifti(path);
    return { volume: r.volume, format: "nifti", dtype: r.header.dtype };
  }
  if (p.endsWith(".dcm")) return { volume: readDicomSeries([path]).volume, format: "dicom", dtype: "int16/uint16 (rescaled)" };
  if (p.endsWith(".png")) {
    const v = readPngStack([path]);
    let max = 0;
    for (const x of v.data) if (x > max) max = x;
    return { volume: v, format: "png", dtype: max > 255 ? "uint16" : "uint8" };
  }
  if (p.endsWith(".tfrecords") || p.endsWith(".tfrecord")) {
    const [c] = loadSifaFile(path, "ct");
    return { volume: c!.image, format: "tfrecord", dtype: "float32" };
  }
  throw new DataError(path, "unrecognised image format (expected .nii, .nii.gz, .dcm or a DICOM folder, .png, .tfrecords)");
}

/**
 * Distinct values of an image if it is a label map (all values integers, at most `maxLabels`
 * distinct), else null.
 */
export function labelValues(data: ArrayLike<number>, maxLabels = 1000): number[] | null {
  const s = new Set<number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v)) return null;
    s.add(v);
    if (s.size > maxLabels) return null;
  }
  return [...s].sort((a, b) => a - b);
}
