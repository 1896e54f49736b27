/**
 * Which abdominal cases a data root holds — file listing only, no image reader (so that code which
 * only plans runs, e.g. lib/plan/plan.ts in a notebook kernel, never loads the ESM-only NIfTI
 * reader): BTCV CT and CHAOS MRI case ids, whether a root holds the bundled folders, and the
 * committed split checked against them.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModalityName } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { loadOrCreateSplits, splitsPath, SPLIT_SEED, type SplitFile } from "./splits.ts";
import { REPO_ROOT } from "./root.ts";

const CT_DIR = "btcv_sabs_ct";
const MRI_DIR = "chaos_t2_mr";

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new DataError(dir, `cannot list folder (${(e as Error).message})`);
  }
}

export const byNumber = (a: string, b: string) => (Number(a) - Number(b)) || a.localeCompare(b);

export function niftiIn(dir: string, re: RegExp): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of listDir(dir)) {
    const r = re.exec(f);
    if (r) m.set(r[1]!, join(dir, f));
  }
  return m;
}

/** Finds raw-CHAOS case folders `<id>/T2SPIR/DICOM_anon` at depth <= 2 below `dir`. */
export function chaosRawCases(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string, depth: number) => {
    for (const f of listDir(d)) {
      const p = join(d, f);
      if (!statSync(p).isDirectory()) continue;
      if (existsSync(join(p, "T2SPIR", "DICOM_anon"))) out.set(f, join(p, "T2SPIR"));
      else if (depth < 2) visit(p, depth + 1);
    }
  };
  visit(dir, 0);
  return out;
}

/**
 * Lists the CHAOS MRI case ids under `dir` (NIfTI pairs, else raw DICOM case folders).
 * @throws DataError if none is found (empty folder or wrong layout)
 */
export function listChaosCases(dir: string): string[] {
  const imgs = niftiIn(dir, /^image_(\d+)\.nii(\.gz)?$/);
  if (imgs.size > 0) return [...imgs.keys()].sort(byNumber);
  const raw = chaosRawCases(dir);
  if (raw.size > 0) return [...raw.keys()].sort(byNumber);
  throw new DataError(dir, "no CHAOS cases found (expected image_<id>.nii.gz + label_<id>.nii.gz, or <id>/T2SPIR/DICOM_anon/)");
}

/**
 * Lists BTCV CT case ids under `dir` that have an image: raw `img/img<id>.nii.gz`, or bundled
 * `images_png/SABS_<k>/` with `labels/label_<k>.nii.gz`.
 * @throws DataError if none is found
 */
export function listBtcvCases(dir: string): string[] {
  if (existsSync(join(dir, "img"))) {
    const ids = [...niftiIn(join(dir, "img"), /^img(\d+)\.nii(\.gz)?$/).keys()];
    if (ids.length > 0) return ids.sort(byNumber);
  }
  if (existsSync(join(dir, "images_png")) && existsSync(join(dir, "labels"))) {
    const labs = niftiIn(join(dir, "labels"), /^label_(\d+)\.nii(\.gz)?$/);
    const ids = listDir(join(dir, "images_png"))
      .map((f) => /^SABS_(\d+)$/.exec(f)?.[1])
      .filter((k): k is string => k !== undefined && labs.has(k));
    if (ids.length > 0) return ids.sort(byNumber);
  }
  throw new DataError(dir, "no BTCV cases found (expected img/img<id>.nii.gz + label/label<id>.nii.gz, or labels/label_<k>.nii.gz + images_png/SABS_<k>/)");
}

/** Whether `root` holds the bundled abdominal folders. */
export function hasBundledAbdominal(root: string): boolean {
  return existsSync(join(root, CT_DIR, "labels")) && existsSync(join(root, MRI_DIR));
}

/** The committed abdominal split, checked against the case lists found under `root`. */
export function bundledAbdominalSplits(root: string, splitFile = splitsPath("abdominal", REPO_ROOT)): SplitFile {
  return loadOrCreateSplits(splitFile, "abdominal", { ct: listBtcvCases(join(root, CT_DIR)), mri: listChaosCases(join(root, MRI_DIR)) }, SPLIT_SEED);
}

/** The bundled abdominal case ids per modality (BTCV CT with PNG slices, CHAOS MRI). */
export function bundledAbdominalCases(root: string): Record<ModalityName, string[]> {
  return { ct: listBtcvCases(join(root, CT_DIR)), mri: listChaosCases(join(root, MRI_DIR)) };
}

