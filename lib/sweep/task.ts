/**
 * One sweep task: train exactly one plan of a sweep manifest into the sweep's run store — what a
 * local job (lib/sweep/local.ts) and a Slurm array task (lib/sweep/slurm.ts) run, as
 * `ummkd sweep task --dir <sweep> --index <i>`.
 *
 * The store/lock logic is the runner's (lib/experiment/runner.ts `runPlans`): a plan already stored
 * is loaded and nothing is trained; a plan another process is training is waited for (one lock per
 * plan, so two tasks never write the same run); an interrupted run (scancel, requeue, kill -9)
 * resumes from its last checkpoint in the training folder; the record is written atomically. A
 * Slurm retry on another node clears its dead predecessor's locks first (lib/sweep/claims.ts).
 */
import { join } from "node:path";
import { findCheckpoint } from "../train/checkpoint.ts";
import { loadConfig } from "../plan/config.ts";
import { planHash } from "../plan/plan.ts";
import { runPlans, trainDir } from "../experiment/runner.ts";
import { readFileSync } from "node:fs";
import { OptionError, UmmkdError, userErrorMessage } from "../util/errors.ts";
import { claimPlan } from "./claims.ts";
import { readManifest, useSweepDirs, type SweepEntry } from "./manifest.ts";

/** A task's failure, naming its plan. */
export class SweepTaskError extends UmmkdError {
  constructor(readonly entry: Pick<SweepEntry, "index" | "hash" | "label">, problem: string) {
    super(`plan ${entry.hash} (${entry.label}, task ${entry.index}): ${problem}`);
  }
}

export interface SweepTaskResult {
  hash: string;
  /** "trained" now, or found in the store/cache (another task or an earlier submission stored it). */
  outcome: "trained" | "stored";
  /** Step the training resumed from (0: fresh start). */
  resumedFrom: number;
}

/** The step of a run's last checkpoint, or 0. */
export function checkpointStep(hash: string): number {
  const ck = findCheckpoint(trainDir(hash));
  if (!ck) return 0;
  try {
    return (JSON.parse(readFileSync(join(ck, "trainer.json"), "utf8")) as { step: number }).step;
  } catch {
    return 0;
  }
}

/**
 * Train (or find stored) the plan at `index` of the sweep in `dir`.
 * @throws OptionError for an index outside the manifest; SweepTaskError (naming the plan) when the
 *   plan's hash no longer matches this code (CODE_VERSION changed since the sweep was created) or
 *   training fails
 */
export async function runSweepTask(dir: string, index: number, log: (line: string) => void = (l) => console.log(l)): Promise<SweepTaskResult> {
  const m = readManifest(dir);
  const entry = m.plans[index];
  if (!entry) throw new OptionError("--index", index, `an index 0..${m.plans.length - 1} of sweep ${m.id}`);
  if (planHash(entry.plan) !== entry.hash)
    throw new SweepTaskError(entry, `the plan's hash is now ${planHash(entry.plan)} (the code version changed since the sweep was created); create and submit the sweep again`);
  useSweepDirs(m);
  claimPlan(dir, entry.hash, log);
  const resumedFrom = checkpointStep(entry.hash);
  const where = process.env.SLURM_JOB_ID ? ` (Slurm job ${process.env.SLURM_ARRAY_JOB_ID ?? process.env.SLURM_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID ?? "?"} on ${process.env.SLURMD_NODENAME ?? "?"})` : "";
  log(`[sweep] task ${index}: ${entry.label} plan ${entry.hash}${where}${resumedFrom > 0 ? `, resuming from the checkpoint at step ${resumedFrom}` : ""}`);
  try {
    const config = loadConfig(entry.config);
    const { trained } = await runPlans(config, m.profile, [{ hash: entry.hash, plan: entry.plan }], {
      progress: "log",
      ...(m.dataRoot ? { dataRoot: m.dataRoot } : {}),
    });
    const outcome = trained > 0 ? "trained" : "stored";
    log(`[sweep] task ${index}: plan ${entry.hash} ${outcome === "trained" ? "trained and stored" : "was already stored; nothing trained"}`);
    return { hash: entry.hash, outcome, resumedFrom };
  } catch (e) {
    if (e instanceof SweepTaskError) throw e;
    const msg = userErrorMessage(e) ?? (e instanceof Error ? (e.stack ?? e.message) : String(e));
    throw new SweepTaskError(entry, msg);
  }
}
