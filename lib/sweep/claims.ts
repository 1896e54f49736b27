/**
 * Locks left behind on another node. The plan lock and the trainer's run lock (lib/util/lock.ts)
 * treat a holder as dead only when it is on this host and its pid is gone; a Slurm task killed with
 * its node (or requeued) and retried on another node would wait forever for its own dead lock.
 *
 * So each Slurm task records a claim, `claims/<hash>.json` in the sweep folder: {host, pid, job}
 * (job = `<array job>_<task>`). A retry that finds a lock held on another host removes it only when
 * the claim shows the holder was a task of this sweep (same host and pid) and Slurm no longer runs
 * that task: it is our own job id (Slurm runs one instance of a job at a time, so the holder was
 * this job's earlier, dead incarnation), or squeue no longer lists the holder's job as running.
 * Anything else (a notebook on another machine, no claim) is left to the lock's own rules.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { trainDir } from "../experiment/runner.ts";
import { runLockPath } from "../train/resume.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { readLock, type LockInfo } from "../util/lock.ts";
import { slurmTaskStates } from "./slurm.ts";

/** Who ran a plan last under Slurm. */
export interface Claim {
  host: string;
  pid: number;
  /** `<array job id>_<task id>`. */
  job: string;
}

const claimPath = (dir: string, hash: string) => join(dir, "claims", `${hash}.json`);

/** This process's claim when it is a Slurm array task, else undefined. */
export function currentClaim(env: NodeJS.ProcessEnv = process.env): Claim | undefined {
  const job = env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  return job && task !== undefined ? { host: hostname(), pid: process.pid, job: `${job}_${task}` } : undefined;
}

/**
 * Whether a lock held on another host is a dead task of this sweep.
 * @param holder the lock file's holder
 * @param claim the plan's last claim
 * @param me this task's claim
 * @param running whether Slurm still lists the claim's job as running (asked only when needed)
 */
export function isDeadRemoteTask(holder: LockInfo, claim: Claim | undefined, me: Claim, running: (job: string) => boolean): boolean {
  if (holder.hostname === me.host) return false; // same host: the lock's own pid check applies
  if (!claim || claim.host !== holder.hostname || claim.pid !== holder.pid) return false;
  if (claim.job === me.job) return true;
  return !running(claim.job);
}

/**
 * Before a Slurm task trains plan `hash`: remove locks of its dead earlier incarnation on another
 * node, then record this task's claim. Outside Slurm it does nothing.
 * @returns the lock files removed
 */
export function claimPlan(dir: string, hash: string, log: (line: string) => void = () => {}): string[] {
  const me = currentClaim();
  if (!me) return [];
  const path = claimPath(dir, hash);
  let claim: Claim | undefined;
  try {
    claim = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Claim) : undefined;
  } catch {
    claim = undefined;
  }
  const running = (job: string) => {
    const [id, task] = job.split("_");
    return slurmTaskStates([id!]).some((s) => String(s.index) === task && s.source === "squeue" && /^(RUNNING|COMPLETING|SUSPENDED)/.test(s.state));
  };
  const removed: string[] = [];
  for (const lock of [join(dirname(trainDir(hash)), `${hash}.lock`), runLockPath(trainDir(hash))]) {
    const holder = readLock(lock);
    if (holder && isDeadRemoteTask(holder, claim, me, running)) {
      rmSync(lock, { force: true });
      removed.push(lock);
      log(`[sweep] removed ${lock}: held by pid ${holder.pid} on ${holder.hostname}, Slurm task ${claim!.job}, which no longer runs`);
    }
  }
  writeJsonAtomic(path, me);
  return removed;
}
