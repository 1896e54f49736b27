/**
 * The Slurm executor: a sweep's pending plans as one job array, one array task per plan (the task
 * index is the plan's index in the manifest), `%K` throttling, `--requeue` (a task whose node fails
 * is requeued and resumes from its checkpoint), each task's output appended to
 * `logs/task-<i>.log` in the sweep folder. `sbatch --parsable` returns the job id, kept in
 * `jobs.json` for `ummkd sweep status`. The sweep folder, the run store, the cache and the training
 * folder must be on a filesystem every node sees (they are absolute paths in the manifest).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { OptionError, UmmkdError } from "../util/errors.ts";
import { checkPathSegment } from "../util/paths.ts";
import type { SweepManifest } from "./manifest.ts";
import { NODE_FLAGS } from "../util/node-flags.ts";

export interface SlurmOptions {
  partition?: string;
  /** Wall-clock limit per task (Slurm syntax: "30", "4:00:00", "1-00:00:00"). */
  time?: string;
  cpusPerTask?: number;
  /** GPUs per task (`--gpus`). */
  gpus?: number;
  /** At most this many tasks at once (`%K`). */
  arrayLimit?: number;
  /** Extra `#SBATCH` arguments, each one argument such as `--mem=16G` or `--account=lab`. */
  sbatchArgs?: string[];
  /** Job name (default `ummkd-<sweep name>`). */
  jobName?: string;
}

/** Slurm array syntax for sorted indices: runs become ranges ("0-3,5,7-8"). */
export function arraySpec(indices: number[]): string {
  const s = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(",");
}

const shq = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The sbatch script of a job array over `indices` of the sweep in `dir`.
 * @throws OptionError for an empty index list or an invalid option
 */
export function sbatchScript(m: SweepManifest, dir: string, indices: number[], o: SlurmOptions = {}): string {
  if (indices.length === 0) throw new OptionError("array indices", "[]", "at least one pending plan");
  for (const [name, v] of [["--cpus-per-task", o.cpusPerTask], ["--gpus", o.gpus], ["--array-limit", o.arrayLimit]] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new OptionError(name, v, "a positive integer");
  for (const a of o.sbatchArgs ?? []) if (!a.startsWith("-") || /[\x00-\x1f\x7f]/.test(a)) throw new OptionError("--sbatch-arg", a, "one sbatch option starting with '-' (e.g. --mem=16G)");
  // every value written into the script: a newline would end its #SBATCH line and run the rest as a command
  if (o.partition !== undefined && !/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(o.partition)) throw new OptionError("--partition", o.partition, "partition names of letters, digits, '.', '_' or '-' (comma-separated)");
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d+){0,2}$|^UNLIMITED$|^infinite$/.test(o.time)) throw new OptionError("--time", o.time, "a Slurm time limit such as 60, 4:00:00 or 1-12:00:00");
  if (o.jobName !== undefined) checkPathSegment("--job-name", o.jobName);
  for (const [what, v] of [["sweep folder", dir], ["repository path", m.repo], ["sweep name", m.name], ["sweep id", m.id], ["profile", m.profile]] as const)
    if (/[\x00-\x1f\x7f]/.test(v)) throw new OptionError(what, v, "a value without control characters (newlines) to write into the sbatch script");
  const cpus = o.cpusPerTask ?? 1;
  const lines = [
    "#!/bin/bash",
    `# ummkd sweep ${m.id}: ${m.plans.length} plans of ${m.name} at profile ${m.profile}; this array: ${indices.length} pending`,
    `#SBATCH --job-name=${shq(o.jobName ?? `ummkd-${m.name}`)}`,
    `#SBATCH --array=${arraySpec(indices)}${o.arrayLimit ? `%${o.arrayLimit}` : ""}`,
    "#SBATCH --requeue",
    `#SBATCH --cpus-per-task=${cpus}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []), // validated above
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.gpus ? [`#SBATCH --gpus=${o.gpus}`] : []),
    `#SBATCH --output=${shq(join(dir, "logs", "task-%a.log"))}`,
    "#SBATCH --open-mode=append",
    ...(o.sbatchArgs ?? []).map((a) => `#SBATCH ${a}`),
    "",
    "set -euo pipefail",
    `cd ${shq(m.repo)}`,
    // one engine thread per allocated CPU; a GPU task's backend comes from UMMKD_BACKEND (e.g. tfjs-node-gpu);
    // node: UMMKD_NODE, else the one that created the sweep
    'export UMMKD_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    `exec "\${UMMKD_NODE:-${process.execPath}}" ${NODE_FLAGS.join(" ")} bin/ummkd.js sweep task --dir ${shq(dir)} --index "$SLURM_ARRAY_TASK_ID"`,
    "",
  ];
  return lines.join("\n");
}

/** Path of the sbatch script in a sweep folder. */
export const scriptPath = (dir: string) => join(dir, "sweep.sbatch");

/**
 * Write the sbatch script into the sweep folder, and create its `logs/` (Slurm does not create the
 * folder of `--output`: a task whose log cannot be opened dies before it starts).
 * @returns the script's path
 */
export function writeSbatchScript(m: SweepManifest, dir: string, indices: number[], o: SlurmOptions = {}): string {
  const text = sbatchScript(m, dir, indices, o);
  mkdirSync(join(dir, "logs"), { recursive: true });
  writeFileAtomic(scriptPath(dir), text);
  return scriptPath(dir);
}

/** A submission recorded in `jobs.json`. */
export interface SlurmSubmission {
  jobId: string;
  submittedAt: string;
  indices: number[];
}

/** The submissions of a sweep folder (oldest first). */
export function readSubmissions(dir: string): SlurmSubmission[] {
  const p = join(dir, "jobs.json");
  if (!existsSync(p)) return [];
  try {
    return JSON.parse(readFileSync(p, "utf8")) as SlurmSubmission[];
  } catch {
    return [];
  }
}

/** Whether a Slurm command is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

/**
 * Write the script and submit it with `sbatch --parsable`.
 * @returns the job id
 * @throws UmmkdError when sbatch is missing or refuses the job (its message)
 */
export function submitSlurm(m: SweepManifest, dir: string, indices: number[], o: SlurmOptions = {}): { jobId: string; script: string } {
  const script = writeSbatchScript(m, dir, indices, o);
  if (!hasCommand("sbatch")) throw new UmmkdError(`sbatch not found on PATH; the script is written: ${script} (submit it on the cluster's login node, or use --executor local)`);
  const r = spawnSync("sbatch", ["--parsable", script], { encoding: "utf8" });
  if (r.status !== 0) throw new UmmkdError(`sbatch refused ${script}: ${(r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
  const jobId = r.stdout.trim().split(";")[0]!;
  if (!/^\d+$/.test(jobId)) throw new UmmkdError(`sbatch printed no job id for ${script}: ${JSON.stringify(r.stdout.trim())}`);
  writeJsonAtomic(join(dir, "jobs.json"), [...readSubmissions(dir), { jobId, submittedAt: new Date().toISOString(), indices }]);
  return { jobId, script };
}

/** State of one array task as Slurm reports it. */
export interface SlurmTaskState {
  jobId: string;
  index: number;
  /** RUNNING, PENDING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, REQUEUED, ... */
  state: string;
  /** squeue (live), or sacct / scontrol (finished tasks too). */
  source: "squeue" | "sacct";
}

/** Parse `<job>_<index>` ids with a state ("123_4 RUNNING"); array ranges (pending "123_[5-9%2]") are expanded. */
export function parseTaskLines(text: string, source: SlurmTaskState["source"]): SlurmTaskState[] {
  const out: SlurmTaskState[] = [];
  for (const line of text.split("\n")) {
    const [id, state] = line.trim().split(/[|\s]+/);
    const mm = /^(\d+)_(\d+|\[([^\]]+)\])$/.exec(id ?? "");
    if (!mm || !state) continue;
    const st = state.replace(/\+$/, "");
    if (mm[3] === undefined) out.push({ jobId: mm[1]!, index: Number(mm[2]), state: st, source });
    else
      for (const part of mm[3].split("%")[0]!.split(",")) {
        const [a, b] = part.split("-").map(Number);
        for (let i = a!; i <= (b ?? a!); i++) out.push({ jobId: mm[1]!, index: i, state: st, source });
      }
  }
  return out;
}

/**
 * What squeue (live tasks) and sacct (finished ones, where accounting is enabled) say about the
 * sweep's jobs, latest submission last. Empty when neither command is present.
 */
export function slurmTaskStates(jobIds: string[]): SlurmTaskState[] {
  if (jobIds.length === 0) return [];
  const states: SlurmTaskState[] = [];
  let accounted = false;
  if (hasCommand("sacct")) {
    const r = spawnSync("sacct", ["-n", "-P", "-X", "-j", jobIds.join(","), "-o", "JobID,State"], { encoding: "utf8" });
    accounted = r.status === 0;
    if (accounted) states.push(...parseTaskLines(r.stdout, "sacct"));
  }
  if (!accounted && hasCommand("scontrol")) {
    // without accounting, slurmctld still remembers finished tasks for MinJobAge (default 300 s)
    for (const id of jobIds) {
      const r = spawnSync("scontrol", ["-o", "show", "job", id], { encoding: "utf8" });
      if (r.status !== 0) continue;
      const lines = r.stdout.split("\n").map((l) => {
        const task = /\bArrayTaskId=(\S+)/.exec(l)?.[1];
        const state = /\bJobState=(\S+)/.exec(l)?.[1];
        return task && state ? `${id}_${/^\d+$/.test(task) ? task : `[${task}]`} ${state}` : "";
      });
      states.push(...parseTaskLines(lines.join("\n"), "sacct"));
    }
  }
  if (hasCommand("squeue")) {
    const r = spawnSync("squeue", ["-h", "-r", "-j", jobIds.join(","), "-o", "%i %T"], { encoding: "utf8" });
    if (r.status === 0) states.push(...parseTaskLines(r.stdout, "squeue"));
  }
  return states;
}
