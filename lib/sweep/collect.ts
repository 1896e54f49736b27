/**
 * `ummkd sweep collect`: make a sweep's runs visible to the notebooks of this environment. A
 * notebook looks a plan up in `$UMMKD_RUN_STORE`, then `$UMMKD_CACHE` (lib/experiment/cache.ts):
 * when those are the sweep's folders there is nothing to do; otherwise every stored run of the
 * sweep missing here is copied (atomically) into this environment's store (runs the sweep stored
 * in its store) or cache (the others).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { cachePath, cacheDir, storeDir } from "../experiment/cache.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { readManifest } from "./manifest.ts";

export interface CollectResult {
  /** The sweep's folders are this environment's: notebooks read them directly. */
  direct: boolean;
  copied: string[];
  /** Already present here. */
  present: number;
  /** Not yet stored by the sweep. */
  missing: string[];
}

/**
 * Copy the sweep's stored runs into this process's run store / cache (as the environment sets
 * them now, before any sweep folder is applied).
 */
export function collectSweep(dir: string, target = { store: resolve(storeDir()), cache: resolve(cacheDir()) }): CollectResult {
  const m = readManifest(dir);
  const direct = m.dirs.store === target.store && m.dirs.cache === target.cache;
  const res: CollectResult = { direct, copied: [], present: 0, missing: [] };
  for (const e of m.plans) {
    const src = [cachePath(e.hash, m.dirs.store), cachePath(e.hash, m.dirs.cache)].find(existsSync);
    if (!src) {
      res.missing.push(e.hash);
      continue;
    }
    if (existsSync(cachePath(e.hash, target.store)) || existsSync(cachePath(e.hash, target.cache))) {
      res.present++;
      continue;
    }
    const dest = cachePath(e.hash, src === cachePath(e.hash, m.dirs.store) ? target.store : target.cache);
    writeFileAtomic(dest, readFileSync(src));
    res.copied.push(dest);
  }
  return res;
}
