/**
 * Frozen plans handed to another process as one file (as a sweep manifest does, lib/sweep): the
 * notebook expands its plans once, writes them here, and its training child
 * (`ummkd experiment --plans FILE`, lib/notebooks/subprocess.ts) trains exactly these plans and
 * reports each by its hash. No parameter is re-encoded as a flag and nothing is expanded again.
 *
 * The file holds the config (for the run store's choice between the committed store and the cache,
 * lib/experiment/runner.ts), the profile, `force`, the data root, and every plan with its hash. A
 * plan whose hash no longer matches this code (CODE_VERSION changed since the file was written) is
 * refused, naming the plan.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../util/atomic.ts";
import { DataError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/repo-root.ts";
import { validateConfig, type ExperimentConfig } from "../plan/config.ts";
import { planHash, planLabel, stableStringify, type HashedPlan } from "../plan/plan.ts";
import { EXPERIMENT_PROFILES, type ExperimentProfile } from "../plan/types.ts";

export const PLANS_FILE_SCHEMA = 1;

/** What a plans file holds. */
export interface PlansFile {
  schema: typeof PLANS_FILE_SCHEMA;
  config: ExperimentConfig;
  profile: ExperimentProfile;
  /** Retrain even when a stored run exists. */
  force: boolean;
  /** The data root the plans were resolved with (real data), if any. */
  dataRoot?: string;
  plans: HashedPlan[];
}

/** Where plans files are written: `<repo>/.ummkd-cache/plans/` (or under `$UMMKD_TRAIN_DIR/../plans`). */
export function plansDir(): string {
  return process.env.UMMKD_TRAIN_DIR ? join(process.env.UMMKD_TRAIN_DIR, "..", "plans") : join(REPO_ROOT, ".ummkd-cache", "plans");
}

/**
 * Write the plans to a file named by its content's digest (the same plans give the same file).
 * @returns the file's path
 */
export function writePlansFile(f: Omit<PlansFile, "schema">, dir = plansDir()): string {
  const body: PlansFile = { schema: PLANS_FILE_SCHEMA, ...f };
  const digest = createHash("sha256").update(stableStringify(body)).digest("hex").slice(0, 16);
  const path = join(dir, `${f.config.name}-${f.profile}-${digest}.json`);
  writeJsonAtomic(path, body);
  return path;
}

/**
 * Read and check a plans file: its schema, its config (the configs' one checker), and every plan's
 * hash against this code's `planHash`.
 * @throws DataError naming the file and what is wrong (for a stale plan: its hash and label)
 */
export function readPlansFile(path: string): PlansFile {
  let raw: Partial<PlansFile>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Partial<PlansFile>;
  } catch (e) {
    throw new DataError(path, `cannot read the plans file: ${(e as Error).message}`);
  }
  if (raw.schema !== PLANS_FILE_SCHEMA) throw new DataError(path, `plans file schema ${JSON.stringify(raw.schema)}, expected ${PLANS_FILE_SCHEMA}`);
  if (!EXPERIMENT_PROFILES.includes(raw.profile as ExperimentProfile)) throw new DataError(path, `profile ${JSON.stringify(raw.profile)}, expected one of ${EXPERIMENT_PROFILES.join(", ")}`);
  if (!Array.isArray(raw.plans) || raw.plans.length === 0) throw new DataError(path, "no plans in the file");
  const given = raw.config as (ExperimentConfig & { file?: string }) | undefined;
  const { file: from, ...rest } = given ?? ({} as Partial<ExperimentConfig>);
  const config = { ...validateConfig(rest, `${path} (config)`), ...(from ? { file: from } : {}) };
  for (const p of raw.plans) {
    const now = planHash(p.plan);
    if (now !== p.hash) throw new DataError(path, `plan ${p.hash} (${planLabel(p.plan)}) now hashes to ${now}: the code version changed since the file was written; expand the plans again`);
  }
  return { schema: PLANS_FILE_SCHEMA, config, profile: raw.profile as ExperimentProfile, force: raw.force === true, ...(raw.dataRoot ? { dataRoot: raw.dataRoot } : {}), plans: raw.plans };
}
