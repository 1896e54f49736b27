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
import type { ExperimentTask } from "../plan/config.ts";
import type { DataPlan, RunPlan } from "../plan/plan.ts";

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

function syntheticSplits(task: ExperimentTask, d: DataPlan): Pick<TaskData, "train" | "val" | "test"> {
  if (d.split.kind !== "synthetic") throw new DataError("plan", `synthetic data with a ${d.split.kind} split`);
  const cases = d.split.cases;
  const opts = { shape: d.shape, spacing: d.spacing };
  const cohort = (m: ModalityName, n: number, seed: number) =>
    n > 0 ? syntheticCohort(task, m, n, seed, opts).map((c) => ({ ...c, id: c.id.replace(`-${m}-`, `-${m}-s${seed}-`) })) : [];
  const split = (n: number, seed: number): Split<Case[]> => ({ ct: cohort("ct", n, seed), mri: cohort("mri", n, seed) });
  return { train: split(cases.train, 1), val: split(Math.max(1, cases.val), 2), test: split(cases.test, 3) };
}

/**
 * Build (and preprocess) the cases of a plan.
 * @param dataRoot the data root of real data (the plan records the datasets, not the path)
 * @throws DataError when the plan needs real data and the root lacks it
 */
export async function loadTaskData(plan: RunPlan, dataRoot: string | null): Promise<TaskData> {
  const d = plan.data;
  let raw: Pick<TaskData, "train" | "val" | "test">;
  let preprocessed = false;
  if (d.source === "real") {
    const root = dataRoot ?? findDataRoot() ?? null;
    const mod = (await import("./real-data.ts")) as typeof import("./real-data.ts");
    const real = root && plan.task === "abdominal" ? await mod.loadRealAbdominal(root, d) : undefined;
    if (!real) throw new DataError(root ?? "(no data root: set --data or UMMKD_DATA)", `no real ${plan.task} data (the plan needs ${d.datasets.ct} + ${d.datasets.mri})`);
    raw = real.splits;
    preprocessed = true; // lib/data already resampled, cropped, clipped and z-scored them
  } else raw = syntheticSplits(plan.task, d);
  const p = preprocessed ? (c: Case) => c : prep;
  const map = (s: Split<Case[]>): Split<Case[]> => ({ ct: s.ct.map(p), mri: s.mri.map(p) });
  const data: TaskData = { train: map(raw.train), val: map(raw.val), test: map(raw.test), source: { ...d.datasets } };
  if (plan.evaluate.outlier) {
    const first = raw.test.ct[0];
    if (!first) throw new DataError("test split", "Table VI's artefact case needs at least one CT test case");
    data.outlier = prep(addArtefacts(first, { seed: 6 }));
  }
  return data;
}

