/**
 * Case-level train/val/test splits (70/10/20 per modality, seeded), written once to
 * `data/splits/<dataset>.json` and committed. An existing file is reused as is; if the case list it
 * was made from differs from the current one, that is an error (never a silent regeneration).
 * Fixed test cases (the MM-WHS test ids of the authors' notes) are honoured when given.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ModalityName } from "./types.ts";
import { Rng } from "../util/rng.ts";
import { DataError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/atomic.ts";

export interface ModalitySplit {
  train: string[];
  val: string[];
  test: string[];
}

export interface SplitFile {
  dataset: string;
  seed: number;
  fractions: { train: number; val: number; test: number };
  /** All case ids the split was made from, sorted, per modality. */
  cases: Partial<Record<ModalityName, string[]>>;
  splits: Partial<Record<ModalityName, ModalitySplit>>;
  note?: string;
}

const sortIds = (ids: readonly string[]) => [...ids].sort((a, b) => (Number(a) - Number(b)) || a.localeCompare(b));

/**
 * Splits ids: test = round(0.2 n) (or exactly `fixedTest`), val = round(0.1 n), the rest train; the
 * assignment is a seeded shuffle of the sorted ids. Lists in the result are sorted.
 */
export function makeSplit(ids: readonly string[], rng: Rng, fixedTest: readonly string[] = [], fractions = { val: 0.1, test: 0.2 }): ModalitySplit {
  const all = sortIds(ids);
  for (const t of fixedTest) if (!all.includes(t)) throw new DataError("<splits>", `fixed test case '${t}' is not among the cases (${all.join(", ")})`);
  const nTest = fixedTest.length > 0 ? fixedTest.length : Math.round(fractions.test * all.length);
  const nVal = Math.round(fractions.val * all.length);
  const rest = rng.shuffle(all.filter((id) => !fixedTest.includes(id)));
  const test = fixedTest.length > 0 ? [...fixedTest] : rest.splice(0, nTest);
  const val = rest.splice(0, nVal);
  return { train: sortIds(rest), val: sortIds(val), test: sortIds(test) };
}

/**
 * Loads `path` if it exists (checking it was made from the same case ids), else makes the split and
 * writes it atomically.
 * @param cases case ids per modality
 * @param fixedTest fixed test ids per modality (optional)
 * @throws DataError if the existing file's case list differs from `cases` or it is unreadable
 */
export function loadOrCreateSplits(
  path: string,
  dataset: string,
  cases: Partial<Record<ModalityName, readonly string[]>>,
  seed: number,
  fixedTest: Partial<Record<ModalityName, readonly string[]>> = {},
): SplitFile {
  const want: Partial<Record<ModalityName, string[]>> = {};
  for (const m of Object.keys(cases).sort() as ModalityName[]) want[m] = sortIds(cases[m]!);
  if (existsSync(path)) {
    let f: SplitFile;
    try {
      f = JSON.parse(readFileSync(path, "utf8")) as SplitFile;
    } catch (e) {
      throw new DataError(path, `unreadable split file (${(e as Error).message})`);
    }
    for (const m of new Set([...Object.keys(want), ...Object.keys(f.cases ?? {})]) as Set<ModalityName>) {
      const a = JSON.stringify(want[m] ?? []);
      const b = JSON.stringify(f.cases?.[m] ?? []);
      if (a !== b) {
        throw new DataError(path, `split was made from ${m} cases ${b} but the data now has ${a}; delete the file deliberately to regenerate`);
      }
    }
    return f;
  }
  const rng = new Rng(seed);
  const splits: Partial<Record<ModalityName, ModalitySplit>> = {};
  for (const m of Object.keys(want) as ModalityName[]) splits[m] = makeSplit(want[m]!, rng.fork(m), fixedTest[m] ?? []);
  const f: SplitFile = { dataset, seed, fractions: { train: 0.7, val: 0.1, test: 0.2 }, cases: want, splits };
  writeJsonAtomic(path, f);
  return f;
}

/** MM-WHS test cases used by SIFA/PnP-AdaNet (authors' notes section 6). */
export const MMWHS_FIXED_TEST: Readonly<Record<ModalityName, readonly string[]>> = {
  ct: ["1003", "1008", "1014", "1019"],
  mri: ["1007", "1009", "1018", "1019"],
};

/** Default seed of the committed splits. */
export const SPLIT_SEED = 2020;

/** `data/splits/<name>.json` in the repository. */
export function splitsPath(name: string, repoRoot: string): string {
  return `${repoRoot}/data/splits/${name}.json`;
}

/**
 * Splits for a user's MM-WHS download: the fixed SIFA/PnP-AdaNet test cases (MMWHS_FIXED_TEST),
 * the rest 70/10 (of all cases) into train/val, in `data/splits/mmwhs.json` (written on first use,
 * then checked).
 * @param ids case ids per modality found in the download (e.g. from listMmwhsCases)
 */
export function mmwhsSplits(ids: Partial<Record<ModalityName, readonly string[]>>, splitFile: string): SplitFile {
  const fixed: Partial<Record<ModalityName, readonly string[]>> = {};
  for (const m of Object.keys(ids) as ModalityName[]) {
    const present = MMWHS_FIXED_TEST[m].filter((id) => ids[m]!.includes(id));
    if (present.length === MMWHS_FIXED_TEST[m].length) fixed[m] = present;
  }
  return loadOrCreateSplits(splitFile, "mmwhs", ids, SPLIT_SEED, fixed);
}
