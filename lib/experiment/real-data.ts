/**
 * Real abdominal data from a data root: the bundled BTCV CT + CHAOS T2-SPIR MRI through lib/data
 * (`loadBundledAbdominal`: the plan's case ids per split (a fold of data/splits/abdominal_cv4.json,
 * or the fixed data/splits/abdominal.json), per-case resampling to the plan's spacing, in-plane ROI
 * crop to the plan's size, top-2% clip, z-score). Returns undefined when the root does not hold them.
 */
import { hasBundledAbdominal, loadBundledAbdominal } from "../data/bundled.ts";
import type { Case } from "../data/types.ts";
import type { DataPlan } from "../plan/plan.ts";

type Splits = { train: { ct: Case[]; mri: Case[] }; val: { ct: Case[]; mri: Case[] }; test: { ct: Case[]; mri: Case[] } };

export async function loadRealAbdominal(root: string, d: DataPlan): Promise<{ splits: Splits; source: { ct: string; mri: string } } | undefined> {
  if (!hasBundledAbdominal(root) || d.split.kind === "synthetic") return undefined;
  const r = loadBundledAbdominal(root, {
    preprocess: { spacing: d.spacing, size: [d.shape[1], d.shape[0]], clipPercent: d.intensity.clipPercent, zscore: d.intensity.zscore, roiCentre: d.roiCentre },
    ids: d.split.ids,
  });
  return { splits: r.splits, source: { ct: d.datasets.ct, mri: d.datasets.mri } };
}
