/**
 * The project's bundled real data as ready-to-train datasets (see ../shared/data/real/README.md):
 *   - abdominal: BTCV CT (16 cases with PNG slices) + CHAOS T2-SPIR MRI (20 cases), split by the
 *     committed data/splits/abdominal.json, preprocessed per case;
 *   - sifa: the four MM-WHS SIFA slice triplets (training_* -> train, validation_* -> val).
 * And `loadPrepared`: reads back a folder written by `prepare` (manifest + NIfTI).
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Case, ModalityName } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { loadBtcvCase, loadChaosCase } from "./abdominal.ts";
import { bundledAbdominalSplits, hasBundledAbdominal } from "./abdominal-cases.ts";
export { bundledAbdominalCases, bundledAbdominalSplits, hasBundledAbdominal } from "./abdominal-cases.ts";
import { listSifaFiles, loadSifaFile } from "./cardiac.ts";
import { splitsPath, type SplitFile } from "./splits.ts";
import { preprocessCase, type PreprocessOptions } from "./preprocess.ts";
import { REPO_ROOT } from "./root.ts";
import { readNifti } from "./nifti.ts";
import { assertSameGrid } from "./geometry.ts";
import type { Manifest } from "./prepare.ts";

export type SplitName = "train" | "val" | "test";
export type SplitCases = Record<SplitName, { ct: Case[]; mri: Case[] }>;

export interface BundledLoadOptions {
  /** Per-case preprocessing; default { size: [256, 256], clipPercent: 2, zscore: true }; null = raw. */
  preprocess?: PreprocessOptions | null;
  /** Cap on cases per split and modality (0 or missing = all), taking the split's first ids. */
  maxCases?: Partial<Record<SplitName, number>>;
  /** Split file; default data/splits/abdominal.json in the repository. */
  splitFile?: string;
  /** Explicit case ids per split and modality (e.g. one fold of lib/data/kfold.ts); replaces the split file. */
  ids?: Record<SplitName, Record<ModalityName, string[]>>;
}

const CT_DIR = "btcv_sabs_ct";
const MRI_DIR = "chaos_t2_mr";

function splitIds(s: SplitFile): Record<SplitName, Record<ModalityName, string[]>> {
  const of = (split: SplitName) => ({ ct: s.splits.ct![split], mri: s.splits.mri![split] });
  return { train: of("train"), val: of("val"), test: of("test") };
}

/**
 * Loads the bundled abdominal CT + MRI cases by split (labels: 0 bg, 1 liver, 2 right kidney,
 * 3 left kidney, 4 spleen).
 * @throws DataError if the folders are missing or the split file does not match the data
 */
export function loadBundledAbdominal(root: string, opts: BundledLoadOptions = {}): { splits: SplitCases; source: { ct: string; mri: string }; splitFile: string } {
  if (!hasBundledAbdominal(root)) throw new DataError(root, `no bundled abdominal data (expected ${CT_DIR}/ and ${MRI_DIR}/)`);
  const splitFile = opts.splitFile ?? splitsPath("abdominal", REPO_ROOT);
  const ids = opts.ids ?? splitIds(bundledAbdominalSplits(root, splitFile));
  const pre = opts.preprocess === undefined ? { size: [256, 256] as [number, number], clipPercent: 2, zscore: true } : opts.preprocess;
  const load = (m: ModalityName, id: string): Case => {
    const c = m === "ct" ? loadBtcvCase(join(root, CT_DIR), id) : loadChaosCase(join(root, MRI_DIR), id);
    return pre ? preprocessCase(c, pre) : c;
  };
  const out = {} as SplitCases;
  for (const split of ["train", "val", "test"] as const) {
    const cap = opts.maxCases?.[split] ?? 0;
    const pick = (m: ModalityName) => {
      const list = ids[split][m];
      return (cap > 0 ? list.slice(0, cap) : list).map((id) => load(m, id));
    };
    out[split] = { ct: pick("ct"), mri: pick("mri") };
  }
  return {
    splits: out,
    source: { ct: `BTCV CT (${join(root, CT_DIR)}, 8-bit windowed PNG slices + label NIfTI)`, mri: `CHAOS T2-SPIR MRI (${join(root, MRI_DIR)})` },
    splitFile,
  };
}

/**
 * The bundled SIFA cardiac slices: training_* files -> train, validation_* -> val (no test set is
 * bundled). Label 5 -> background.
 */
export function loadBundledSifa(root: string): { train: { ct: Case[]; mri: Case[] }; val: { ct: Case[]; mri: Case[] } } {
  const files = listSifaFiles(join(root, "mmwhs_sifa"));
  const out = { train: { ct: [] as Case[], mri: [] as Case[] }, val: { ct: [] as Case[], mri: [] as Case[] } };
  for (const f of files) {
    const split = basename(f).startsWith("validation") ? "val" : "train";
    for (const c of loadSifaFile(f)) out[split][c.modality].push(c);
  }
  return out;
}

/**
 * Reads back a folder written by `prepare` (manifest.json + NIfTI pairs).
 * @param filter optional modality and/or case ids
 * @throws DataError if the manifest is missing/unreadable or a listed file cannot be read
 */
export function loadPrepared(dir: string, filter: { modality?: ModalityName; ids?: string[] } = {}): { manifest: Manifest; cases: Case[] } {
  const mf = join(dir, "manifest.json");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(mf, "utf8")) as Manifest;
  } catch (e) {
    throw new DataError(mf, `missing or unreadable prepare manifest (${(e as Error).message})`);
  }
  const cases: Case[] = [];
  for (const c of manifest.cases) {
    if (filter.modality && c.modality !== filter.modality) continue;
    if (filter.ids && !filter.ids.includes(c.id)) continue;
    const image = readNifti(join(dir, c.image)).volume;
    const lab = readNifti(join(dir, c.label)).volume;
    assertSameGrid(image, lab, join(dir, c.label));
    const data = new Uint8Array(lab.data.length);
    for (let i = 0; i < data.length; i++) {
      const v = lab.data[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < manifest.classes.length)) {
        throw new DataError(join(dir, c.label), `label value ${v} outside 0..${manifest.classes.length - 1}`);
      }
      data[i] = v;
    }
    cases.push({ id: c.id, modality: c.modality, image, label: { ...lab, data }, meta: c.meta });
  }
  return { manifest, cases };
}
