/**
 * Dataset definitions: class names in the paper's order and each source's label code map.
 *
 * - Cardiac (MM-WHS 2017, Table 1 of the paper): 1 LV myocardium (205), 2 LA cavity (420),
 *   3 LV cavity (500), 4 ascending aorta (820); the other MM-WHS structures (550 RA, 600 RV,
 *   850 pulmonary artery) are background.
 * - SIFA/PnP-AdaNet cardiac slices: values 0..4 already in that order; 5 (an undocumented "other"
 *   structure, one-hot-dropped by the authors' loaders) is background.
 * - Abdominal (Table 2): 1 liver, 2 right kidney, 3 left kidney, 4 spleen (the order of the
 *   authors' 3D code). CHAOS MRI codes 1..4 are already in that order; BTCV CT codes are 6 liver,
 *   2 right kidney, 3 left kidney, 1 spleen, and its other 9 organs are background.
 */
import type { ModalityName } from "./types.ts";
import type { LabelCodeMap } from "./labels.ts";

export type DatasetName = "mmwhs" | "sifa" | "chaos" | "btcv" | "abdominal";
export const DATASET_NAMES: readonly DatasetName[] = ["mmwhs", "sifa", "chaos", "btcv", "abdominal"];

export type TaskName = "cardiac" | "abdominal";

export const CARDIAC_CLASSES = ["background", "LV myocardium", "LA cavity", "LV cavity", "ascending aorta"] as const;
export const ABDOMINAL_CLASSES = ["background", "liver", "right kidney", "left kidney", "spleen"] as const;

export interface DatasetDefinition {
  name: DatasetName;
  task: TaskName;
  /** Class names, index = class id. */
  classes: readonly string[];
  /** Label code map per modality present in this dataset. */
  labelMaps: Partial<Record<ModalityName, LabelCodeMap>>;
  description: string;
}

export const MMWHS_LABELS: LabelCodeMap = { codes: { 205: 1, 420: 2, 500: 3, 820: 4 }, other: [550, 600, 850] };
export const SIFA_LABELS: LabelCodeMap = { codes: { 1: 1, 2: 2, 3: 3, 4: 4 }, other: [5] };
export const CHAOS_LABELS: LabelCodeMap = { codes: { 1: 1, 2: 2, 3: 3, 4: 4 }, other: [] };
/** CHAOS raw-download ground-truth PNG grey levels (63 liver, 126 right kidney, 189 left kidney, 252 spleen). */
export const CHAOS_PNG_LABELS: LabelCodeMap = { codes: { 63: 1, 126: 2, 189: 3, 252: 4 }, other: [] };
export const BTCV_LABELS: LabelCodeMap = { codes: { 6: 1, 2: 2, 3: 3, 1: 4 }, other: [4, 5, 7, 8, 9, 10, 11, 12, 13] };

export const DATASETS: Readonly<Record<DatasetName, DatasetDefinition>> = {
  mmwhs: {
    name: "mmwhs",
    task: "cardiac",
    classes: CARDIAC_CLASSES,
    labelMaps: { ct: MMWHS_LABELS, mri: MMWHS_LABELS },
    description: "MM-WHS 2017 cardiac CT + MRI volumes (NIfTI *_image.nii.gz / *_label.nii.gz)",
  },
  sifa: {
    name: "sifa",
    task: "cardiac",
    classes: CARDIAC_CLASSES,
    labelMaps: { ct: SIFA_LABELS, mri: SIFA_LABELS },
    description: "MM-WHS cardiac slices as released by PnP-AdaNet/SIFA (TFRecord, 256x256x3)",
  },
  chaos: {
    name: "chaos",
    task: "abdominal",
    classes: ABDOMINAL_CLASSES,
    labelMaps: { mri: CHAOS_LABELS },
    description: "CHAOS 2019 T2-SPIR MRI (SSL-ALPNet NIfTI, or the raw DICOM + PNG ground truth)",
  },
  btcv: {
    name: "btcv",
    task: "abdominal",
    classes: ABDOMINAL_CLASSES,
    labelMaps: { ct: BTCV_LABELS },
    description: "BTCV / Synapse multi-atlas abdominal CT (NIfTI, or SSL-ALPNet label NIfTI + PNG slices)",
  },
  abdominal: {
    name: "abdominal",
    task: "abdominal",
    classes: ABDOMINAL_CLASSES,
    labelMaps: { ct: BTCV_LABELS, mri: CHAOS_LABELS },
    description: "Unpaired abdominal CT (BTCV) + MRI (CHAOS), liver/kidneys/spleen",
  },
};
