/**
 * The diagnosis figure `diagnosis_ours_minus_joint`: one dot per trained model paired by fold × seed
 * at its Ours − Joint in overall Dice, and per source the interval and estimate of the same
 * `compareModels` result the tables report.
 */
import { describe, expect, it } from "vitest";
import { diagnosisJointVsOurs } from "../../lib/notebooks/artefacts/diagnosis_joint_vs_ours.ts";
import type { ArtefactRuns } from "../../lib/notebooks/artefacts/types.ts";
import { dodgeDots, type DifferenceDot, type DifferenceRow } from "../../lib/notebooks/figures.ts";
import { compareModels } from "../../lib/notebooks/comparisons.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";

/** One trained model's record: per case one structure's Dice (the case mean is that value). */
function run(setting: string, fold: number, seed: number, norm: string, batchSize: number, values: Record<string, number>, key?: string) {
  const rows: Omit<TidyRow, "notebook">[] = Object.entries(values).map(([id, value]) => ({
    profile: "cpu", data_source: "x", condition: "clean", setting, norm, alpha: 0.5, seed, fold,
    modality: id.startsWith("ct") ? "ct" : "mri", case: id, structure: "liver", metric: "dice", value,
  }));
  return { ...(key ? { key } : {}), rows, spec: { setting, fold, seed, norm }, plan: { train: { batchSize }, data: { source: batchSize === 4 ? "synthetic" : "real" } } }; // as in the cpu profile: cardiac (4 per modality) synthetic, Table II real
}
const runs = (list: ReturnType<typeof run>[]) => ({ config: {} as never, runs: list as never }) as ArtefactRuns;

// Table II-like seed-0 grid: Joint (ct 70, mri 60) ahead of Ours by 2, 4, 0, 16 points on folds 0-3
const T2 = [0, 1, 2, 3].flatMap((f) => {
  const gap = [2, 4, 0, 16][f]!;
  const c = { [`ct${f}`]: 70, [`mri${f}`]: 60 };
  const minus = (d: number) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v - d]));
  return [run("joint", f, 0, "batch", 1, c, `j${f}s0`), run("ours", f, 0, "batch", 1, minus(gap), `o${f}s0`), run("chilopod", f, 0, "batch", 1, minus(gap), `c${f}s0`)];
});
// Table I-like: fold 0, 3 seeds: Ours − Joint = ((0.5 + 0.2 s) + 0.5) / 2 = 0.5, 0.6, 0.7
const T1 = [0, 1, 2].flatMap((s) => [run("joint", 0, s, "batch", 4, { ct1: 80 + s, mri1: 75 }), run("ours", 0, s, "batch", 4, { ct1: 80.5 + s * 1.2, mri1: 75.5 })]);
// Table V-like: one model per normalization, Ours above Joint by 5 (instance), below by 3 (layer); group: Joint only
const T5 = [
  run("joint", 0, 0, "instance", 4, { ct1: 70, mri1: 70 }), run("ours", 0, 0, "instance", 4, { ct1: 75, mri1: 75 }),
  run("joint", 0, 0, "layer", 4, { ct1: 70, mri1: 60 }), run("ours", 0, 0, "layer", 4, { ct1: 66, mri1: 58 }),
  run("joint", 0, 0, "group", 4, { ct1: 70, mri1: 70 }),
];
// Table II seed replicates: fold 3 seed 1 with both (Joint 67, Ours 61: −6), fold 2 seed 1 Ours only (left out)
const REPS = [run("joint", 3, 1, "batch", 1, { ct3: 72, mri3: 62 }, "j3s1"), run("ours", 3, 1, "batch", 1, { ct3: 64, mri3: 58 }, "o3s1"), run("ours", 2, 1, "batch", 1, { ct2: 66, mri2: 66 }, "o2s1")];

const derive = (extras: Record<string, unknown>) => diagnosisJointVsOurs.derive({ runs: [runs(T1), runs(T2), runs(T5)], paper: {}, extras });
type Layer = { data: { values: unknown[] }; mark: { type: string; shape?: string } };
function parts(out: ReturnType<typeof derive>) {
  const fig = out.figures.find((f) => f.name === "diagnosis_ours_minus_joint")!;
  expect(fig).toBeDefined();
  const spec = (fig as { vegaLite: Record<string, unknown> }).vegaLite;
  const inner = (spec.hconcat as { hconcat?: { layer?: Layer[] }[] }[])[1]!.hconcat!;
  const layers = inner[0]!.layer!;
  const dots = layers.find((l) => l.mark.type === "point" && !l.mark.shape)!.data.values as DifferenceDot[];
  const bars = layers.find((l) => l.mark.type === "rule" && (l.data.values[0] as object) && "ciLow" in (l.data.values[0] as object))!.data.values as DifferenceRow[];
  const diamonds = layers.find((l) => l.mark.shape === "diamond")!.data.values as DifferenceRow[];
  return { spec, dots, bars, diamonds };
}
const tidy = (list: ReturnType<typeof run>[]) => list.flatMap((r) => r.rows.map((x) => ({ ...x, notebook: "diagnosis_joint_vs_ours" }) as TidyRow));
const ojOf = (rows: TidyRow[], norm: string) => compareModels(rows, { metric: "dice", reference: "ours", norm }).find((c) => c.setting === "joint")!;

describe("diagnosis figure: Ours − Joint per trained model", () => {
  const out = derive({ table2Replicates: REPS });
  const { spec, dots, bars, diamonds } = parts(out);
  const rowOf = (prefix: string) => bars.find((b) => b.row.startsWith(prefix))!.row;

  it("one dot per paired model (fold × seed) with the hand-computed difference of overall Dice", () => {
    const at = (row: string) => dots.filter((d) => d.row === row).map((d) => [d.model, d.fold, d.seed, Number(d.diff.toFixed(6))]);
    // Table I: ours − joint per seed = ((0.5 + 0.2 s) + 0.5) / 2 = 0.5, 0.6, 0.7; one split, so grey "one split"
    expect(at(rowOf("Table I"))).toEqual([["fold 0 seed 0", "one split", "0", 0.5], ["fold 0 seed 1", "one split", "1", 0.6], ["fold 0 seed 2", "one split", "2", 0.7]]);
    expect(at(rowOf("Table V (cardiac)\ninstance"))).toEqual([["fold 0 seed 0", "one split", "0", 5]]);
    // layer: ours (66 + 58)/2 = 62, joint (70 + 60)/2 = 65
    expect(at(rowOf("Table V (cardiac)\nlayer"))).toEqual([["fold 0 seed 0", "one split", "0", -3]]);
    // Table II: the grid's 4 folds at seed 0 and fold 3 seed 1; fold 2 seed 1 (Ours only) has no dot
    expect(at(rowOf("Table II"))).toEqual([
      ["fold 0 seed 0", "fold 0", "0", -2], ["fold 1 seed 0", "fold 1", "0", -4], ["fold 2 seed 0", "fold 2", "0", 0],
      ["fold 3 seed 0", "fold 3", "0", -16], ["fold 3 seed 1", "fold 3", "1", -6],
    ]);
    expect(dots).toHaveLength(3 + 1 + 1 + 5);
    // a source without Ours − Joint (group: Joint only) has no row
    expect(bars.some((b) => b.row.includes("group"))).toBe(false);
    expect(rowOf("Table II")).toContain("with its seed replicates");
  });

  it("the CI bar and the diamond are compareModels' ciLow/ciHigh and estimate; the label is p over models and the count", () => {
    const expected: [string, ReturnType<typeof ojOf>][] = [
      ["Table I", ojOf(tidy(T1), "batch")],
      ["Table V (cardiac)\ninstance", ojOf(tidy(T5), "instance")],
      ["Table V (cardiac)\nlayer", ojOf(tidy(T5), "layer")],
      ["Table II", ojOf(tidy([...T2, ...REPS]).filter((r) => r.setting === "ours" || r.setting === "joint"), "batch")],
    ];
    expect(bars.map((b) => b.row.split("\n")[0])).toEqual(["Table I (cardiac)", "Table V (cardiac)", "Table V (cardiac)", "Table II (abdominal, real)"]);
    for (const [prefix, c] of expected) {
      const b = bars.find((x) => x.row === rowOf(prefix))!;
      expect([b.ciLow, b.ciHigh, b.estimate]).toEqual([c.ciLow, c.ciHigh, c.diff]);
      expect(diamonds.find((d) => d.row === b.row)!.estimate).toBe(c.diff);
    }
    // Table II over the 5 paired models: mean of −2, −4, 0, −16, −6; p as H3 states it
    const t2 = bars.find((x) => x.row === rowOf("Table II"))!;
    expect(t2.estimate).toBeCloseTo(-5.6, 10);
    expect(t2.ciLow).toBeLessThan(t2.estimate);
    expect(t2.ciHigh).toBeGreaterThan(t2.estimate);
    // and over the fold means (fold 3's two seeds averaged: −2, −4, 0, −11): p = 0.1739 (scipy ttest_1samp)
    expect(t2.label).toBe("p (models) = 0.1148, 5 models\np (fold means) = 0.1739, 4 folds");
    expect(bars.find((x) => x.row === rowOf("Table V (cardiac)\ninstance"))!.label).toBe("p (models) = n/a, 1 model");
    // the same interval as the pairs table (grid only, without replicates) for the cardiac rows
    const pairs = out.tables.find((t) => t.file === "pairs")!.rows.find((r) => r.source === "Table I (cardiac, synthetic)" && r.comparison === "Ours − Joint")!;
    const t1 = bars.find((x) => x.row === rowOf("Table I"))!;
    expect([pairs["95% CI low"], pairs["95% CI high"]]).toEqual([Number(t1.ciLow.toFixed(2)), Number(t1.ciHigh.toFixed(2))]);
  });

  it("without replicates the Table II row is the grid's comparison (4 models), and the title says what the marks are", () => {
    const base = parts(derive({ table2Replicates: [] }));
    const t2 = base.bars.find((b) => b.row.startsWith("Table II"))!;
    expect(t2.row).not.toContain("replicates");
    expect(t2.estimate).toBeCloseTo(-5.5, 10);
    expect(t2.label).toBe(`p (models) = ${ojOf(tidy(T2), "batch").pModels.toFixed(4)}, 4 models`);
    expect(base.dots.filter((d) => d.row === t2.row)).toHaveLength(4);
    const title = spec.title as { text: string; subtitle: string[] };
    expect(title.text).toMatch(/Ours − Joint/);
    expect(title.subtitle.join(" ")).toMatch(/Unit: the trained model/);
    expect(title.subtitle.join(" ")).toMatch(/95% hierarchical-bootstrap CI; diamond: estimate/);
  });
  it("the data word in a row and in the pairs table is read from the plans: a Table II run on synthetic volumes (smoke, quick) is not called real", () => {
    const synthetic = (list: ReturnType<typeof run>[]) => list.map((r) => ({ ...r, plan: { ...r.plan, data: { source: "synthetic" } } }));
    const o = diagnosisJointVsOurs.derive({ runs: [runs(T1), runs(synthetic(T2)), runs(T5)], paper: {}, extras: { table2Replicates: [] } });
    expect(parts(o).bars.find((b) => b.row.startsWith("Table II"))!.row.split("\n")[0]).toBe("Table II (abdominal, synthetic)");
    const sources = new Set(o.tables.find((t) => t.file === "pairs")!.rows.map((r) => r.source));
    expect(sources).toEqual(new Set(["Table I (cardiac, synthetic)", "Table V (cardiac, synthetic)", "Table II (abdominal, synthetic)"]));
    // and with real plans, real (the cpu profile's committed table)
    expect(bars.find((b) => b.row.startsWith("Table II"))!.row.split("\n")[0]).toBe("Table II (abdominal, real)");
  });
});

describe("dodgeDots: no model's dot hides another's", () => {
  const dot = (row: string, seed: string, diff: number, fold = "fold 0"): DifferenceDot => ({ row, seed, diff, fold, model: `${fold} seed ${seed}` });
  it("dots of one row and seed closer than the gap take successive sub-lanes; far apart, other seeds or other rows: lane 0", () => {
    // row A, seed 0: −2.2, −2.1 (0.1 apart < 1), −2.0 (0.1 from −2.1, 0.2 from −2.2), +5 (far); seed 1: −2.1 (own seed lane); row B seed 0: −2.1
    const dots = [dot("A", "0", -2.1, "fold 0"), dot("A", "0", -2.2, "fold 1"), dot("A", "0", -2.0, "fold 2"), dot("A", "0", 5, "fold 3"), dot("A", "1", -2.1), dot("B", "0", -2.1)];
    const { dots: laned, lanes } = dodgeDots(dots, 1);
    // sorted by diff within (A, 0): −2.2 → lane 0, −2.1 → lane 1 (0.1 from lane 0's −2.2), −2.0 → lane 2, +5 → lane 0 (7.2 from −2.2)
    expect(laned.map((d) => d.lane)).toEqual(["0:1", "0:0", "0:2", "0:0", "1:0", "0:0"]);
    // input order and fields kept
    expect(laned.map(({ lane: _l, ...d }) => d)).toEqual(dots);
    expect(lanes).toEqual(["0:0", "0:1", "0:2", "1:0"]);
    // exactly the gap apart: no overlap, one lane
    expect(dodgeDots([dot("A", "0", 0), dot("A", "0", 1)], 1).dots.map((d) => d.lane)).toEqual(["0:0", "0:0"]);
  });

  it("the diagnosis figure dodges the batch-2 row's two folds at −2.1 and −2.2 (one drew over the other) and encodes yOffset by lane", () => {
    const b2 = (f: number, gap: number) => [
      { ...run("joint", f, 0, "batch", 2, { [`ct${f}`]: 70, [`mri${f}`]: 60 }, `j${f}b2`), plan: { train: { batchSize: 2 }, data: { source: "real" } } },
      { ...run("ours", f, 0, "batch", 2, { [`ct${f}`]: 70 - gap, [`mri${f}`]: 60 - gap }, `o${f}b2`), plan: { train: { batchSize: 2 }, data: { source: "real" } } },
    ];
    const o = derive({ table2Replicates: REPS, table2Batch2: [...b2(0, 2.1), ...b2(1, 2.2), ...b2(3, -1.1)] });
    const { spec, dots } = parts(o);
    const row = dots.filter((d) => d.row.includes("2 per modality")) as (DifferenceDot & { lane: string })[];
    expect(row.map((d) => [d.fold, d.lane])).toEqual([["fold 0", "0:1"], ["fold 1", "0:0"], ["fold 3", "0:0"]]);
    const layer = ((spec.hconcat as { hconcat?: { layer?: { encoding?: { yOffset?: { field: string; sort: string[] } } }[] }[] }[])[1]!.hconcat![0]!.layer!).find((l) => l.encoding?.yOffset)!;
    expect(layer.encoding!.yOffset!.field).toBe("lane");
    expect(layer.encoding!.yOffset!.sort).toEqual(["0:0", "0:1", "1:0", "2:0"]);
  });
});
