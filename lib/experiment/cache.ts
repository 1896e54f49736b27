/**
 * Run store and run cache: one JSON record per trained run (its complete plan, per-case metrics,
 * validation curves, sample slices and provenance; no weights), keyed by the plan's hash
 * (lib/experiment/plan.ts `planHash`). Re-running a notebook loads the stored runs instead of
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
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../util/atomic.ts";
import { checkPathSegment } from "../util/paths.ts";
export { CODE_VERSION, stableStringify } from "./plan.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

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

/** The stored or cached record of a plan hash (store first), or undefined. */
export function findRun<T>(hash: string): { record: T; where: "store" | "cache" } | undefined {
  const st = cacheGet<T>(hash, storeDir());
  if (st) return { record: st, where: "store" };
  const c = cacheGet<T>(hash, cacheDir());
  return c ? { record: c, where: "cache" } : undefined;
}

/** Remove every cached run (or only those whose key is listed). */
export function cacheClear(keys?: string[], dir = cacheDir()): number {
  if (!existsSync(dir)) return 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && (!keys || keys.includes(f.slice(0, -5))));
  for (const f of files) rmSync(join(dir, f), { force: true });
  return files.length;
}
