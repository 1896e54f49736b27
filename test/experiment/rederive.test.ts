/**
 * Re-derivation from the committed run records (issue #30): every committed number of
 * results/<notebook>/cpu/ is recomputed here from the run records in results/runs/ that its
 * run.json names, with the same pure derivation the notebook uses (lib/notebooks/artefacts), and
 * compared with the committed files:
 * - tidy.csv (the rows of the records, in order: fold, modality, case, structure, metric, value);
 * - every table CSV the derivation produces (the display tables Dice/ASSD/HD/HD95 "mean ± std",
 *   Tables III/IV's p-values, Table V/VI, Figure 6's numbers, learning curves, ...);
 * - the generated readings (notes) in run.json;
 * - each run's selectedStep in run.json, against the record and against the argmax of the
 *   record's own validation curve recomputed here (first step with the highest mean of the finite
 *   per-class pooled Dice of both modalities), so a committed number never comes from a step that
 *   was not the best one.
 * Any change to a step between a record and a committed number (rows, aggregation, pivot,
 * p-values, readings, the record decoding) that moves a committed number fails here.
 */
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as aq from "arquero";
import { artefact, NOTEBOOKS } from "../../lib/notebooks/artefacts/index.ts";
import { dataNote, tidyRowsOf } from "../../lib/notebooks/artefacts/common.ts";
import { decodeCacheJson } from "../../lib/experiment/cache.ts";
import { paperTable, type PaperRow, type PaperTable } from "../../lib/notebooks/paper.ts";
import { tableFileNames } from "../../lib/notebooks/results.ts";
import { readTidy } from "../../lib/experiment/tidy.ts";
import type { ExperimentConfig } from "../../lib/plan/config.ts";
import type { RunRecord } from "../../lib/experiment/runner.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface RunJson {
  params: { norm?: string; norms?: string[] };
  configs: ExperimentConfig[];
  runs: { config: string; key: string; selectedStep: number; steps: number; fold: number }[];
  notes: string[];
}

/** Independent argmax of a validation curve: first step with the highest mean of finite values. */
function bestStep(val: { step: number; diceCtPerClass: (number | null)[]; diceMriPerClass: (number | null)[] }[]): number | undefined {
  let best: number | undefined;
  let score = -Infinity;
  for (const r of val) {
    const xs = [...r.diceCtPerClass, ...r.diceMriPerClass].filter((x): x is number => typeof x === "number" && Number.isFinite(x));
    const s = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    if (s > score) {
      score = s;
      best = r.step;
    }
  }
  return best;
}

const committed = NOTEBOOKS.filter((n) => existsSync(join(ROOT, "results", n, "cpu", "run.json")));

describe("committed results exist to re-derive", () => {
  it("at least the two main tables have committed cpu results", () => {
    expect(committed).toEqual(expect.arrayContaining(["table1_cardiac", "table2_abdominal", "table3_4_pvalues"]));
  });
});

describe.each(committed.map((n) => [n]))("re-derivation of results/%s/cpu from results/runs/", (name) => {
  const dir = join(ROOT, "results", name, "cpu");
  const meta = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunJson;
  const art = artefact(name);
  const records = new Map(meta.runs.map((r) => [r.key, decodeCacheJson<RunRecord>(readFileSync(join(ROOT, "results", "runs", `${r.key}.json`), "utf8"))]));
  const runs = art.configs.map((c) => ({
    config: meta.configs.find((x) => x.name === c)!,
    runs: meta.runs.filter((r) => r.config === c).map((r) => ({ ...records.get(r.key)!, cached: true, from: "store" as const })),
  }));
  const paper: Partial<Record<PaperTable, PaperRow[]>> = {};
  for (const t of art.paper) paper[t] = paperTable(t);
  const out = art.derive({
    runs, paper,
    ...(meta.params.norm ? { norm: meta.params.norm as never } : {}),
    ...(meta.params.norms ? { norms: meta.params.norms as never } : {}),
    ...(art.loadExtras ? { extras: art.loadExtras(join(ROOT, "results", name)) } : {}),
  });

  it("every run's selectedStep is the record's and the argmax of its validation curve", () => {
    for (const r of meta.runs) {
      const rec = records.get(r.key)!;
      expect(rec.train.selectedStep, r.key).toBe(r.selectedStep);
      if (rec.plan.train.selection === "best-val-dice") expect(r.selectedStep, `${r.key}: best step of its validation curve`).toBe(bestStep(rec.val));
      else expect(r.selectedStep, r.key).toBe(rec.train.steps);
    }
  });

  it("tidy.csv holds the records' rows, with each run's fold", () => {
    const rows = tidyRowsOf(name, runs);
    const file = readTidy(join(dir, "tidy.csv"));
    expect(file.length).toBe(rows.length);
    const key = (r: { setting: string; norm: string; alpha: number; seed: number; fold: number; condition: string; modality: string; case: string; structure: string; metric: string }) =>
      [r.setting, r.norm, r.alpha, r.seed, r.fold, r.condition, r.modality, r.case, r.structure, r.metric].join("|");
    rows.forEach((r, k) => {
      const f = file[k]!;
      expect(key(f), `row ${k}`).toBe(key({ ...r, fold: r.fold ?? 0 }));
      if (Number.isNaN(r.value)) expect(f.value, `row ${k}`).toBeNaN();
      else expect(f.value, `row ${k} (${key(r)})`).toBeCloseTo(r.value, 6);
    });
    // the fold of every row is the fold of the run that produced it
    for (const e of runs) for (const rec of e.runs) for (const r of rec.rows) expect(r.fold ?? 0).toBe(rec.spec.fold ?? 0);
  });

  it("every derived table equals its committed CSV", () => {
    const names = tableFileNames(name, out.tables);
    // no committed table without a derivation, none derived without a committed file
    const files = (meta as unknown as { files: string[] }).files.filter((f) => f.endsWith(".csv") && f !== "tidy.csv" && f !== "summary.csv" && f !== "table.csv"); // table.csv: the numeric table of results.ts (citable.test.ts)
    expect([...names].sort()).toEqual(files.map((f) => f.replace(/\.csv$/, "")).sort());
    out.tables.forEach((t, k) => {
      const path = join(dir, `${names[k]}.csv`);
      expect(existsSync(path), path).toBe(true);
      expect(aq.from(t.rows).toCSV(), `${names[k]}.csv`).toBe(readFileSync(path, "utf8"));
    });
  });

  it("the generated readings (notes) are the committed ones", () => {
    const rows = tidyRowsOf(name, runs);
    expect(meta.notes[0]).toBe(dataNote(rows));
    // notes[1] is the run note (wall times of the process that derived it); then the derivation's readings
    expect(meta.notes.slice(2)).toEqual(out.notes);
  });
});
