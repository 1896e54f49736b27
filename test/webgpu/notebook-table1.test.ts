/**
 * Table I at the `smoke` profile through the notebook path (Jupyter nbconvert + tslab kernel, the
 * notebook's training children) on the webgpu engine, against the same notebook on the native
 * engine (cpu where the addon is not built): every run record says it trained on webgpu and names
 * the adapter, and its test Dice per case and structure matches the reference engine's record of
 * the same plan. Both start from empty run caches. On llvmpipe the webgpu notebook takes minutes
 * (530 s measured beside two trainings; shader compilation on the CPU dominates the 2-step runs).
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { executeNotebook } from "../../lib/notebooks/execute.ts";
import { releaseWebgpu } from "../../lib/engine/index.ts";
import { loadNative } from "../../lib/engine/native/index.ts";
import { REQUIRES } from "../requires.ts";
import { probeWebgpu } from "./helpers.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wg = await probeWebgpu();
releaseWebgpu();
const reference = (await loadNative()).ok ? "native" : "cpu";

function kernelAvailable(): boolean {
  try {
    const out = execFileSync(existsSync("/usr/bin/jupyter") ? "/usr/bin/jupyter" : "jupyter", ["kernelspec", "list"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    return /\btslab\b/.test(out);
  } catch {
    return false;
  }
}

/** Dice points a record may differ by from the reference engine's (measured: 0 on llvmpipe). */
const DICE_TOL = 0.5;

type Rec = { provenance: { backend: string; adapter?: { device: string; software: boolean } }; rows: { case: string; structure: string; metric: string; value: number }[] };

async function runNotebook(backend: string): Promise<Map<string, Rec>> {
  const dir = mkdtempSync(join(tmpdir(), `ummkd-webgpu-nb-${backend}-`));
  const env = { UMMKD_BACKEND: backend, UMMKD_CACHE: join(dir, "runs"), UMMKD_TRAIN_DIR: join(dir, "train") };
  const r = await executeNotebook(join(ROOT, "notebooks", "table1_cardiac.ipynb"), { outDir: join(dir, "executed"), profile: "smoke", env });
  expect(r.errors.join("\n"), `table1_cardiac on ${backend} failed`).toBe("");
  expect(r.ok).toBe(true);
  const files = readdirSync(env.UMMKD_CACHE).filter((f) => f.endsWith(".json"));
  return new Map(files.map((f) => [f, JSON.parse(readFileSync(join(env.UMMKD_CACHE, f), "utf8")) as Rec]));
}

describe.skipIf(!wg.ok || !kernelAvailable())(`${REQUIRES.webgpu} ${REQUIRES.notebooks} Table I (smoke) through the notebook on webgpu`, () => {
  it(`trains every setting on webgpu; Dice as on ${reference}`, { timeout: 1_500_000 }, async () => {
    const got = await runNotebook("webgpu");
    const ref = await runNotebook(reference);
    expect(got.size).toBe(7);
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    let worst = 0;
    for (const [plan, rec] of got) {
      expect(rec.provenance.backend).toBe("webgpu");
      expect(rec.provenance.adapter?.device).toBeTruthy();
      const want = new Map(ref.get(plan)!.rows.filter((r) => r.metric === "dice").map((r) => [`${r.case}|${r.structure}`, r.value]));
      for (const r of rec.rows.filter((x) => x.metric === "dice")) {
        const w = want.get(`${r.case}|${r.structure}`)!;
        if (Number.isNaN(w)) expect(r.value).toBeNaN();
        else worst = Math.max(worst, Math.abs(r.value - w));
      }
    }
    console.log(`[webgpu notebook] Table I smoke: 7 records on webgpu; worst |Dice - ${reference}| ${worst} points`);
    expect(worst).toBeLessThanOrEqual(DICE_TOL);
  });
});
