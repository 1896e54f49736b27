/**
 * The committed cpu results are self-consistent: each summary.csv is what summarizeTidy derives
 * from the tidy.csv beside it, and run.json names the commit and the runs.
 */
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTidy, TIDY_COLUMNS } from "../../lib/experiment/tidy.ts";
import { summarizeTidy } from "../../lib/experiment/summary.ts";
import { readCsv, num } from "../../lib/experiment/csv.ts";
import { NOTEBOOKS } from "../../lib/notebooks/notebook.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe.each(NOTEBOOKS.map((n) => [n]))("committed results/%s/cpu", (name) => {
  const dir = join(ROOT, "results", name, "cpu");
  it.skipIf(!existsSync(dir))("summary.csv is derived from tidy.csv; run.json has provenance", () => {
    const rows = readTidy(join(dir, "tidy.csv"));
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.keys(rows[0]!)).toEqual([...TIDY_COLUMNS]);
    expect(new Set(rows.map((r) => r.profile))).toEqual(new Set(["cpu"]));
    // every value is a number; NaN / Infinity spelled out (an empty cell would be a metric lost on the way)
    const raw = readCsv(join(dir, "tidy.csv"));
    expect(raw.filter((r) => r.value === "").length, "empty value cells").toBe(0);
    const derived = summarizeTidy(rows);
    const stored = readCsv(join(dir, "summary.csv"));
    expect(stored).toHaveLength(derived.length);
    stored.forEach((s, k) => {
      const d = derived[k]!;
      expect([s.setting, s.norm, s.modality, s.structure, s.metric, s.condition]).toEqual([d.setting, d.norm, d.modality, d.structure, d.metric, d.condition]);
      expect(num(s.mean)).toBeCloseTo(d.mean, 9);
      if (Number.isFinite(d.std)) expect(num(s.std)).toBeCloseTo(d.std, 9);
      expect(num(s.n)).toBe(d.n);
    });
    const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    expect(run.profile).toBe("cpu");
    expect(run.provenance.git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(run.runs.length).toBeGreaterThan(0);
    for (const r of run.runs) expect(r.trainedAtCommit).toMatch(/^[0-9a-f]{40}$/);
  });
});
