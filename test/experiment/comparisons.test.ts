import { describe, expect, it } from "vitest";
import { compareModels, comparisonNotes, modelUnits } from "../../lib/experiment/comparisons.ts";
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
