/**
 * Executes every notebook headless at the `smoke` profile (Jupyter nbconvert + tslab kernel) and
 * fails on any error cell. Executed copies go to notebooks/executed/smoke/ (gitignored), results
 * to results/<notebook>/smoke/ (gitignored). Skips with a message when Jupyter or the tslab kernel
 * is missing (run `npm run setup`).
 *
 * Run alone: `npx vitest run test/notebooks` (a few minutes on 2 cores). Every run starts from an
 * empty run cache and training folder (so the notebooks really train); UMMKD_SMOKE_REUSE=1 reuses
 * the repository's .ummkd-cache/ instead (faster on a second run).
 */
import { describe, it, expect } from "vitest";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { executeNotebook } from "../../lib/notebooks/execute.ts";
import { NOTEBOOKS } from "../../lib/notebooks/notebook.ts";
import { REQUIRES } from "../requires.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function kernelAvailable(): string | null {
  const jupyter = existsSync("/usr/bin/jupyter") ? "/usr/bin/jupyter" : "jupyter";
  try {
    const out = execFileSync(jupyter, ["kernelspec", "list"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    return /\btslab\b/.test(out) ? null : "the tslab kernel is not registered (npm run setup)";
  } catch {
    return "Jupyter is not installed (npm run setup)";
  }
}

const why = kernelAvailable();
if (why) console.warn(`test/notebooks: skipped: ${why}`);

describe.skipIf(why !== null)(`${REQUIRES.notebooks} notebooks at the smoke profile`, () => {
  const env: Record<string, string> = {};
  const fresh = process.env.UMMKD_SMOKE_REUSE !== "1";
  if (fresh) {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-smoke-"));
    env.UMMKD_CACHE = join(dir, "runs");
    env.UMMKD_TRAIN_DIR = join(dir, "train");
  }
  for (const name of NOTEBOOKS) {
    it(name, { timeout: 600_000 }, async () => {
      const r = await executeNotebook(join(ROOT, "notebooks", `${name}.ipynb`), { outDir: join(ROOT, "notebooks", "executed", "smoke"), profile: "smoke", env });
      expect(r.errors.join("\n"), `${name} failed`).toBe("");
      expect(r.ok).toBe(true);
      // with a fresh cache the first notebook must have trained its runs (records written to the cache)
      if (fresh && name === NOTEBOOKS[0]) expect(readdirSync(env.UMMKD_CACHE!).filter((f) => f.endsWith(".json")).length).toBeGreaterThan(0);
    });
  }
});
