/**
 * Real abdominal data from a data root (BTCV CT + CHAOS MRI), as lib/data reads them.
 * Returns undefined when the root does not contain them.
 */
import type { Case } from "../data/types.ts";
import type { ProfileSpec } from "./config.ts";

export async function loadRealAbdominal(_root: string, _spec: ProfileSpec): Promise<{ splits: { train: { ct: Case[]; mri: Case[] }; val: { ct: Case[]; mri: Case[] }; test: { ct: Case[]; mri: Case[] } }; source: { ct: string; mri: string } } | undefined> {
  // Pending lib/data's dataset loaders (BTCV PNG + label NIfTI, CHAOS NIfTI) and committed splits.
  return undefined;
}
