/**
 * The data of one experiment: train/val/test cases per modality, preprocessed (top-2% clip and
 * z-score per volume, lib/data/preprocess.ts), plus Table VI's artefact case.
 *
 * - synthetic: lib/data/synthetic.ts cohorts (train/val/test are disjoint seeds; CT and MRI are
 *   different subjects), grid and spacing from the profile.
 * - real: the data root's abdominal CT (BTCV) + MRI (CHAOS) through lib/data (see loadRealAbdominal);
 *   with `fallbackToSynthetic`, synthetic data is used (and recorded in data_source) where the
 *   root lacks them. No real cardiac CT volumes exist here, so cardiac is synthetic below `paper`.
 */
import type { Case, ModalityName } from "../data/types.ts";
import { preprocessCase } from "../data/preprocess.ts";
import { ABDOMINAL_STRUCTURES, CARDIAC_STRUCTURES, addArtefacts, syntheticCohort } from "../data/synthetic.ts";
import { DataError } from "../util/errors.ts";
import { findDataRoot } from "../data/root.ts";
import type { ExperimentTask, ProfileSpec } from "./config.ts";

export type Split<T> = Record<ModalityName, T>;

export interface TaskData {
  train: Split<Case[]>;
  val: Split<Case[]>;
  test: Split<Case[]>;
  /** "synthetic" or "real:<dataset>" per modality (the tidy data_source column). */
  source: Split<string>;
  /** Table VI: the first CT test case with artefacts added (addArtefacts, seed 6). */
  outlier?: Case;
}

/** Structure names in class-index order (class k + 1). */
export function structuresOf(task: ExperimentTask): readonly string[] {
  return task === "cardiac" ? CARDIAC_STRUCTURES : ABDOMINAL_STRUCTURES;
}

function prep(c: Case): Case {
  return preprocessCase(c, { size: undefined, clipPercent: 2, zscore: true });
}

function syntheticSplits(task: ExperimentTask, spec: ProfileSpec): Pick<TaskData, "train" | "val" | "test"> {
  const opts = { shape: spec.shape, spacing: spec.spacing };
  const cohort = (m: ModalityName, n: number, seed: number) =>
    n > 0 ? syntheticCohort(task, m, n, seed, opts).map((c) => ({ ...c, id: c.id.replace(`-${m}-`, `-${m}-s${seed}-`) })) : [];
  const split = (n: number, seed: number): Split<Case[]> => ({ ct: cohort("ct", n, seed), mri: cohort("mri", n, seed) });
  return { train: split(spec.cases.train, 1), val: split(Math.max(1, spec.cases.val), 2), test: split(spec.cases.test, 3) };
}

/**
 * Build (and preprocess) the cases of a task at a profile.
 * @throws DataError when real data is required (no fallback) and the data root lacks it
 */
export async function loadTaskData(task: ExperimentTask, spec: ProfileSpec, options: { dataRoot: string | null; outlier: boolean }): Promise<TaskData> {
  let raw: Pick<TaskData, "train" | "val" | "test"> | undefined;
  let source: Split<string> = { ct: "synthetic", mri: "synthetic" };
  let preprocessed = false;
  if (spec.data === "real") {
    const real = await loadRealData(task, spec, options.dataRoot);
    if (real) {
      raw = real.splits;
      source = real.source;
      preprocessed = true; // lib/data already resampled, cropped, clipped and z-scored them
    } else if (!spec.fallbackToSynthetic) {
      throw new DataError(options.dataRoot ?? "(no data root: set --data or UMMKD_DATA)", `no real ${task} data found for this profile, and it does not fall back to synthetic data`);
    }
  }
  raw ??= syntheticSplits(task, spec);
  const p = preprocessed ? (c: Case) => c : prep;
  const map = (s: Split<Case[]>): Split<Case[]> => ({ ct: s.ct.map(p), mri: s.mri.map(p) });
  const data: TaskData = { train: map(raw.train), val: map(raw.val), test: map(raw.test), source };
  if (options.outlier) {
    const first = raw.test.ct[0];
    if (!first) throw new DataError("test split", "Table VI needs at least one CT test case");
    data.outlier = prep(addArtefacts(first, { seed: 6 }));
  }
  return data;
}

/**
 * Real data from the data root, or undefined where it is absent. Wired for abdominal (BTCV CT +
 * CHAOS MRI) through lib/data's dataset loaders when they are available.
 */
async function loadRealData(task: ExperimentTask, spec: ProfileSpec, root: string | null): Promise<{ splits: Pick<TaskData, "train" | "val" | "test">; source: Split<string> } | undefined> {
  if (task !== "abdominal") return undefined;
  root ??= defaultDataRoot();
  if (!root) return undefined;
  const mod = (await import("./real-data.ts")) as typeof import("./real-data.ts");
  return mod.loadRealAbdominal(root, spec);
}

function defaultDataRoot(): string | null {
  try {
    return findDataRoot() ?? null;
  } catch {
    return null;
  }
}
