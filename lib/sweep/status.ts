/**
 * `ummkd sweep status`: each plan of a sweep is done (its record is in the run store or cache),
 * running (a live process holds its plan lock, or squeue says RUNNING), pending (squeue), failed
 * (its task ended without storing a record: sacct says FAILED/CANCELLED/TIMEOUT/..., or its log
 * exists and no process is on it), not started, or damaged (its cache record is unreadable: the
 * status says which file and how to go on, and goes on with the other plans). Failed tasks come with their log file, its last
 * lines and the checkpoint step a re-submission resumes from.
 */
import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { findRun } from "../experiment/cache.ts";
import { trainDir } from "../experiment/runner.ts";
import { pidAlive } from "../util/atomic.ts";
import { DataError } from "../util/errors.ts";
import { readLock } from "../util/lock.ts";
import { lastLines, loggedStep } from "./local.ts";
import { readManifest, taskLogPath, useSweepDirs, type SweepEntry, type SweepManifest } from "./manifest.ts";
import { readSubmissions, slurmTaskStates, type SlurmTaskState } from "./slurm.ts";
import { checkpointStep } from "./task.ts";

export type PlanState = "done" | "running" | "pending" | "failed" | "not started" | "damaged";

export interface PlanStatus {
  entry: Pick<SweepEntry, "index" | "hash" | "label">;
  state: PlanState;
  /** Where the record is (done). */
  where?: "store" | "cache";
  /** Latest logged training step (running/failed) and the plan's total. */
  step?: number;
  steps: number;
  /** Checkpoint a re-submission resumes from (failed / not done). */
  checkpointStep?: number;
  /** Slurm's word for the task, when known ("RUNNING", "CANCELLED", ...). */
  slurm?: string;
  /** Who holds the plan's lock ("pid 12 on node3"). */
  holder?: string;
  log: string;
  /** Last lines of the task log (failed). */
  tail?: string[];
  /** What is wrong with the plan's record and how to go on (damaged). */
  problem?: string;
}

export interface SweepStatus {
  manifest: SweepManifest;
  dir: string;
  jobIds: string[];
  plans: PlanStatus[];
  counts: Record<PlanState, number>;
}

const FAILED_STATES = /^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)/;

/** The status of every plan of the sweep in `dir` (reads the store, locks, logs, squeue/sacct). */
export function sweepStatus(dir: string, o: { tailLines?: number } = {}): SweepStatus {
  const m = readManifest(dir);
  useSweepDirs(m);
  const jobIds = readSubmissions(dir).map((s) => s.jobId);
  // latest submission wins; squeue (live) over sacct for the same job
  const byIndex = new Map<number, SlurmTaskState>();
  const rank = (s: SlurmTaskState) => Number(s.jobId) * 2 + (s.source === "squeue" ? 1 : 0);
  for (const s of slurmTaskStates(jobIds)) {
    const old = byIndex.get(s.index);
    if (!old || rank(s) >= rank(old)) byIndex.set(s.index, s);
  }
  const plans: PlanStatus[] = m.plans.map((e) => {
    const log = taskLogPath(dir, e.index);
    const base = { entry: { index: e.index, hash: e.hash, label: e.label }, steps: e.plan.train.steps, log };
    let found: ReturnType<typeof findRun>;
    try {
      found = findRun(e.hash);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      return { ...base, state: "damaged", problem: err.message };
    }
    if (found) return { ...base, state: "done", where: found.where };
    const slurm = byIndex.get(e.index);
    const lock = readLock(join(dirname(trainDir(e.hash)), `${e.hash}.lock`));
    const lockLive = lock && (lock.hostname !== hostname() || pidAlive(lock.pid));
    const extra = { ...(slurm ? { slurm: slurm.state } : {}), ...(lock ? { holder: `pid ${lock.pid} on ${lock.hostname}` } : {}) };
    const ck = checkpointStep(e.hash);
    if (slurm?.state === "RUNNING" || (lockLive && !(slurm && FAILED_STATES.test(slurm.state))))
      return { ...base, ...extra, state: "running", step: loggedStep(e.hash) };
    if (slurm && /^(PENDING|REQUEUED|CONFIGURING|RESIZING|SUSPENDED)/.test(slurm.state)) return { ...base, ...extra, state: "pending", checkpointStep: ck };
    const ran = existsSync(log) && statSync(log).size > 0;
    if ((slurm && FAILED_STATES.test(slurm.state)) || ran || ck > 0)
      return { ...base, ...extra, state: "failed", step: loggedStep(e.hash), checkpointStep: ck, tail: lastLines(log, o.tailLines ?? 3) };
    return { ...base, ...extra, state: "not started" };
  });
  const counts: Record<PlanState, number> = { done: 0, running: 0, pending: 0, failed: 0, "not started": 0, damaged: 0 };
  for (const p of plans) counts[p.state]++;
  return { manifest: m, dir, jobIds, plans, counts };
}

/** Human lines of a status (one per plan that is not done, plus a summary). */
export function formatStatus(s: SweepStatus): string[] {
  const c = s.counts;
  const lines = [
    `sweep ${s.manifest.id} (${s.dir}): ${s.plans.length} plans of ${s.manifest.name} at profile ${s.manifest.profile}`,
    `  ${c.done} done, ${c.running} running, ${c.pending} pending, ${c.failed} failed, ${c["not started"]} not started${c.damaged ? `, ${c.damaged} with a damaged record` : ""}${s.jobIds.length ? `; Slurm jobs ${s.jobIds.join(", ")}` : ""}`,
    `  run store ${s.manifest.dirs.store}, cache ${s.manifest.dirs.cache}`,
  ];
  for (const p of s.plans) {
    if (p.state === "done") continue;
    const sl = p.slurm ? ` [${p.slurm}]` : "";
    const where = `task ${p.entry.index} ${p.entry.label} (${p.entry.hash})`;
    if (p.state === "running") lines.push(`  running  ${where}: step ${p.step}/${p.steps}${p.holder ? `, ${p.holder}` : ""}${sl}`);
    else if (p.state === "pending") lines.push(`  pending  ${where}${sl}`);
    else if (p.state === "failed") {
      lines.push(`  FAILED   ${where}${sl}: ${p.checkpointStep ? `checkpoint at step ${p.checkpointStep}/${p.steps} (a re-submission resumes there)` : "no checkpoint"}; log ${p.log}`);
      for (const t of p.tail ?? []) lines.push(`           | ${t}`);
    } else if (p.state === "damaged") lines.push(`  DAMAGED  ${where}: ${p.problem}`);
    else lines.push(`  not started ${where}`);
  }
  return lines;
}
