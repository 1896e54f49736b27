/**
 * Cardiac sources (Table 1 of the paper):
 *   - MM-WHS 2017 NIfTI volumes: `(ct|mr)_train_<id>_image.nii.gz` + `..._label.nii.gz` anywhere
 *     up to two folders below the given directory; codes 205/420/500/820 -> 1..4.
 *   - PnP-AdaNet/SIFA TFRecord slice triplets (`*.tfrecords`): each becomes a 3-slice case whose
 *     voxel (x = j, y = i, z = c) is data_vol[i, j, c] (C-order), so the 2.5D sample at z = 1 is
 *     exactly the [256, 256, 3] array the authors feed to the network. Spacing is not stored (1 mm
 *     reported). The modality is read from the file name (`ct`/`mr`), label 5 -> background.
 */
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { Case, ImageVolume, ModalityName } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { readNifti } from "./nifti.ts";
import { readSifaTfRecord } from "./tfrecord.ts";
import { mapLabelValues, mapLabelVolume } from "./labels.ts";
import { MMWHS_LABELS, SIFA_LABELS } from "./datasets.ts";
import { assertFinite, assertSameGrid, diagonalAffine } from "./geometry.ts";

function walk(dir: string, depth: number, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DataError(dir, `cannot list folder (${(e as Error).message})`);
  }
  for (const n of names.sort()) {
    if (n.startsWith(".")) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) {
      if (depth > 0) walk(p, depth - 1, out);
    } else out.push(p);
  }
  return out;
}

export interface MmwhsCaseRef {
  id: string;
  modality: ModalityName;
  image: string;
  label: string;
}

/**
 * Lists MM-WHS cases (image + label pairs) under `dir`.
 * @throws DataError if there are none, or an image has no label
 */
export function listMmwhsCases(dir: string): MmwhsCaseRef[] {
  const files = walk(dir, 2);
  const out: MmwhsCaseRef[] = [];
  for (const f of files) {
    const m = /^(ct|mr)_train_(\d+)_image\.nii(\.gz)?$/.exec(basename(f));
    if (!m) continue;
    const lab = files.find((g) => basename(g).replace(/\.gz$/, "") === `${m[1]}_train_${m[2]}_label.nii`);
    if (!lab) throw new DataError(f, "label file missing for this image");
    out.push({ id: m[2]!, modality: m[1] === "ct" ? "ct" : "mri", image: f, label: lab });
  }
  if (out.length === 0) throw new DataError(dir, "no MM-WHS cases found (expected (ct|mr)_train_<id>_image.nii.gz + _label.nii.gz)");
  return out.sort((a, b) => a.modality.localeCompare(b.modality) || Number(a.id) - Number(b.id));
}

/** Loads one MM-WHS case (labels mapped to 1 MYO, 2 LA, 3 LV, 4 AA). */
export function loadMmwhsCase(ref: MmwhsCaseRef): Case {
  const image = readNifti(ref.image).volume;
  assertFinite(image.data, ref.image);
  const raw = readNifti(ref.label).volume;
  assertSameGrid(image, raw, ref.label);
  return {
    id: ref.id,
    modality: ref.modality,
    image,
    label: mapLabelVolume(raw, MMWHS_LABELS, ref.label),
    meta: { dataset: "mmwhs", imageFile: ref.image, labelFile: ref.label, labelCodes: MMWHS_LABELS.codes },
  };
}

/** Modality from a SIFA file name: "ct" or "mr" as a word part (training_ct_image_01 -> ct). */
export function sifaModality(file: string): ModalityName {
  const b = basename(file).toLowerCase();
  if (/(^|[_\-./])ct([_\-./]|$)/.test(b)) return "ct";
  if (/(^|[_\-./])(mr|mri)([_\-./]|$)/.test(b)) return "mri";
  throw new DataError(file, "cannot tell the modality from the file name (expected 'ct' or 'mr' as a name part)");
}

/**
 * Lists the `.tfrecords` files under `dir` (two levels deep; the SIFA release has
 * `training_ct/`, `training_mr/`, ...).
 * @throws DataError if there are none
 */
export function listSifaFiles(dir: string): string[] {
  const files = walk(dir, 2).filter((f) => f.endsWith(".tfrecords"));
  if (files.length === 0) throw new DataError(dir, "no *.tfrecords files found");
  return files;
}

/**
 * Loads every slice triplet of one SIFA TFRecord as a Case (id = file stem, plus `#k` when a file
 * holds several examples).
 */
export function loadSifaFile(file: string, modality: ModalityName = sifaModality(file)): Case[] {
  const slices = readSifaTfRecord(file);
  const stem = basename(file).replace(/\.tfrecords$/, "");
  return slices.map((s, k) => {
    const [I, J, C] = s.shape;
    const n = I * J * C;
    const img = new Float32Array(n);
    const lab = new Float32Array(n);
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < J; j++) {
        for (let c = 0; c < C; c++) {
          const src = (i * J + j) * C + c;
          const dst = j + J * (i + I * c);
          img[dst] = s.image[src]!;
          lab[dst] = s.label[src]!;
        }
      }
    }
    assertFinite(img, file);
    const geo = { shape: [J, I, C] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], affine: diagonalAffine([1, 1, 1]), source: file };
    const image: ImageVolume = { data: img, ...geo };
    return {
      id: slices.length > 1 ? `${stem}#${k}` : stem,
      modality,
      image,
      label: { data: mapLabelValues(lab, SIFA_LABELS, file), ...geo },
      meta: { dataset: "sifa", file, example: k, labelCodes: SIFA_LABELS.codes, spacingKnown: false },
    };
  });
}
