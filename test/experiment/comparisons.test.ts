import { describe, expect, it } from "vitest";
import { ARTEFACTS } from "../../lib/notebooks/artefacts/index.ts";
import { compareModels, comparisonNotes, modelUnits, signedPoints, type ModelComparison } from "../../lib/notebooks/comparisons.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";
import { pairedTTest } from "../../lib/stats/index.ts";

/** Dice rows of one trained model: per case two structures (values [s1, s2]). */
function model(setting: string, fold: number, seed: number, cases: Record<string, [number, number]>): TidyRow[] {
  return Object.entries(cases).flatMap(([id, [v1, v2]]) =>
    [["liver", v1], ["spleen", v2]].map(([structure, value]) => ({
      notebook: "t", profile: "cpu", data_source: "x", condition: "clean", setting, norm: "batch", alpha: setting === "ours" ? 0.5 : 0, seed, fold,
      modality: id.startsWith("ct") ? "ct" : "mri", case: id, structure: structure as string, metric: "dice", value: value as number,
    })),
  );
}

// Two folds (cases ct1/mri1 and ct2/mri2) x two seeds. Per-case means over the two structures:
//   ours  f0s0: ct1 80, mri1 70 -> 75   joint f0s0: ct1 78, mri1 68 -> 73   diff +2
//   ours  f0s1: ct1 82, mri1 70 -> 76   joint f0s1: ct1 78, mri1 70 -> 74   diff +2
//   ours  f1s0: ct2 60, mri2 50 -> 55   joint f1s0: ct2 64, mri2 56 -> 60   diff −5
//   ours  f1s1: ct2 62, mri2 52 -> 57   joint f1s1: ct2 60, mri2 50 -> 55   diff +2
// (each case value v is written as two structures v − 5 and v + 5, so a structure-mean slip shows)
const s = (v: number): [number, number] => [v - 5, v + 5];
const ROWS: TidyRow[] = [
  ...model("ours", 0, 0, { ct1: s(80), mri1: s(70) }), ...model("joint", 0, 0, { ct1: s(78), mri1: s(68) }),
  ...model("ours", 0, 1, { ct1: s(82), mri1: s(70) }), ...model("joint", 0, 1, { ct1: s(78), mri1: s(70) }),
  ...model("ours", 1, 0, { ct2: s(60), mri2: s(50) }), ...model("joint", 1, 0, { ct2: s(64), mri2: s(56) }),
  ...model("ours", 1, 1, { ct2: s(62), mri2: s(52) }), ...model("joint", 1, 1, { ct2: s(60), mri2: s(50) }),
];

describe("Ours vs a setting with the trained model as unit", () => {
  it("builds one unit per (fold, seed) trained for both settings, cases paired by modality and case", () => {
    const units = modelUnits(ROWS, "joint", { metric: "dice" });
    expect(units.map((u) => u.id)).toEqual(["fold 0 seed 0", "fold 0 seed 1", "fold 1 seed 0", "fold 1 seed 1"]);
    expect(units[0]).toMatchObject({ a: [80, 70], b: [78, 68] }); // ct1 then mri1 (sorted keys)
    expect(units[2]).toMatchObject({ a: [60, 50], b: [64, 56] });
    // each seed of a fold is paired with the same seed of the other setting, not with another seed of that fold
    expect(units[1]).toMatchObject({ fold: 0, seed: 1, a: [82, 70], b: [78, 70] });
    expect(units[3]).toMatchObject({ fold: 1, seed: 1, a: [62, 52], b: [60, 50] });
  });
  it("difference = mean over models of the model's mean difference; the test pairs the four model means", () => {
    const [c] = compareModels(ROWS, { metric: "dice" });
    expect(c!.setting).toBe("joint");
    expect(c!.models).toBe(4);
    expect(c!.folds).toBe(2);
    expect(c!.seeds).toBe(2);
    expect(c!.diff).toBeCloseTo((2 + 2 - 5 + 2) / 4, 12);
    expect(c!.pModels).toBeCloseTo(pairedTTest([75, 76, 55, 57], [73, 74, 60, 55]).p, 14);
    expect(c!.perFold).toEqual([
      { fold: 0, diff: 2, seeds: 2, cases: 2 },
      { fold: 1, diff: -1.5, seeds: 2, cases: 2 },
    ]);
    // the paper's test: seeds averaged per case, then paired over the 4 cases:
    // ours ct1 81, mri1 70, ct2 61, mri2 51; joint 78, 69, 62, 53
    expect(c!.nCases).toBe(4);
    expect(c!.pCases).toBeCloseTo(pairedTTest([81, 70, 61, 51], [78, 69, 62, 53]).p, 14);
    expect(c!.ciLow).toBeLessThanOrEqual(c!.diff);
    expect(c!.ciHigh).toBeGreaterThanOrEqual(c!.diff);
  });
  it("a (fold, seed) trained for only one of the settings is no unit; a structure that is NaN is left out of the case mean", () => {
    const extra = [
      ...model("ours", 2, 0, { ct3: s(90), mri3: s(90) }), // no joint model of fold 2
      ...model("joint", 0, 2, { ct1: s(10), mri1: s(10) }), // no ours model of seed 2
    ];
    const nan = ROWS.map((r) => (r.setting === "ours" && r.fold === 0 && r.seed === 0 && r.case === "ct1" && r.structure === "spleen" ? { ...r, value: NaN } : r));
    const units = modelUnits([...nan, ...extra], "joint", { metric: "dice" });
    expect(units).toHaveLength(4);
    expect(units[0]!.a).toEqual([75, 70]); // ct1's liver only: 80 − 5
  });
  it("Holm runs over the comparisons of one call", () => {
    const third = ROWS.filter((r) => r.setting === "joint").map((r) => ({ ...r, setting: "individual", value: r.value - 10 }));
    const cmp = compareModels([...ROWS, ...third], { metric: "dice" });
    expect(cmp.map((c) => c.setting)).toEqual(["individual", "joint"]); // paper order
    const [pi, pj] = cmp.map((c) => c.pModels) as [number, number];
    const lo = Math.min(pi, pj);
    const hi = Math.max(pi, pj);
    const adjLo = Math.min(1, 2 * lo);
    const adjHi = Math.max(adjLo, Math.min(1, hi));
    expect(cmp.find((c) => c.pModels === lo)!.pModelsHolm).toBeCloseTo(adjLo, 14);
    expect(cmp.find((c) => c.pModels === hi)!.pModelsHolm).toBeCloseTo(adjHi, 14);
  });
  it("the reading says there is no test over models when each setting is one trained model", () => {
    const one = ROWS.filter((r) => r.fold === 0 && r.seed === 0);
    const lines = comparisonNotes(compareModels(one, { metric: "dice" }));
    expect(lines[0]).toMatch(/1 per comparison: 1 fold × 1 seed/);
    expect(lines[0]).toMatch(/p_models = n\/a/);
    expect(lines[1]).toMatch(/no test over models/);
    expect(lines.join(" ")).not.toMatch(/Significant/);
  });
  it("the reading names what is significant over models, and the direction", () => {
    // ours 5 points above joint in every model, with a little spread: significant
    const rows = [0, 1, 2].flatMap((seed) => [
      ...model("ours", 0, seed, { ct1: s(80 + seed), mri1: s(70) }),
      ...model("joint", 0, seed, { ct1: s(75 + seed * 1.1), mri1: s(65) }),
    ]);
    const lines = comparisonNotes(compareModels(rows, { metric: "dice" }));
    expect(lines[1]).toMatch(/Significant at 0.05 over trained models \(Holm\): joint \(Ours above\)/);
  });
});

/** A comparison as compareModels returns it, with the fields a reading uses set by hand. */
function cmpRow(setting: string, o: Partial<ModelComparison>): ModelComparison {
  return {
    reference: "ours", setting, metric: "dice", models: 3, folds: 1, seeds: 3, cases: 9, diff: 0, ciLow: -1, ciHigh: 1,
    pModels: 0.5, pModelsHolm: 0.5, pCases: 0.5, nCases: 3, perFold: [{ fold: 0, diff: 0, seeds: 3, cases: 3 }], ...o,
  };
}

describe("the reading decides significance by the Holm-adjusted test over models only", () => {
  // individual: every test agrees (significant, Ours above);
  // joint: interval excludes 0 and the per-case test is tiny, but the test over models is not significant;
  // chilopod: raw p over models below 0.05, Holm-adjusted above; per-case p below 0.05; interval includes 0
  const cmp = [
    cmpRow("individual", { diff: 4, ciLow: 2, ciHigh: 6, pModels: 0.004, pModelsHolm: 0.012, pCases: 0.2 }),
    cmpRow("joint", { diff: -2, ciLow: -3.5, ciHigh: -0.5, pModels: 0.08, pModelsHolm: 0.16, pCases: 0.0001 }),
    cmpRow("chilopod", { diff: 1, ciLow: -0.5, ciHigh: 3, pModels: 0.03, pModelsHolm: 0.06, pCases: 0.01 }),
  ];
  const lines = comparisonNotes(cmp);
  it("names only what the Holm-adjusted test over models finds, with the direction", () => {
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("Significant at 0.05 over trained models (Holm): individual (Ours above). The bootstrap interval excludes 0 for joint, but the test over 3 models does not confirm it.");
  });
  it("Ours below when the significant difference is negative; none significant when only the interval or the per-case test says so", () => {
    const below = comparisonNotes([cmpRow("joint", { diff: -2, ciLow: -3.5, ciHigh: -0.5, pModels: 0.001, pModelsHolm: 0.001, pCases: 0.3 })]);
    expect(below[1]).toBe("Significant at 0.05 over trained models (Holm): joint (Ours below).");
    const none = comparisonNotes(cmp.slice(1));
    expect(none[1]).toBe("No difference is significant at 0.05 over trained models (Holm). The bootstrap interval excludes 0 for joint, but the test over 3 models does not confirm it.");
  });
  it("the first line carries each comparison's interval and both p-values", () => {
    expect(lines[0]).toContain("individual +4.0 [+2.0, +6.0], p_models = 0.0040 (Holm 0.0120), p_cases = 0.2000");
    expect(lines[0]).toContain("joint -2.0 [-3.5, -0.5], p_models = 0.0800 (Holm 0.1600), p_cases = 0.0001");
  });
});

describe("Tables III/IV (artefact table3_4_pvalues) on hand-made runs: three trained models per setting", () => {
  // one fold, seeds 0..2, cases c1, c2 (CT) and m1 (MRI), one structure. Per seed [c1, c2, m1]:
  const V: Record<string, number[][]> = {
    ours: [[80, 70, 60], [82, 69, 63], [79, 74, 61]],
    individual: [[75, 66, 58], [77, 68, 57], [76, 67, 60]],
    joint: [[81, 69, 62], [79, 70, 60], [83, 73, 63]],
  };
  const rec = (setting: string, seed: number) => ({
    rows: ["c1", "c2", "m1"].map((c, k) => ({
      profile: "cpu", data_source: "synthetic", condition: "clean", setting, norm: "batch", alpha: setting === "ours" ? 0.5 : 0, seed, fold: 0,
      modality: c.startsWith("m") ? "mri" : "ct", case: c, structure: "LVM", metric: "dice", value: V[setting]![seed]![k]!,
    })),
  });
  const runs = Object.keys(V).flatMap((s) => [0, 1, 2].map((seed) => rec(s, seed))) as never[];
  const out = ARTEFACTS.table3_4_pvalues.derive({
    runs: [{ config: { name: "x", task: "cardiac" } as never, runs }, { config: { name: "y", task: "abdominal" } as never, runs: [] }],
    paper: { table3_pvalues_cardiac: [{ source_table: "t", setting: "individual", norm: "batch", modality: "overall", structure: "mean", metric: "dice", stat: "p", value: 0.02, unit: "" }] },
  });
  it("the model-level p, its Holm adjustment and the paper's per-case p each in their own column (scipy.stats.ttest_rel)", () => {
    // model means (mean over the 3 cases): ours 70, 71.333, 71.333; individual 66.333, 67.333, 67.667; joint 70.667, 69.667, 73
    //   ttest_rel over model means: individual p = 0.000863931, joint p = 0.842865; Holm over the two: 0.00172786, 0.842865
    // case means over seeds: ours 80.333, 71, 61.333; individual 76, 67, 58.333; joint 81, 70.667, 61.667
    //   ttest_rel over cases: individual p = 0.0110595, joint p = 0.528595
    const rows = out.tables[0]!.rows;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      table: "Table III (cardiac)", metric: "dice", setting: "individual", "models (folds × seeds)": "3 (1 × 3)", cases: 3, "ours − setting": 3.778,
      "p (models)": 0.000864, "p (models, Holm)": 0.00173, "p (cases, paper's test)": 0.0111, "paper p": 0.02,
    });
    expect(rows[1]).toMatchObject({
      setting: "joint", "models (folds × seeds)": "3 (1 × 3)", cases: 3, "ours − setting": -0.222,
      "p (models)": 0.843, "p (models, Holm)": 0.843, "p (cases, paper's test)": 0.529, "paper p": "–",
    });
    for (const r of rows) {
      expect(r["95% CI low"] as number).toBeLessThanOrEqual(r["ours − setting"] as number);
      expect(r["95% CI high"] as number).toBeGreaterThanOrEqual(r["ours − setting"] as number);
    }
    expect(out.tables[1]!.rows).toEqual([]);
  });
  it("per-fold effects and the reading's counts", () => {
    expect(out.tables[2]!.rows).toEqual([
      { table: "Table III (cardiac)", metric: "dice", setting: "individual", fold: 0, seeds: 3, cases: 3, "ours − setting": 3.778 },
      { table: "Table III (cardiac)", metric: "dice", setting: "joint", fold: 0, seeds: 3, cases: 3, "ours − setting": -0.222 },
    ]);
    expect(out.notes.at(-1)).toContain("over trained models (Holm): 1 of 2; the paper's per-case test on our runs: 1 of 2; the paper: 1 of 1");
    expect(out.notes.join(" ")).toContain("Significant at 0.05 over trained models (Holm): individual (Ours above).");
  });
});

describe("signedPoints: a difference in points as the readings print it", () => {
  it("signs with + or U+2212 and one decimal", () => {
    expect([5.6, -5.64, 0.25, -0.05, 17.0].map(signedPoints)).toEqual(["+5.6", "−5.6", "+0.3", "−0.1", "+17.0"]);
  });
  it("gives a difference that one decimal would print as ±0.0 two decimals, and prints one still zero at two as 0.00: no sign on zero digits", () => {
    // −0.0175 is the mean of the 8 batch-2 Ours − Joint differences of the diagnosis after fold 0 seed 1
    // (−2.1, +0.68, −2.19, −3.08, +0.35, +3.35, +1.06, +1.79; from h1_batch2.csv rounded to 2 decimals: −0.14 / 8)
    expect([-0.0175, 0.049, 0.005, -0.004, 0.0049].map(signedPoints)).toEqual(["−0.02", "+0.05", "+0.01", "0.00", "0.00"]);
  });
  it("prints an exact zero as +0.0 and NaN as n/a", () => {
    expect([0, -0, Number.NaN].map(signedPoints)).toEqual(["+0.0", "+0.0", "n/a"]);
  });
});
