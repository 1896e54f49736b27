/**
 * The repository root, computed in one place: every path into the checkout (data/configs,
 * results/, .ummkd-cache/, bin/ummkd.js, node_modules/) is built from it.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this file: lib/util/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A path inside the repository: `repoFile("data", "configs", "x.json")`. */
export function repoFile(...parts: string[]): string {
  return resolve(REPO_ROOT, ...parts);
}
