/**
 * Where the real data live: `--data DIR`, else the `UMMKD_DATA` environment variable, else
 * `../shared/data/real` next to the repository (the project's read-only copy; never copied into
 * the repository, see its README for the licence terms).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DataError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/repo-root.ts";

/** The repository root: lib/util/repo-root.ts (re-exported here for the public API). */
export { REPO_ROOT };

/** The default data root next to the repository, whether or not it exists. */
export const DEFAULT_DATA_ROOT = resolve(REPO_ROOT, "..", "shared", "data", "real");

/**
 * Resolves the data root.
 * @param flag the `--data` value, if given
 * @throws DataError if the resolved folder does not exist
 */
export function resolveDataRoot(flag?: string): string {
  const dir = flag ?? process.env.UMMKD_DATA ?? DEFAULT_DATA_ROOT;
  if (!existsSync(dir)) {
    throw new DataError(dir, `data root not found (set --data DIR or UMMKD_DATA; default is ${DEFAULT_DATA_ROOT})`);
  }
  return resolve(dir);
}

/** The data root if one is available, else undefined (for tests and notebooks that skip). */
export function findDataRoot(): string | undefined {
  const dir = process.env.UMMKD_DATA ?? DEFAULT_DATA_ROOT;
  return existsSync(dir) ? resolve(dir) : undefined;
}
