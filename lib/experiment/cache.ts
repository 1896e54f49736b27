/**
 * Run store and run cache: one JSON record per trained run (its complete plan, per-case metrics,
 * validation curves, sample slices and provenance; no weights), keyed by the plan's hash
 * (lib/plan/plan.ts `planHash`). Re-running a notebook loads the stored runs instead of
 * retraining; `force` retrains. Runs shared by notebooks (e.g. Table II's and Table VI's) are
 * trained once.
 *
 * - The store, `results/runs/<hash>.json` (committed): the runs behind the committed results of
 *   the `cpu` (and `paper`) profile, written only by runs of a notebook's default grid, so that
 *   anyone can re-derive every table without training, and a long profile can be computed over
 *   several sittings and machines.
 * - The cache, `$UMMKD_CACHE` or `<repo>/.ummkd-cache/runs/` (gitignored): every other run
 *   (smoke, quick, tweaked parameters).
 * Lookup reads the store first, then the cache.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import { checkPathSegment } from "../util/paths.ts";
import { DataError } from "../util/errors.ts";
import { SEAL_FILE, checkSealed, validateRunRecord } from "./record-check.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";
export { CODE_VERSION, stableStringify } from "../plan/plan.ts";


export function cacheDir(): string {
  return process.env.UMMKD_CACHE ?? join(ROOT, ".ummkd-cache", "runs");
}

/** The committed run store (`$UMMKD_RUN_STORE` or `<repo>/results/runs`). */
export function storeDir(): string {
  return process.env.UMMKD_RUN_STORE ?? join(ROOT, "results", "runs");
}

/** The file of a run record: `<dir>/<key>.json`; the key (a plan hash, the run id) must be one safe path segment. */
export function cachePath(key: string, dir = cacheDir()): string {
  return join(dir, `${checkPathSegment("run id", key)}.json`);
}

/**
 * JSON cannot hold Infinity or NaN (JSON.stringify writes null), but run records do: a structure
 * missing from a prediction has HD = Infinity, one absent from both sides NaN. They are stored as
 * `{"$nonfinite": "Infinity" | "-Infinity" | "NaN"}` and revived on load.
 */
const NONFINITE = "$nonfinite";
function encodeNonFinite(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? { [NONFINITE]: String(v) } : v;
}
function decodeNonFinite(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === NONFINITE && (o[NONFINITE] === "Infinity" || o[NONFINITE] === "-Infinity" || o[NONFINITE] === "NaN")) return Number(o[NONFINITE]);
  }
  return v;
}

/** JSON text of a cache record, non-finite numbers kept (see {@link decodeCacheJson}). */
export function encodeCacheJson(value: unknown): string {
  return JSON.stringify(value, encodeNonFinite, 2) + "\n";
}

/** Parse a cache record written by {@link encodeCacheJson}. */
export function decodeCacheJson<T>(text: string): T {
  return JSON.parse(text, decodeNonFinite) as T;
}

/** The cached value for `key`, or undefined. */
export function cacheGet<T>(key: string, dir = cacheDir()): T | undefined {
  const p = cachePath(key, dir);
  if (!existsSync(p)) return undefined;
  try {
    return decodeCacheJson<T>(readFileSync(p, "utf8"));
  } catch {
    return undefined; // unreadable entry: treated as a miss and overwritten
  }
}

/** Store `value` under `key` (atomic write). */
export function cachePut(key: string, value: unknown, dir = cacheDir()): string {
  const p = cachePath(key, dir);
  writeFileAtomic(p, encodeCacheJson(value));
  return p;
}

const warned = new Set<string>();
function warnOnce(file: string, msg: string): void {
  if (warned.has(file)) return;
  warned.add(file);
  console.warn(`[ummkd] warning: ${file}: ${msg}`);
}

/**
 * A store record, checked before use: its bytes against the store's seal (SHA256SUMS), then its
 * JSON, schema and value ranges (lib/experiment/record-check.ts). An unsealed one is used with a
 * warning (see `ummkd runs seal`).
 * @throws DataError naming the file when it was edited or truncated, or is not a valid record
 */
export function loadStoreRecord<T>(hash: string, dir = storeDir()): T {
  const file = cachePath(hash, dir);
  const text = readFileSync(file, "utf8");
  const sealed = checkSealed(dir, hash, text);
  let rec: unknown;
  try {
    rec = decodeCacheJson(text);
  } catch (e) {
    throw new DataError(file, `not a readable run record (truncated or corrupt JSON: ${(e as Error).message}); it is not retrained or replaced without --force: restore it (git checkout -- <file>) or retrain with --force`);
  }
  validateRunRecord(rec, hash, file);
  if (sealed === "unsealed") warnOnce(file, `not in ${join(dir, SEAL_FILE)}: used after its schema check, but committed results are not replaced from it until it is sealed (node bin/ummkd.js runs seal)`);
  return rec as T;
}

/**
 * The stored or cached record of a plan hash (store first), or undefined. Both are checked before
 * use, and a bad one is an error naming it, never a silent retrain: a store record by
 * {@link loadStoreRecord} (edited, truncated or invalid); a cache record that is unreadable or
 * invalid (our writes are atomic, so it was damaged or edited afterwards) is left in place for the
 * user to inspect, and the error says how to go on: delete it, or `--force` (which retrains
 * without reading it). A retrain can take an hour and a half (Table II), so it is never started
 * behind a warning.
 * @throws DataError naming the record's file
 */
export function findRun<T>(hash: string): { record: T; where: "store" | "cache" } | undefined {
  if (existsSync(cachePath(hash, storeDir()))) return { record: loadStoreRecord<T>(hash), where: "store" };
  const file = cachePath(hash, cacheDir());
  if (!existsSync(file)) return undefined;
  try {
    const rec = decodeCacheJson<T>(readFileSync(file, "utf8"));
    validateRunRecord(rec, hash, file);
    return { record: rec, where: "cache" };
  } catch (e) {
    const why = e instanceof DataError ? e.message.slice(file.length + 2) : `not a readable run record (truncated or corrupt JSON: ${(e as Error).message})`;
    throw new DataError(file, `${why}; the run is not trained again over it without --force: delete the file (rm '${file}') or rerun with --force to train the run again`);
  }
}

/** Remove every cached run (or only those whose key is listed). */
export function cacheClear(keys?: string[], dir = cacheDir()): number {
  if (!existsSync(dir)) return 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && (!keys || keys.includes(f.slice(0, -5))));
  for (const f of files) rmSync(join(dir, f), { force: true });
  return files.length;
}
