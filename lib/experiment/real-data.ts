/**
 * Real abdominal data from a data root: the bundled BTCV CT + CHAOS T2-SPIR MRI through lib/data
 * (`loadBundledAbdominal`: committed split data/splits/abdominal.json, per-case resampling to the
 * profile's spacing, in-plane ROI crop to the profile's size around the organs, top-2% clip,
 * z-score). Returns undefined when the root does not hold them.
 */
import { hasBundledAbdominal, loadBundledAbdominal } from "../data/bundled.ts";
import type { Case } from "../data/types.ts";
import type { ProfileSpec } from "./config.ts";

type Splits = { train: { ct: Case[]; mri: Case[] }; val: { ct: Case[]; mri: Case[] }; test: { ct: Case[]; mri: Case[] } };

export async function loadRealAbdominal(root: string, spec: ProfileSpec): Promise<{ splits: Splits; source: { ct: string; mri: string } } | undefined> {
  if (!hasBundledAbdominal(root)) return undefined;
  const r = loadBundledAbdominal(root, {
    preprocess: { spacing: spec.spacing, size: [spec.shape[1], spec.shape[0]], clipPercent: 2, zscore: true },
    maxCases: { train: spec.cases.train, val: spec.cases.val, test: spec.cases.test },
  });
  return { splits: r.splits, source: { ct: "real:btcv", mri: "real:chaos" } };
}
