/**
 * Label code maps: a source dataset's label values -> the class indices 0..K-1 of one scheme.
 * Values that are neither mapped nor listed as "other" (-> background) are an error, because they
 * mean the file is not what the dataset definition says it is.
 */
import type { LabelVolume, Volume } from "./types.ts";
import { DataError } from "../util/errors.ts";

export interface LabelCodeMap {
  /** Source value -> class index (1..K-1; 0 is background). */
  codes: Readonly<Record<number, number>>;
  /** Source values known to the dataset and mapped to background (0 is always allowed). */
  other: readonly number[];
}

/**
 * Maps raw label values (as read, float) to class indices.
 * @param raw label values (any numeric array; values must be integers)
 * @param map the dataset's code map
 * @param file the file the labels came from (for errors)
 * @returns class index per voxel (Uint8Array, same length)
 * @throws DataError naming `file` and listing the unexpected values (non-integers included).
 */
export function mapLabelValues(raw: ArrayLike<number>, map: LabelCodeMap, file: string): Uint8Array {
  const lut = new Map<number, number>();
  lut.set(0, 0);
  for (const v of map.other) lut.set(v, 0);
  for (const [k, c] of Object.entries(map.codes)) lut.set(Number(k), c);
  const out = new Uint8Array(raw.length);
  let bad: Set<number> | undefined;
  let last = NaN;
  let lastC = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (v === last) {
      out[i] = lastC;
      continue;
    }
    const c = lut.get(v);
    if (c === undefined) {
      (bad ??= new Set()).add(v);
      continue;
    }
    out[i] = c;
    last = v;
    lastC = c;
  }
  if (bad) {
    const vals = [...bad].sort((a, b) => a - b).slice(0, 20);
    throw new DataError(
      file,
      `unknown label values ${vals.join(", ")}${bad.size > 20 ? ", ..." : ""} (expected ${[...lut.keys()].sort((a, b) => a - b).join(", ")})`,
    );
  }
  return out;
}

/** Maps a raw label volume (float voxels) to a LabelVolume on the same grid. */
export function mapLabelVolume(raw: Volume<Float32Array>, map: LabelCodeMap, file = raw.source ?? "<labels>"): LabelVolume {
  return { data: mapLabelValues(raw.data, map, file), shape: raw.shape, spacing: raw.spacing, affine: raw.affine, source: raw.source ?? file };
}

/** Sorted distinct values of an array (for integer label maps). */
export function distinctValues(data: ArrayLike<number>): number[] {
  const s = new Set<number>();
  for (let i = 0; i < data.length; i++) s.add(data[i]!);
  return [...s].sort((a, b) => a - b);
}
