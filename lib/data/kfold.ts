/**
 * K-fold cross-validation splits (nnU-Net's splits_final.json, per modality): every case is in
 * exactly one test fold; fold f trains on the other folds, from which `valPerModality` cases (the
 * first ids of fold (f + 1) mod k) are held out for validation (model selection and learning
 * curves, never testing). Made once by a seeded shuffle of the sorted ids dealt round-robin into
 * k folds, written to `data/splits/<dataset>_cv<k>.json` and committed; an existing file is reused,
 * and an error if its case list differs from the data's (never a silent regeneration).
 */
import { existsSync, readFileSync } from "node:fs";
import type { ModalityName } from "./types.ts";
import { Rng } from "../util/rng.ts";
import { DataError, OptionError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/atomic.ts";

export interface KFoldFile {
  dataset: string;
  k: number;
  seed: number;
  /** All case ids per modality, sorted. */
  cases: Partial<Record<ModalityName, string[]>>;
  /** folds[m][f]: the test cases of fold f (sorted). */
  folds: Partial<Record<ModalityName, string[][]>>;
  note?: string;
}

/** The train / val / test ids of one fold. */
export interface FoldSplit {
  train: Record<ModalityName, string[]>;
  val: Record<ModalityName, string[]>;
  test: Record<ModalityName, string[]>;
}

const sortIds = (ids: readonly string[]) => [...ids].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));

/**
 * Deal ids into k folds: seeded shuffle of the sorted ids, then id i goes to fold i mod k.
 * @throws OptionError if k < 2 or there are fewer ids than folds
 */
export function makeFolds(ids: readonly string[], k: number, rng: Rng): string[][] {
  if (!(Number.isInteger(k) && k >= 2)) throw new OptionError("k", k, "an integer >= 2");
  if (ids.length < k) throw new OptionError("k", k, `at most the number of cases (${ids.length})`);
  const order = rng.shuffle(sortIds(ids));
  const folds: string[][] = Array.from({ length: k }, () => []);
  order.forEach((id, i) => folds[i % k]!.push(id));
  return folds.map(sortIds);
}

/** Make a k-fold file for the given case ids (one independent seeded stream per modality). */
export function makeKFold(dataset: string, cases: Partial<Record<ModalityName, readonly string[]>>, k: number, seed: number): KFoldFile {
  const out: KFoldFile = { dataset, k, seed, cases: {}, folds: {} };
  (Object.keys(cases) as ModalityName[]).sort().forEach((m, mi) => {
    out.cases[m] = sortIds(cases[m]!);
    out.folds[m] = makeFolds(cases[m]!, k, new Rng(seed + 7919 * (mi + 1)));
  });
  return out;
}

/**
 * Load `path` (checking its case list against `cases`), or make and write it.
 * @throws DataError when the file is unreadable or was made from other cases
 */
export function loadOrCreateKFold(path: string, dataset: string, cases: Partial<Record<ModalityName, readonly string[]>>, k: number, seed: number): KFoldFile {
  if (existsSync(path)) {
    let f: KFoldFile;
    try {
      f = JSON.parse(readFileSync(path, "utf8")) as KFoldFile;
    } catch (e) {
      throw new DataError(path, `unreadable k-fold split file (${(e as Error).message})`);
    }
    if (f.k !== k) throw new DataError(path, `has k = ${f.k}, expected ${k}`);
    for (const m of Object.keys(cases) as ModalityName[]) {
      const want = sortIds(cases[m]!);
      const have = f.cases[m] ?? [];
      if (want.join(",") !== have.join(",")) throw new DataError(path, `${m} cases [${have.join(", ")}] differ from the data's [${want.join(", ")}]; delete the file to make a new split deliberately`);
    }
    return f;
  }
  const f = makeKFold(dataset, cases, k, seed);
  f.note = `${k}-fold cross-validation; fold f tests folds[m][f], validates on the first val ids of fold (f+1) mod k, trains on the rest`;
  writeJsonAtomic(path, f);
  return f;
}

/**
 * The split of fold `fold`: test = its fold; val = the first `valPerModality[m]` ids of fold
 * (fold + 1) mod k; train = every other case.
 * @throws OptionError for a fold outside 0..k-1 or too many validation cases
 */
export function foldSplit(f: KFoldFile, fold: number, valPerModality: Partial<Record<ModalityName, number>>): FoldSplit {
  if (!(Number.isInteger(fold) && fold >= 0 && fold < f.k)) throw new OptionError("fold", fold, `an integer in 0..${f.k - 1}`);
  const out: FoldSplit = { train: { ct: [], mri: [] }, val: { ct: [], mri: [] }, test: { ct: [], mri: [] } };
  for (const m of Object.keys(f.folds) as ModalityName[]) {
    const folds = f.folds[m]!;
    const nVal = valPerModality[m] ?? 0;
    const next = folds[(fold + 1) % f.k]!;
    if (nVal > next.length) throw new OptionError(`valPerModality.${m}`, nVal, `at most ${next.length} (the size of fold ${(fold + 1) % f.k})`);
    out.test[m] = [...folds[fold]!];
    out.val[m] = next.slice(0, nVal);
    out.train[m] = sortIds(folds.filter((_, j) => j !== fold).flat().filter((id) => !out.val[m].includes(id)));
  }
  return out;
}
