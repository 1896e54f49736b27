/**
 * Abdominal sources (Table 2 of the paper): CHAOS T2-SPIR MRI and BTCV CT, in the layouts a user
 * has after download, including the project's bundled copy:
 *
 * CHAOS
 *   - SSL-ALPNet NIfTI (bundled `chaos_t2_mr/`): `image_<id>.nii.gz` + `label_<id>.nii.gz`, codes 1..4.
 *   - Raw challenge download: `<...>/<id>/T2SPIR/DICOM_anon/*.dcm` + `<...>/<id>/T2SPIR/Ground/*.png`
 *     (grey levels 63/126/189/252; PNG i belongs to the DICOM file of the same name stem).
 * BTCV
 *   - Raw NIfTI (`img/img<id>.nii.gz` + `label/label<id>.nii.gz`).
 *   - Bundled SSL-ALPNet form (`btcv_sabs_ct/`): `labels/label_<k>.nii.gz` plus 8-bit windowed PNG
 *     slices `images_png/SABS_<k>/image_SABS_<k>_slice<NNN>.png`, PNG NNN = label[:, :, NNN] (numpy).
 *     Only a contiguous z-range may be present: the CT volume is built from the available slices,
 *     the label is cropped to that range, and the offset is recorded in `meta.zOffset`; geometry
 *     comes from the label NIfTI.
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { Case } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { readNifti } from "./nifti.ts";
import { readDicomSeries } from "./dicom.ts";
import { readPngStack, readPngSlice } from "./png.ts";
import { mapLabelValues, mapLabelVolume } from "./labels.ts";
import { BTCV_LABELS, CHAOS_LABELS, CHAOS_PNG_LABELS } from "./datasets.ts";
import { assertFinite, assertSameGrid, subgridAffine } from "./geometry.ts";
import { cropZ } from "./crop.ts";
import { byNumber, chaosRawCases, listDir, niftiIn } from "./abdominal-cases.ts";
export { listBtcvCases, listChaosCases } from "./abdominal-cases.ts";


/**
 * Loads one CHAOS MRI case (image float32, label mapped to 0 bg, 1 liver, 2 right kidney,
 * 3 left kidney, 4 spleen).
 * @throws DataError naming the file on unreadable files, grid mismatch, unknown label values or NaN
 */
export function loadChaosCase(dir: string, id: string): Case {
  const imgs = niftiIn(dir, /^image_(\d+)\.nii(\.gz)?$/);
  if (imgs.size > 0) {
    const imgFile = imgs.get(id);
    if (!imgFile) throw new DataError(join(dir, `image_${id}.nii.gz`), "no such CHAOS case");
    const labFile = niftiIn(dir, /^label_(\d+)\.nii(\.gz)?$/).get(id);
    if (!labFile) throw new DataError(join(dir, `label_${id}.nii.gz`), "label file missing for this image");
    const image = readNifti(imgFile).volume;
    assertFinite(image.data, imgFile);
    const rawLab = readNifti(labFile).volume;
    assertSameGrid(image, rawLab, labFile);
    const label = mapLabelVolume(rawLab, CHAOS_LABELS, labFile);
    return { id, modality: "mri", image, label, meta: { dataset: "chaos", imageFile: imgFile, labelFile: labFile, labelCodes: CHAOS_LABELS.codes } };
  }
  const caseDir = chaosRawCases(dir).get(id);
  if (!caseDir) throw new DataError(join(dir, id), "no such CHAOS case folder (<id>/T2SPIR/DICOM_anon)");
  const series = readDicomSeries(join(caseDir, "DICOM_anon"));
  const image = series.volume;
  assertFinite(image.data, join(caseDir, "DICOM_anon"));
  const [nx, ny, nz] = image.shape;
  const lab = new Uint8Array(nx * ny * nz);
  const ground = join(caseDir, "Ground");
  series.files.forEach((f, z) => {
    const png = join(ground, basename(f).replace(/\.dcm$/i, "") + ".png");
    if (!existsSync(png)) throw new DataError(png, `ground-truth PNG missing for DICOM slice ${f}`);
    const s = readPngSlice(png);
    if (s.width !== nx || s.height !== ny) throw new DataError(png, `label slice is ${s.width}x${s.height}, image slice is ${nx}x${ny}`);
    lab.set(mapLabelValues(s.data, CHAOS_PNG_LABELS, png), z * nx * ny);
  });
  return {
    id,
    modality: "mri",
    image,
    label: { data: lab, shape: image.shape, spacing: image.spacing, affine: image.affine, source: ground },
    meta: { dataset: "chaos", dicomFolder: join(caseDir, "DICOM_anon"), labelFolder: ground, labelCodes: CHAOS_PNG_LABELS.codes },
  };
}

/**
 * Loads one BTCV CT case (label mapped to 0 bg, 1 liver, 2 right kidney, 3 left kidney, 4 spleen;
 * other BTCV organs -> background). For the bundled PNG form the image is 8-bit windowed intensity
 * (0..255) and only the copied z-range is returned (`meta.zOffset`, `meta.zTotal`).
 */
export function loadBtcvCase(dir: string, id: string): Case {
  if (existsSync(join(dir, "img"))) {
    const imgFile = niftiIn(join(dir, "img"), /^img(\d+)\.nii(\.gz)?$/).get(id);
    const labFile = niftiIn(join(dir, "label"), /^label(\d+)\.nii(\.gz)?$/).get(id);
    if (!imgFile) throw new DataError(join(dir, "img", `img${id}.nii.gz`), "no such BTCV case");
    if (!labFile) throw new DataError(join(dir, "label", `label${id}.nii.gz`), "label file missing for this image");
    const image = readNifti(imgFile).volume;
    assertFinite(image.data, imgFile);
    const raw = readNifti(labFile).volume;
    assertSameGrid(image, raw, labFile);
    return { id, modality: "ct", image, label: mapLabelVolume(raw, BTCV_LABELS, labFile), meta: { dataset: "btcv", imageFile: imgFile, labelFile: labFile, labelCodes: BTCV_LABELS.codes } };
  }
  const labFile = niftiIn(join(dir, "labels"), /^label_(\d+)\.nii(\.gz)?$/).get(id);
  if (!labFile) throw new DataError(join(dir, "labels", `label_${id}.nii.gz`), "no such BTCV label file");
  const pngDir = join(dir, "images_png", `SABS_${id}`);
  const slices = new Map<number, string>();
  for (const f of listDir(pngDir)) {
    const m = /_slice(\d+)\.png$/.exec(f);
    if (m) slices.set(Number(m[1]), join(pngDir, f));
  }
  if (slices.size === 0) throw new DataError(pngDir, "empty folder: no *_slice<NNN>.png files");
  const zs = [...slices.keys()].sort((a, b) => a - b);
  const z0 = zs[0]!;
  const z1 = zs[zs.length - 1]!;
  if (z1 - z0 + 1 !== zs.length) throw new DataError(pngDir, `PNG slices ${z0}..${z1} are not contiguous (${zs.length} files)`);
  const rawLab = readNifti(labFile).volume;
  const nzLab = rawLab.shape[2];
  if (z1 >= nzLab) throw new DataError(slices.get(z1)!, `slice index ${z1} is outside the label volume's ${nzLab} slices (${labFile})`);
  const label = cropZ(mapLabelVolume(rawLab, BTCV_LABELS, labFile), z0, z1);
  const stack = readPngStack(zs.map((z) => slices.get(z)!), rawLab.spacing, pngDir, "x");
  const image = { ...stack, affine: subgridAffine(rawLab.affine, [0, 0, z0]) };
  assertSameGrid(image, label, labFile);
  return {
    id,
    modality: "ct",
    image,
    label,
    meta: { dataset: "btcv", pngFolder: pngDir, labelFile: labFile, zOffset: z0, zTotal: nzLab, intensity: "8-bit windowed PNG", labelCodes: BTCV_LABELS.codes },
  };
}
