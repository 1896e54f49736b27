/**
 * Run cache: one JSON file per training run, keyed by a hash of everything that determines the
 * run's result (run spec, resolved profile, data source, CODE_VERSION and the package version).
 * Re-running a notebook loads cached runs instead of retraining; `force` retrains. Runs shared
 * by notebooks (e.g. Table I's and Table III's) are trained once.
 *
 * Location: `$UMMKD_CACHE` or `<repo>/.ummkd-cache/runs/` (gitignored).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../util/atomic.ts";

/**
 * Bump when a change in lib/ changes results for the same config (invalidates every cached run),
 * e.g. the synthetic phantoms, preprocessing, the trainer or the metrics.
 */
export const CODE_VERSION = "ummkd-exp-3"; // 3: non-finite metrics kept through the cache (were null)

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function cacheDir(): string {
  return process.env.UMMKD_CACHE ?? join(ROOT, ".ummkd-cache", "runs");
}

/** JSON with object keys sorted at every level (so equal values hash equally). */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(",")}}`;
}

let pkgVersion: string | undefined;
function packageVersion(): string {
  if (pkgVersion === undefined) {
    try {
      pkgVersion = String(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    } catch {
      pkgVersion = "unknown";
    }
  }
  return pkgVersion;
}

/** 16-hex-digit key of a run spec (plus CODE_VERSION and the package version). */
export function runKey(spec: unknown): string {
  return createHash("sha256")
    .update(stableStringify({ spec, code: CODE_VERSION, version: packageVersion() }))
    .digest("hex")
    .slice(0, 16);
}

export function cachePath(key: string, dir = cacheDir()): string {
  return join(dir, `${key}.json`);
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

/** Remove every cached run (or only those whose key is listed). */
export function cacheClear(keys?: string[], dir = cacheDir()): number {
  if (!existsSync(dir)) return 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && (!keys || keys.includes(f.slice(0, -5))));
  for (const f of files) rmSync(join(dir, f), { force: true });
  return files.length;
}
