/**
 * What may change between a checkpoint and the run that resumes it. Only the schedule keys
 * (steps, validateEvery, checkpointEvery, logEvery) may; any other config key or any part of the
 * data fingerprint that differs makes the resume an error naming that field, so a resumed run
 * never mixes two datasets or two plans in one set of weights.
 */
import { join } from "node:path";
import { OptionError } from "../util/errors.ts";
import { findCheckpoint, readTrainerState, type TrainerState } from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";

/** Config keys that may change between a checkpoint and a resumed run. */
export const RESUMABLE_CHANGES: ReadonlySet<string> = new Set(["steps", "validateEvery", "checkpointEvery", "logEvery"]);

/** Flatten nested objects to dotted keys ("model.setting") with JSON-encoded leaf values. */
function flatten(v: unknown, prefix = "", out: Map<string, string> = new Map()): Map<string, string> {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, JSON.stringify(v));
  return out;
}

/** The fields (dotted) whose values differ between two objects, with both values. */
export function changedFields(saved: unknown, now: unknown, ignore: ReadonlySet<string> = new Set()): { field: string; saved: string | undefined; now: string | undefined }[] {
  const a = flatten(saved);
  const b = flatten(now);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => !ignore.has(k.split(".")[0]!)).sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => ({ field: k, saved: a.get(k), now: b.get(k) }));
}

/**
 * Throw when a checkpoint's config or data fingerprint differs from the resuming run's.
 * @param data the resuming run's data fingerprint (skipped when either side has none)
 * @throws OptionError naming the checkpoint, the first differing field and both values
 */
export function checkResumeCompatible(state: Pick<TrainerState, "config" | "data">, config: TrainConfig, data: Record<string, string> | undefined, dir: string): void {
  const diff = changedFields(state.config, config, RESUMABLE_CHANGES);
  if (state.data && data) diff.push(...changedFields({ data: state.data }, { data }));
  if (!diff.length) return;
  diff.sort((a, b) => Number(a.field === "data.content") - Number(b.field === "data.content")); // name the field before the hash
  const d = diff[0]!;
  const more = diff.length > 1 ? ` (and ${diff.length - 1} more: ${diff.slice(1, 4).map((x) => x.field).join(", ")}${diff.length > 4 ? ", ..." : ""})` : "";
  throw new OptionError(
    `resume from ${dir}: ${d.field}`,
    d.now === undefined ? undefined : JSON.parse(d.now),
    `${d.saved ?? "(absent)"} as in the checkpoint${more}; a run resumes only with its own plan and data (only steps/validateEvery/checkpointEvery/logEvery may change): use a new output folder or start fresh`,
  );
}

/**
 * Pre-check before a command touches a run folder (e.g. rewrites its config.json): when
 * `<runDir>/checkpoint` exists, the run must be resumable with this config and data.
 */
export function assertResumable(runDir: string, config: TrainConfig, data: Record<string, string> | undefined): void {
  const dir = findCheckpoint(runDir);
  if (!dir) return;
  checkResumeCompatible(readTrainerState(dir), config, data, dir);
}

/** Lock file of a run directory (lib/util/lock.ts). */
export function runLockPath(runDir: string): string {
  return join(runDir, "run.lock");
}
