/**
 * `ummkd sweep`: a notebook's (or config's) grid of runs as independent tasks — parallel local
 * child processes or a Slurm job array — into a shared run store (lib/sweep/).
 *
 *   ummkd sweep (--notebook NAME | --config FILE) --profile P [grid flags] [--executor local --jobs N]
 *   ummkd sweep ... --executor slurm [--partition P] [--time T] [--cpus-per-task C] [--gpus G]
 *                   [--array-limit K] [--sbatch-arg ARG]... [--print]
 *   ummkd sweep status (--dir DIR | selection) [--json]
 *   ummkd sweep collect (--dir DIR | selection)
 *   ummkd sweep task --dir DIR --index I          (what each job runs)
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseFlags, positiveIntFlag } from "./args.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { resolveProfileName } from "../plan/profiles.ts";
import type { GridOverrides } from "../plan/plan.ts";
import { gridOverrides } from "../plan/overrides.ts";
import { paramsFromFlags } from "../plan/params.ts";
import { buildManifest, pendingEntries, readManifest, sweepsRoot, useSweepDirs, writeManifest } from "../sweep/manifest.ts";
import { runLocalSweep } from "../sweep/local.ts";
import { writeSbatchScript, scriptPath, submitSlurm, slurmTaskStates, readSubmissions, type SlurmOptions } from "../sweep/slurm.ts";
import { formatStatus, sweepStatus } from "../sweep/status.ts";
import { collectSweep } from "../sweep/collect.ts";
import { runSweepTask } from "../sweep/task.ts";

const USAGE = `usage: ummkd sweep (--notebook NAME | --config FILE) [--profile smoke|quick|cpu|paper]
                   [--seeds 0,1] [--settings s1,s2] [--alphas 0.1,0.5] [--norms batch,group] [--folds 0,1]
                   [--steps N] [--data DIR] [--dir SWEEP_DIR]
                   [--executor local] [--jobs N] [--threads T]
                   [--executor slurm] [--partition P] [--time T] [--cpus-per-task C] [--gpus G]
                   [--array-limit K] [--sbatch-arg ARG ...] [--print]
       ummkd sweep status  (--dir SWEEP_DIR | selection as above) [--json]
       ummkd sweep collect (--dir SWEEP_DIR | selection as above)
       ummkd sweep task --dir SWEEP_DIR --index I
A sweep folder (default ${sweepsRoot()}/<id>) holds the manifest (every plan and its hash), the task
logs and the sbatch script; re-running a sweep skips the plans already stored.`;

const FLAGS = {
  notebook: { type: "string" }, config: { type: "string" }, profile: { type: "string" },
  // the grid flags: one per parameter row (lib/plan/params.ts) that has one, force aside
  seeds: { type: "string" }, settings: { type: "string" }, alphas: { type: "string" }, norms: { type: "string" },
  folds: { type: "string" }, steps: { type: "string" }, data: { type: "string" }, dir: { type: "string" },
  executor: { type: "string" }, jobs: { type: "string" }, threads: { type: "string" },
  partition: { type: "string" }, time: { type: "string" }, "cpus-per-task": { type: "string" }, gpus: { type: "string" },
  "array-limit": { type: "string" }, "sbatch-arg": { type: "string", multiple: true }, print: { type: "boolean", default: false },
  index: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", default: false },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>["values"];

/** The grid of a selection: the parameters' flags, parsed and checked by their rows (lib/plan/params.ts). */
function grid(v: Values): GridOverrides {
  const p = paramsFromFlags(v);
  return gridOverrides({ ...p, ...(p.dataRoot ? { dataRoot: resolve(p.dataRoot) } : {}) });
}

/** The sweep folder: `--dir` with an existing manifest, or the one of the selection (created/refreshed). */
function sweepDir(v: Values, create: boolean): string {
  if (!v.notebook && !v.config) {
    if (!v.dir) throw new OptionError("--dir / --notebook / --config", "none", "a sweep folder (--dir) or a selection (--notebook NAME or --config FILE)");
    readManifest(resolve(v.dir));
    return resolve(v.dir);
  }
  if (v.notebook && v.config) throw new OptionError("--config / --notebook", "both", "exactly one of them");
  const m = buildManifest({ ...(v.notebook ? { notebook: v.notebook } : { config: v.config! }), profile: resolveProfileName(v.profile ?? null), grid: grid(v) });
  const dir = v.dir ? resolve(v.dir) : undefined;
  return create ? writeManifest(m, dir) : (dir ?? resolve(sweepsRoot(), m.id));
}

function slurmOptions(v: Values): SlurmOptions {
  const int = (n: string, s: string | undefined) => positiveIntFlag(n, s);
  const cpus = int("cpus-per-task", v["cpus-per-task"]);
  const gpus = int("gpus", v.gpus);
  const limit = int("array-limit", v["array-limit"]);
  return {
    ...(v.partition ? { partition: v.partition } : {}), ...(v.time ? { time: v.time } : {}),
    ...(cpus !== undefined ? { cpusPerTask: cpus } : {}), ...(gpus !== undefined ? { gpus } : {}),
    ...(limit !== undefined ? { arrayLimit: limit } : {}), ...(v["sbatch-arg"] ? { sbatchArgs: [...v["sbatch-arg"]] } : {}),
  };
}

async function runSweep(v: Values): Promise<number> {
  const executor = oneOf("--executor", v.executor ?? "local", ["local", "slurm"] as const);
  const dir = sweepDir(v, true);
  const m = readManifest(dir);
  useSweepDirs(m);
  if (executor === "local") {
    const jobs = positiveIntFlag("jobs", v.jobs);
    const threads = positiveIntFlag("threads", v.threads);
    const r = await runLocalSweep(dir, { ...(jobs ? { jobs } : {}), ...(threads ? { threads } : {}) });
    console.log(`${dir}: ${r.total} plans, ${r.skipped} already stored, ${r.trained} run now, ${r.failed.length} failed`);
    return r.failed.length > 0 ? 1 : 0;
  }
  // Slurm: submit the plans neither stored nor queued/running in an earlier submission of this sweep
  const live = new Set(slurmTaskStates(readSubmissions(dir).map((s) => s.jobId)).filter((s) => /^(RUNNING|PENDING|REQUEUED|CONFIGURING|COMPLETING)/.test(s.state)).map((s) => s.index));
  const todo = pendingEntries(m).filter((e) => !live.has(e.index)).map((e) => e.index);
  const so = slurmOptions(v);
  if (todo.length === 0) {
    console.log(`${dir}: all ${m.plans.length} plans are stored${live.size ? ` or queued (${live.size})` : ""}; nothing to submit`);
    return 0;
  }
  if (v.print) {
    const script = writeSbatchScript(m, dir, todo, so);
    console.log(readFileSync(script, "utf8"));
    console.log(`# written to ${scriptPath(dir)}; submit with: sbatch ${scriptPath(dir)}`);
    return 0;
  }
  const { jobId, script } = submitSlurm(m, dir, todo, so);
  console.log(`submitted job ${jobId}: ${todo.length} of ${m.plans.length} plans (${script}); follow with: ummkd sweep status --dir ${dir}`);
  console.log(jobId);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, FLAGS, "sweep");
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const sub = positionals[0] ?? "run";
  if (positionals.length > 1) throw new OptionError("sweep", positionals.join(" "), "one subcommand: run, status, collect or task");
  switch (oneOf("sweep subcommand", sub, ["run", "status", "collect", "task"] as const)) {
    case "run":
      return runSweep(v);
    case "status": {
      const s = sweepStatus(sweepDir(v, false));
      if (v.json) console.log(JSON.stringify({ id: s.manifest.id, dir: s.dir, jobIds: s.jobIds, counts: s.counts, plans: s.plans }));
      else for (const l of formatStatus(s)) console.log(l);
      return s.counts.failed > 0 ? 1 : 0;
    }
    case "collect": {
      const r = collectSweep(sweepDir(v, false));
      if (r.direct) console.log(`nothing to do: the notebooks read the sweep's run store and cache directly (${r.copied.length} copied)`);
      else console.log(`${r.copied.length} runs copied, ${r.present} already here, ${r.missing.length} not yet stored by the sweep`);
      for (const f of r.copied) console.log(f);
      return 0;
    }
    case "task": {
      if (!v.dir) throw new OptionError("--dir", "(none)", "the sweep folder");
      const index = v.index === undefined ? NaN : Number(v.index);
      if (!Number.isInteger(index) || index < 0) throw new OptionError("--index", v.index ?? "(none)", "a non-negative integer (the array task index)");
      await runSweepTask(resolve(v.dir), index);
      return 0;
    }
  }
}
