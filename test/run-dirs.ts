import { afterEach, beforeEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const VARS = ["UMMKD_CACHE", "UMMKD_RUN_STORE", "UMMKD_TRAIN_DIR"] as const;
const SUB = { UMMKD_CACHE: "cache", UMMKD_RUN_STORE: "store", UMMKD_TRAIN_DIR: "train" } as const;

/** Each test of the enclosing describe gets its own cache, run store and train folders (restored after); returns the current temp folder. */
export function isolatedRunDirs(prefix: string): () => string {
  let dir = "";
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    for (const k of VARS) process.env[k] = join(dir, SUB[k]);
  });
  afterEach(() => {
    for (const k of VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
