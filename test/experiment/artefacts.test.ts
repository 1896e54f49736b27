/**
 * The artefact derivations (lib/notebooks/artefacts/) on hand-made run records with known
 * numbers, the registry, and a regeneration of the committed cpu tables from the committed
 * tidy.csv files (the derivations must reproduce them byte for byte).
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";
import { ARTEFACTS, artefact, NOTEBOOKS, type ArtefactRuns } from "../../lib/notebooks/artefacts/index.ts";
import { loadConfig, type ExperimentConfig } from "../../lib/plan/config.ts";
import { renderTable } from "../../lib/notebooks/notebook.ts";
import { tableFileNames } from "../../lib/notebooks/results.ts";
import { paperTable, type PaperRow } from "../../lib/notebooks/paper.ts";
import type { RunRecord, ValRecord } from "../../lib/experiment/runner.ts";
import { readTidy, type TidyRow } from "../../lib/experiment/tidy.ts";
import { OptionError } from "../../lib/util/errors.ts";

type Row = Omit<TidyRow, "notebook">;
const cfg = (o: Partial<ExperimentConfig>) => ({ name: "x", artefact: "Table I", norms: ["batch"], ...o }) as unknown as ExperimentConfig;

function record(setting: string, alpha: number, rows: Partial<Row>[], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    key: `${setting}-${alpha}`,
    plan: {} as RunRecord["plan"],
    spec: { setting, alpha, seed: 0, norm: "batch" } as RunRecord["spec"],
    dataSource: "synthetic + synthetic",
    rows: rows.map((r) => ({ profile: "cpu", data_source: "synthetic", condition: "clean", setting, norm: "batch", alpha, seed: 0, fold: 0, modality: "ct", case: "c", structure: "LVM", metric: "dice", value: NaN, ...r })),
    val: [],
    samples: [],
    train: { steps: 10, wallS: 1, evalS: 1, lastLoss: null, selectedStep: 10, selectedValDice: null },
    provenance: { backend: "cpu" } as RunRecord["provenance"],
    ...extra,
  };
}

/** The same record, tested in cross-validation fold `fold`. */
const withFold = (r: RunRecord, fold: number): RunRecord => ({ ...r, spec: { ...r.spec, fold } });

/** Dice rows of one case: `lvm` for LVM, `other` for LAC, LVC, AA. */
function cardiacCase(modality: string, id: string, lvm: number, other: number): Partial<Row>[] {
  return ["LVM", "LAC", "LVC", "AA"].map((structure) => ({ modality, case: id, structure, value: structure === "LVM" ? lvm : other }));
}

const paperRow = (setting: string, modality: string, structure: string, metric: string, stat: string, value: number): PaperRow =>
  ({ source_table: "t", setting, norm: "batch", modality, structure, metric, stat, value, unit: "%" });

describe("artefact derivations on hand-made runs", () => {
  it("Table I: mean ± std (n - 1) per structure, per-case means, ours beside the paper, the reading", () => {
    const ind = record("individual", 0, [...cardiacCase("ct", "c1", 50, 50), ...cardiacCase("ct", "c2", 50, 50), ...cardiacCase("mri", "m1", 50, 50), ...cardiacCase("mri", "m2", 50, 50)]);
    // ours: CT LVM 80, 100 -> 90.0 ± 14.1; CT case means (80+150)/4 = 57.5, 62.5 -> 60.0 ± 3.5; overall (57.5+62.5+50+50)/4 = 55 ± sqrt((2.5² + 7.5² + 5² + 5²)/3) = 6.1
    const ours = record("ours", 0.5, [...cardiacCase("ct", "c1", 80, 50), ...cardiacCase("ct", "c2", 100, 50), ...cardiacCase("mri", "m1", 50, 50), ...cardiacCase("mri", "m2", 50, 50)]);
    const paper = [paperRow("ours", "ct", "LVM", "dice", "mean", 88.5), paperRow("ours", "ct", "LVM", "dice", "std", 3.1), paperRow("individual", "overall", "mean", "dice", "mean", 86.6), paperRow("ours", "overall", "mean", "dice", "mean", 88.8)];
    const out = ARTEFACTS.table1_cardiac.derive({ runs: [{ config: cfg({ task: "cardiac" }), runs: [ind, ours] }], paper: { table1_cardiac: paper } });
    expect(out.tables).toHaveLength(4);
    const dice = out.tables[0]!.rows;
    expect(dice.map((r) => `${r.setting}/${r.source}`)).toEqual(["individual/ours", "individual/paper", "ours/ours", "ours/paper"]);
    expect(dice[2]).toMatchObject({ "CT LVM": "90.0 ± 14.1", "CT LAC": "50.0 ± 0.0", "CT mean": "60.0 ± 3.5", "MRI mean": "50.0 ± 0.0", "overall mean": "55.0 ± 6.1" });
    expect(dice[3]).toMatchObject({ "CT LVM": "88.5 ± 3.1", "CT LAC": "–" });
    expect(out.tables[1]!.rows[0]!["CT LVM"]).toBe("–"); // no ASSD rows
    expect(out.figures.map((f) => f.name)).toEqual(["table1_cardiac_dice"]);
    // the paper's per-case test: ours - individual = 7.5, 12.5, 0, 0: mean 5, sd sqrt(112.5/3) = 6.124,
    // t = 5 / (6.124/2) = 1.633 with 3 df -> two-sided p = 0.2010 (t-distribution table / scipy.stats.ttest_rel);
    // one trained model per setting: no test over models, and the reading says so
    expect(out.notes).toHaveLength(6);
    expect(out.notes.slice(0, 2)).toEqual([
      "Measured ordering (overall mean Dice %, batch norm): ours 55.0 > individual 50.0.",
      "Paper's ordering: ours 88.8 > individual 86.6.",
    ]);
    expect(out.notes[2]).toMatch(/^Ours vs each setting, unit = trained model \(1 per comparison: 1 fold × 1 seed\); .*Holm over 1 comparison\).*\(4 cases, ignores that the cases of a fold share one model\): individual \+5\.0 \[[+-]\d+\.\d, \+\d+\.\d\], p_models = n\/a \(Holm n\/a\), p_cases = 0\.2010\.$/);
    expect(out.notes[3]).toMatch(/^With one trained model per setting there is no test over models/);
    expect(out.notes.slice(4)).toEqual([
      "Reading (batch norm, overall mean Dice): best setting — ours: ours (55.0%), paper: ours (88.8%).",
      "  ours − individual: ours +5.0 points, paper +2.2 points.",
    ]);
  });

  it("Tables III/IV: Ours against each setting, model-level columns beside the paper's per-case paired t-test (scipy: p = 0.0377)", () => {
    const ours = record("ours", 0.5, [60, 70, 80].map((value, k) => ({ case: `c${k}`, value })));
    const ind = record("individual", 0, [50, 65, 70].map((value, k) => ({ case: `c${k}`, value })));
    const out = ARTEFACTS.table3_4_pvalues.derive({
      runs: [{ config: cfg({ task: "cardiac" }), runs: [ours, ind] }, { config: cfg({ task: "abdominal" }), runs: [] }],
      paper: { table3_pvalues_cardiac: [{ ...paperRow("individual", "overall", "mean", "dice", "p", 0.02) }] },
    });
    const t3 = out.tables[0]!.rows;
    // one model per setting: no model-level test; the per-case differences 10, 5, 10 bound every bootstrap mean to [5, 10]
    expect(t3).toHaveLength(1);
    expect(t3[0]).toMatchObject({ table: "Table III (cardiac)", metric: "dice", setting: "individual", "models (folds × seeds)": "1 (1 × 1)", cases: 3, "ours − setting": 8.333, "p (models)": "n/a", "p (models, Holm)": "n/a", "p (cases, paper's test)": 0.0377, "paper p": 0.02 });
    expect(t3[0]!["95% CI low"]).toBeGreaterThanOrEqual(5);
    expect(t3[0]!["95% CI high"]).toBeLessThanOrEqual(10);
    expect(out.tables[1]!.rows).toEqual([]);
    expect(out.notes.at(-1)).toContain("over trained models (Holm): 0 of 1; the paper's per-case test on our runs: 1 of 1; the paper: 1 of 1");
  });

  it("Table VI: mean over organs on the artefact case vs the clean CT cases vs the paper", () => {
    const organs = (id: string, condition: string, v: number) => ["liver", "spleen", "R-kdy", "L-kdy"].map((structure) => ({ case: id, condition, structure, value: v }));
    const ours = record("ours", 0.5, [...organs("ct1-artefacts", "artefacts", 60), ...organs("ct1", "clean", 80), ...organs("ct2", "clean", 90), ...organs("m1", "clean", 10).map((r) => ({ ...r, modality: "mri" }))]);
    const out = ARTEFACTS.table6_outlier.derive({ runs: [{ config: cfg({ task: "abdominal" }), runs: [ours] }], paper: { table6_outlier: [paperRow("ours", "ct", "mean", "dice", "mean", 81.1)] } });
    expect(out.tables[0]!.rows.slice(0, 3)).toEqual([
      { metric: "dice", source: "ours: artefact case", ours: "60.0" },
      { metric: "dice", source: "ours: clean CT test cases", ours: "85.0" },
      { metric: "dice", source: "paper: outlier case", ours: "81.1" },
    ]);
    expect(out.tables[0]!.rows[3]).toEqual({ metric: "assd", source: "ours: artefact case", ours: "–" });
    expect(out.figures).toEqual([]); // no sample slices
  });

  it("Table VI over cross-validation folds: one artefact case per fold (mean ± std over them), one figure row per fold with its own ground truth", () => {
    const organs = (id: string, condition: string, v: number) => ["liver", "spleen", "R-kdy", "L-kdy"].map((structure) => ({ case: id, condition, structure, value: v }));
    const slice = (id: string, v: number) => ({ modality: "ct", case: id, z: 0, width: 2, height: 2, image: [0, 1, 2, 3], label: [0, 1, 1, 0], pred: [0, v, v, 0] });
    const run = (setting: string, fold: number, art: string, v: number) =>
      withFold(record(setting, 0, [...organs(art, "artefacts", v), ...organs(art.replace(/-artefacts$/, ""), "clean", 80)], { samples: [slice(art, 1), slice(art.replace(/-artefacts$/, ""), 1)] }), fold);
    // fold 0's artefact case at 60, fold 1's at 40: 50.0 ± 14.1 (sample std, n - 1)
    const runs = [run("individual", 0, "3-artefacts", 60), run("ours", 0, "3-artefacts", 60), run("individual", 1, "5-artefacts", 40), run("ours", 1, "5-artefacts", 40)];
    const out = ARTEFACTS.table6_outlier.derive({ runs: [{ config: cfg({ task: "abdominal" }), runs }], paper: {} });
    expect(out.tables[0]!.rows[0]).toEqual({ metric: "dice", source: "ours: artefact cases (one per fold, 2)", individual: "50.0 ± 14.1", ours: "50.0 ± 14.1" });
    expect(out.tables[0]!.rows[1]).toEqual({ metric: "dice", source: "ours: clean CT test cases", individual: "80.0", ours: "80.0" });
    const svg = (out.figures[0] as { svg: string }).svg;
    // two rows (one per fold), each: ground truth + the two settings
    expect(svg).toContain(">fold 0<");
    expect(svg).toContain("ground truth (CT 3 + artefacts)");
    expect(svg).toContain("ground truth (CT 5 + artefacts)");
    expect(svg.match(/ground truth/g)?.length).toBe(2);
  });

  it("Figures 4/5 over cross-validation folds: every panel from the first fold", () => {
    // each fold's slices look different (image and prediction), so a panel from the wrong fold changes the SVG
    const slice = (m: string, id: string, fold: number) => ({ modality: m, case: id, z: 0, width: 2, height: 2, image: fold ? [3, 2, 1, 0] : [0, 1, 2, 3], label: [0, 1, 1, 0], pred: fold ? [1, 0, 0, 1] : [0, 1, 0, 0] });
    const run = (setting: string, fold: number) =>
      withFold(record(setting, 0, [], { samples: [slice("ct", `ct-f${fold}`, fold), slice("mri", `mri-f${fold}`, fold)] }), fold);
    const cardiac = { config: cfg({ task: "cardiac" }), runs: [run("ours", 0)] };
    // fold 1 listed first: the figure must still take fold 0
    const abdominal = { config: cfg({ task: "abdominal" }), runs: [run("ours", 1), run("individual", 1), run("ours", 0), run("individual", 0)] };
    const out = ARTEFACTS.figure4_5_qualitative.derive({ runs: [cardiac, abdominal], paper: {} });
    const svg = (out.figures[1] as { svg: string }).svg;
    expect(out.notes).toContain("figure5_abdominal: the runs of cross-validation fold 0 (every panel the same case).");
    const fold0Only = ARTEFACTS.figure4_5_qualitative.derive({ runs: [cardiac, { ...abdominal, runs: abdominal.runs.slice(2) }], paper: {} });
    expect(svg).toBe((fold0Only.figures[1] as { svg: string }).svg);
  });

  it("Figures 7 and 8: first/last validation KD, alignment |q^a - q^b| and the pooled validation Dice", () => {
    const q1 = [[1, 0], [0, 1]];
    const q2 = [[0.5, 0.5], [0, 1]];
    const v = (step: number, kd: number): ValRecord => ({ type: "val", step, kd, diceCt: 0.7, diceMri: 0.6, diceCtPerClass: [0.7], diceMriPerClass: [0.6], segCt: 1, segMri: 1, qCt: q1, qMri: q2 });
    const run = record("ours", 0.5, [], { val: [v(10, 0.5), v(20, 0.25)] });
    const runs: ArtefactRuns[] = [{ config: cfg({ task: "abdominal" }), runs: [run] }];
    const f7 = ARTEFACTS.figure7_kd_curve.derive({ runs, paper: {} });
    expect(f7.tables[0]!.rows).toEqual([{ alpha: 0.5, seed: 0, "first val KD": 0.5, "last val KD": 0.25, "val points": 2 }]);
    const f8 = ARTEFACTS.figure8_confusion.derive({ runs, paper: {} });
    // |diff| = 0.5 + 0.5 + 0 + 0 over 4 cells
    expect(f8.tables[0]!.rows[0]).toEqual({ step: 10, "val KD": 0.5, "mean |q^a - q^b|": 0.25, "pooled Dice CT": 0.7, "pooled Dice MRI": 0.6 });
    const spec = (f8.figures[0] as unknown as { vegaLite: { data: { values: unknown[] } } }).vegaLite;
    expect(spec.data.values).toHaveLength(2 * 4 * 3); // 2 steps x 4 cells x 3 panels
    expect(f8.figures[0]!.title).toBe("Figure 8 (ours)");
  });

  it("Figure 8 with cross-validation: the lowest fold's Ours run, named in the titles", () => {
    const v = (step: number, kd: number): ValRecord => ({ type: "val", step, kd, diceCt: 0.7, diceMri: 0.6, diceCtPerClass: [0.7], diceMriPerClass: [0.6], segCt: 1, segMri: 1, qCt: [[1]], qMri: [[1]] });
    const run = (fold: number, kd: number) => withFold(record("ours", 0.5, [], { val: [v(10, kd)] }), fold);
    // fold 1 listed first: the figure must still take fold 0
    const f8 = ARTEFACTS.figure8_confusion.derive({ runs: [{ config: cfg({ task: "abdominal" }), runs: [run(1, 0.9), run(0, 0.1)] }], paper: {} });
    expect(f8.tables[0]!.rows[0]!["val KD"]).toBe(0.1);
    expect(f8.tables[0]!.title).toBe("Alignment of q^a and q^b during training (ours, α = 0.5, fold 0 of 2)");
    expect(f8.figures[0]!.title).toBe("Figure 8 (ours, fold 0 of 2)");
  });

  it("Figure 6: mean Dice over structures per alpha, with n", () => {
    const ours = record("ours", 0.1, [...cardiacCase("ct", "c1", 60, 60), ...cardiacCase("ct", "c2", 80, 80)]);
    const out = ARTEFACTS.figure6_alpha.derive({ runs: [{ config: cfg({ task: "cardiac" }), runs: [ours] }], paper: {} });
    expect(out.tables[0]!.rows).toEqual([{ setting: "ours", alpha: 0.1, modality: "ct", "mean Dice (%)": "70.0 ± 14.1", n: 2 }]);
  });
});

describe("the artefact registry", () => {
  it("maps every notebook to its artefact, whose configs and paper tables exist", () => {
    for (const name of NOTEBOOKS) {
      const a = artefact(name);
      expect(a.name).toBe(name);
      for (const c of a.configs) expect(existsSync(join(REPO_ROOT, "data", "configs", `${c}.json`)), c).toBe(true);
      for (const p of a.paper) expect(existsSync(join(REPO_ROOT, "results", "paper", `${p}.csv`)), p).toBe(true);
    }
    expect(() => artefact("table9")).toThrow(OptionError);
  });
});

/** Run records rebuilt from a committed tidy.csv: one per (task, setting, norm, alpha, seed), in file order. */
function runsFromTidy(rows: TidyRow[], config: ExperimentConfig): RunRecord[] {
  const cardiac = new Set(["LVM", "LAC", "LVC", "AA"]);
  const byRun = new Map<string, Row[]>();
  for (const { notebook: _, ...r } of rows) {
    if (cardiac.has(r.structure) !== (config.task === "cardiac")) continue;
    // one run per cross-validation fold: Table VI takes one artefact case per fold
    const k = `${r.setting}/${r.norm}/${r.alpha}/${r.seed}/${r.fold}`;
    byRun.set(k, [...(byRun.get(k) ?? []), r]);
  }
  return [...byRun.values()].map((rs) => withFold(record(rs[0]!.setting, rs[0]!.alpha, rs), rs[0]!.fold));
}

describe.each(["table1_cardiac", "table2_abdominal", "table3_4_pvalues", "table5_normalization", "table6_outlier", "figure6_alpha"] as const)("committed results/%s/cpu", (name) => {
  const dir = join(REPO_ROOT, "results", name, "cpu");
  it.skipIf(!existsSync(dir))("tables derived from the committed tidy.csv equal the committed table files", () => {
    const a = artefact(name);
    const tidy = readTidy(join(dir, "tidy.csv"));
    const params = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).params;
    const runs = a.configs.map((c) => {
      const config = loadConfig(join(REPO_ROOT, "data", "configs", `${c}.json`));
      return { config, runs: runsFromTidy(tidy, config) };
    });
    const paper = Object.fromEntries(a.paper.map((p) => [p, paperTable(p)]));
    const out = a.derive({ runs, paper, ...(params.norm ? { norm: params.norm } : {}) });
    // files named by content (lib/notebooks/results.ts tableFileNames); folders of the previous cpu
    // profile still have table<k>.csv. The learning curves come from the runs' validation records,
    // which tidy.csv does not hold.
    const names = tableFileNames(name, out.tables);
    let compared = 0;
    out.tables.forEach((t, k) => {
      if (t.file === "learning_curves") return;
      const file = existsSync(join(dir, `${names[k]}.csv`)) ? `${names[k]}.csv` : `table${k + 1}.csv`;
      expect(renderTable(t).csv, file).toBe(readFileSync(join(dir, file), "utf8"));
      compared++;
    });
    expect(compared).toBeGreaterThan(0);
  });
});
