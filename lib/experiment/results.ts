/**
 * Results layout, one folder per notebook and profile (the profile is also a column):
 *
 *   results/<notebook>/<profile>/tidy.csv      tidy long rows (lib/experiment/tidy.ts)
 *                               summary.csv   mean ± std (n - 1), n per setting/norm/alpha/condition/modality/structure/metric
 *                               table<k>.csv  each table shown in the notebook
 *                               <figure>.svg  each figure (deterministic SVG)
 *                               run.json      provenance (git commit, backend, versions, hardware), configs,
 *                                             params, seeds, runs (cache keys, steps, wall time), start/end
 *
 * The folder is replaced atomically (written to a temp sibling, then renamed). Only `cpu` (and
 * `paper`) folders are committed; `smoke` and `quick` folders are gitignored, so a casual run
 * never overwrites committed results.
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { writeDirAtomic } from "../util/atomic.ts";
import { provenance } from "../util/provenance.ts";
import { toCsv } from "./csv.ts";
import type { ExperimentResult } from "./runner.ts";
import type { SummaryRow } from "./summary.ts";
import { tidyToCsv, type TidyRow } from "./tidy.ts";

export const SUMMARY_COLUMNS = ["setting", "norm", "alpha", "condition", "modality", "structure", "metric", "mean", "std", "n"] as const;

/** Folder of a notebook's results at a profile. */
export function resultsDir(root: string, notebook: string, profile: string): string {
  return join(root, notebook, profile);
}

/** What a results folder holds: a notebook's (or a config's) runs, rows, summary, tables, figures and notes. */
export interface NotebookResults {
  /** Notebook or config name (the folder's name). */
  name: string;
  profile: string;
  /** The parameters it ran with (copied into run.json). */
  params: object;
  experiments: ExperimentResult[];
  rows: TidyRow[];
  summary: SummaryRow[];
  tables: { csv: string }[];
  figures: { name: string; svg: string }[];
  notes: string[];
}

/** Write every results file of a notebook run; returns the written paths. */
export async function writeNotebookResults(run: NotebookResults, root: string): Promise<string[]> {
  const dir = resultsDir(root, run.name, run.profile);
  const files: string[] = [];
  const runs = run.experiments.flatMap((e) =>
    e.runs.map((r) => ({
      config: e.config.name, key: r.key, setting: r.spec.setting, norm: r.spec.norm, alpha: r.spec.alpha, seed: r.spec.seed,
      dataSource: r.dataSource, steps: r.train.steps, trainWallS: r.train.wallS, evalWallS: r.train.evalS, cached: r.cached ?? false,
      trainedAt: r.provenance.createdAt, trainedAtCommit: r.provenance.git.commit, trainedDirty: r.provenance.git.dirty, backend: r.provenance.backend,
    })),
  );
  const meta = {
    notebook: run.name,
    profile: run.profile,
    params: run.params,
    provenance: provenance(run.experiments[0]?.runs[0]?.spec.seed ?? null),
    seeds: [...new Set(runs.map((r) => r.seed))],
    startedAt: run.experiments.map((e) => e.startedAt).sort()[0],
    endedAt: new Date().toISOString(),
    wallS: run.experiments.reduce((a, e) => a + e.wallS, 0),
    configs: run.experiments.map((e) => ({ ...e.config, profileResolved: e.runs[0]?.spec.spec })),
    runs,
    notes: run.notes,
    files: [] as string[],
  };
  const put = (tmp: string, name: string, text: string) => {
    writeFileSync(join(tmp, name), text);
    files.push(join(dir, name));
    meta.files.push(name);
  };
  // writeDirAtomic: the whole folder appears at once (files inside the temp folder need no own rename)
  await writeDirAtomic(dir, (tmp) => {
    put(tmp, "tidy.csv", tidyToCsv(run.rows));
    put(tmp, "summary.csv", toCsv(run.summary as unknown as Record<string, number | string>[], SUMMARY_COLUMNS));
    run.tables.forEach((t, k) => put(tmp, `table${k + 1}.csv`, t.csv));
    for (const f of run.figures) put(tmp, `${f.name}.svg`, f.svg);
    writeFileSync(join(tmp, "run.json"), JSON.stringify(meta, null, 2) + "\n");
    files.push(join(dir, "run.json"));
  });
  return files;
}
