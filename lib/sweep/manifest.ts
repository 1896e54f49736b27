/**
 * A sweep: the run plans of a notebook's (or a config's) grid at a profile, frozen into a manifest
 * that every task reads — a local child process or a Slurm array task trains `plans[index]`.
 *
 * The sweep folder (`$UMMKD_SWEEP_DIR` or `<repo>/.ummkd-cache/sweeps`, then `<id>/`; on a cluster
 * it must be on the shared filesystem, as must the run store, cache and training folders) holds:
 * - `manifest.json`: the complete plan of every run with its hash (lib/plan/plan.ts, the same
 *   plans and hashes the notebooks use), the config each came from, and the run store, cache and
 *   training folders resolved when the sweep was created (tasks on any node write there);
 * - `logs/task-<index>.log`: each task's output (appended across retries);
 * - `sweep.sbatch` and `jobs.json` for the Slurm executor (lib/sweep/slurm.ts).
 * The id is derived from the name, profile and plan hashes, so re-creating the same sweep finds the
 * same folder (and re-submitting it skips the runs already stored).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "../util/repo-root.ts";
import { cacheDir, findRun, storeDir } from "../experiment/cache.ts";
import { artefact } from "../notebooks/artefacts/index.ts";
import { loadConfig, type ExperimentConfig, type ExperimentProfile } from "../plan/config.ts";
import { expandPlans, planLabel, type GridOverrides, type RunPlan } from "../plan/plan.ts";
import { trainDir } from "../experiment/runner.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { DataError, OptionError } from "../util/errors.ts";
import { isPathSegment } from "../util/paths.ts";

/** The config files a notebook trains: those its artefact needs (lib/notebooks/artefacts). */
export function notebookConfigFiles(name: string): string[] {
  return artefact(name, "--notebook").configs.map((n) => join(REPO_ROOT, "data", "configs", `${n}.json`));
}

/** One run of a sweep. */
export interface SweepEntry {
  /** The array task index (position in the manifest). */
  index: number;
  hash: string;
  /** Absolute path of the config the plan was expanded from. */
  config: string;
  label: string;
  plan: RunPlan;
}

export interface SweepManifest {
  schema: 1;
  id: string;
  /** Notebook or config name. */
  name: string;
  profile: ExperimentProfile;
  createdAt: string;
  /** Repository the tasks run `bin/ummkd.js` from. */
  repo: string;
  dataRoot: string | null;
  /** Where the tasks store runs and train (absolute; the environment of the creating process). */
  dirs: { store: string; cache: string; train: string };
  plans: SweepEntry[];
}

/** Root of the sweep folders. */
export function sweepsRoot(): string {
  return process.env.UMMKD_SWEEP_DIR ?? join(REPO_ROOT, ".ummkd-cache", "sweeps");
}

/** Path of a sweep folder's manifest. */
export function manifestPath(dir: string): string {
  return join(dir, "manifest.json");
}

/** A task's log file (one per array index, appended by retries). */
export function taskLogPath(dir: string, index: number): string {
  return join(dir, "logs", `task-${index}.log`);
}

export interface SweepSelection {
  /** Notebook name (its configs) or a config file; exactly one. */
  notebook?: string;
  config?: string;
  profile: ExperimentProfile;
  grid: GridOverrides;
}

/**
 * The manifest of a selection: every distinct plan of its configs' grids, in the runner's order
 * (folds outermost). Nothing is written.
 * @throws OptionError for an unknown notebook, DataError for an unreadable config
 */
export function buildManifest(sel: SweepSelection): SweepManifest {
  const files = sel.notebook ? notebookConfigFiles(sel.notebook) : [resolve(sel.config!)];
  const configs: [string, ExperimentConfig][] = files.map((f) => [f, loadConfig(f)]);
  const seen = new Set<string>();
  const plans: SweepEntry[] = [];
  for (const [file, config] of configs)
    for (const { hash, plan } of expandPlans(config, sel.profile, sel.grid)) {
      if (seen.has(hash)) continue;
      seen.add(hash);
      plans.push({ index: plans.length, hash, config: file, label: `${config.name} ${planLabel(plan)}`, plan });
    }
  const name = sel.notebook ?? configs[0]![1].name;
  const id = `${name}-${sel.profile}-${createHash("sha256").update(plans.map((p) => p.hash).join(",")).digest("hex").slice(0, 8)}`;
  return {
    schema: 1, id, name, profile: sel.profile, createdAt: new Date().toISOString(), repo: REPO_ROOT,
    dataRoot: sel.grid.dataRoot ?? null,
    dirs: { store: resolve(storeDir()), cache: resolve(cacheDir()), train: resolve(trainDir("x"), "..") },
    plans,
  };
}

/**
 * Write the manifest into `dir` (default `<sweepsRoot>/<id>`), keeping the creation time of an
 * existing identical sweep. @returns the sweep folder
 */
export function writeManifest(m: SweepManifest, dir = join(sweepsRoot(), m.id)): string {
  const p = manifestPath(dir);
  if (existsSync(p)) {
    const old = readManifest(dir);
    if (old.id === m.id) m.createdAt = old.createdAt;
  }
  writeJsonAtomic(p, m);
  return dir;
}

/** Read a sweep folder's manifest. @throws DataError when absent or not a manifest */
export function readManifest(dir: string): SweepManifest {
  const p = manifestPath(dir);
  let m: SweepManifest;
  try {
    m = JSON.parse(readFileSync(p, "utf8")) as SweepManifest;
  } catch (e) {
    throw new DataError(p, `cannot read the sweep manifest (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  if (m.schema !== 1 || !Array.isArray(m.plans) || !m.dirs) throw new DataError(p, "not a sweep manifest (schema 1)");
  // a plan hash becomes a file name in the run store (results/runs/<hash>.json): one path segment, never "../x"
  const bad = m.plans.findIndex((e) => !isPathSegment(e?.hash));
  if (bad >= 0) throw new DataError(p, `plans[${bad}].hash is ${JSON.stringify(m.plans[bad]?.hash)}, expected a plan hash (one path segment such as 0024fd323338fd2b)`);
  for (const k of ["name", "profile"] as const) if (!isPathSegment(m[k])) throw new DataError(p, `${k} is ${JSON.stringify(m[k])}, expected one path segment of letters, digits, '.', '_' or '-'`);
  return m;
}

/** Point this process's run store, cache and training folder at the sweep's (as its tasks do). */
export function useSweepDirs(m: SweepManifest): void {
  process.env.UMMKD_RUN_STORE = m.dirs.store;
  process.env.UMMKD_CACHE = m.dirs.cache;
  process.env.UMMKD_TRAIN_DIR = m.dirs.train;
}

/** The entries whose run is not yet in the store or cache (call after {@link useSweepDirs}). */
export function pendingEntries(m: SweepManifest): SweepEntry[] {
  return m.plans.filter((e) => !findRun(e.hash));
}
