/**
 * README's generated answer to "does Ours beat Joint here" (lib/notebooks/claim.ts) on hand-made
 * comparisons, independent of the committed run records (readme-generated.test.ts checks README
 * against them): the verdict's direction (Ours ahead vs Joint ahead), that "significant" is read
 * off the Holm-adjusted test over trained models, the numbers it prints and the per-fold line.
 * The run store is mocked empty and compareModels returns the hand-made comparisons, cardiac first.
 */
import { describe, expect, it, vi } from "vitest";
import type { ModelComparison } from "../../lib/notebooks/comparisons.ts";

const given = vi.hoisted(() => ({ calls: [] as unknown[][] }));

vi.mock("../../lib/experiment/cache.ts", async (orig) => ({ ...((await orig()) as object), findRun: () => undefined }));
vi.mock("../../lib/notebooks/comparisons.ts", async (orig) => {
  const real = (await orig()) as Record<string, unknown>;
  let k = 0;
  return { ...real, compareModels: () => given.calls[k++ % given.calls.length] ?? [] };
});

const { abdominalAnswer, claimMarkdown, pooledLine, replicateBullet: bullet } = await import("../../lib/notebooks/claim.ts");

function joint(o: Partial<ModelComparison>): ModelComparison {
  return {
    reference: "ours", setting: "joint", metric: "dice", models: 6, folds: 2, seeds: 3, cases: 48, diff: 0, ciLow: -1, ciHigh: 1,
    pModels: 0.5, pModelsHolm: 0.5, pCases: 0.5, nCases: 24, perFold: [], ...o,
  };
}

describe("claim.ts: the verdict line of Ours vs Joint", () => {
  // cardiac: Joint ahead by 2.04 points, significant over models after Holm (0.024)
  const cardiac = joint({ diff: -2.04, ciLow: -3.1, ciHigh: -0.9, pModels: 0.004, pModelsHolm: 0.024, pCases: 0.0002, nCases: 24 });
  // abdominal: Ours ahead by 1.5 points; the raw p over models (0.04) is below 0.05, the Holm-adjusted one (0.16) is not
  const abdominal = joint({
    diff: 1.5, ciLow: 0.2, ciHigh: 3.4, models: 12, folds: 4, seeds: 3, pModels: 0.04, pModelsHolm: 0.16, pCases: 0.01, nCases: 36,
    perFold: [0, 1, 2, 3].map((fold) => ({ fold, diff: [1, 2, -0.5, 3][fold]!, seeds: 3, cases: 9 })),
  });
  given.calls = [[cardiac], [abdominal]];
  const lines = claimMarkdown().split("\n");
  it("the answer line names only what is significant over models (Holm), with its direction", () => {
    expect(lines[0]).toBe("**Answer: cardiac: Joint ahead by 2.0 points, significant over trained models (Holm).**");
  });

  it("Joint ahead when Ours − Joint < 0, significant by the Holm-adjusted p", () => {
    expect(lines[1]).toBe(
      "- Cardiac (Table I, synthetic phantoms): Ours − Joint = −2.0 points (95% CI −3.1 to −0.9; 6 trained models per setting: 2 folds × 3 seeds); " +
        "Joint is ahead of Ours on average, and the test over trained models gives p = 0.0040 (Holm over the six comparisons: 0.0240), significant at 0.05. " +
        "The paper's per-case t-test on the same runs would say p = 0.0002 (24 cases), which ignores that the cases of a fold share one trained model.",
    );
  });
  it("Ours ahead when Ours − Joint > 0; not significant when only the raw p is below 0.05", () => {
    expect(lines[2]).toBe(
      "- Abdominal (Table II, real BTCV CT + CHAOS MRI): Ours − Joint = +1.5 points (95% CI +0.2 to +3.4; 12 trained models per setting: 4 folds × 3 seeds); " +
        "Ours is ahead of Joint on average, but the test over trained models gives p = 0.0400 (Holm over the six comparisons: 0.1600), not significant at 0.05. " +
        "The paper's per-case t-test on the same runs would say p = 0.0100 (36 cases), which ignores that the cases of a fold share one trained model.",
    );
  });
  it("the per-fold line of Table II, in fold order", () => {
    expect(lines[3]).toBe("- Per fold (Table II), Ours − Joint: fold 0 +1.0, fold 1 +2.0, fold 2 −0.5, fold 3 +3.0. ");
  });
});

describe("claim.ts: the line on Table II's seed replicates (hand rows of table2_seeds)", () => {
  it("per fold with a replicate: Ours and Joint at each seed, and the largest move of one setting between seeds against the gap", () => {
    const rows = [
      { fold: 0, seed: 0, ours: 81.36, joint: 83.44, "Ours − Joint": -2.07 },
      { fold: 0, seed: 1, ours: 76.82, joint: 77.28, "Ours − Joint": -0.46 },
      { fold: 1, seed: 0, ours: 73.06, joint: 78.01, "Ours − Joint": -4.95 },
      { fold: 2, seed: 0, ours: 77.67, joint: 77.38, "Ours − Joint": 0.29 },
      { fold: 2, seed: 1, ours: 70, joint: "–", "Ours − Joint": "–" },
      { fold: 3, seed: 0, ours: 57.71, joint: 73.64, "Ours − Joint": -15.93 },
      { fold: 3, seed: 1, ours: 61.34, joint: 68.82, "Ours − Joint": -7.48 },
    ];
    // largest move: Ours on fold 2, 77.67 - 70 = 7.67 (Joint fold 0: 6.16; fold 1 has no replicate)
    expect(bullet(rows, -5.67)).toBe(
      "- Table II seed replicates so far (overall Dice; outside the default grid until every fold has 3 seeds; diagnosis notebook, table2_seeds.csv): " +
        "fold 0 seed 0: Ours 81.4, Joint 83.4 (−2.1); seed 1: Ours 76.8, Joint 77.3 (−0.5) | " +
        "fold 2 seed 0: Ours 77.7, Joint 77.4 (+0.3); seed 1: Ours 70.0, Joint – | " +
        "fold 3 seed 0: Ours 57.7, Joint 73.6 (−15.9); seed 1: Ours 61.3, Joint 68.8 (−7.5). " +
        "The seed alone moved Ours on fold 2 by 7.7 points, as much as or more than the grid's mean Ours − Joint gap (−5.7).",
    );
    expect(bullet(rows, -9)).toMatch(/by 7\.7 points, less than the grid's mean Ours − Joint gap \(−9\.0\)\.$/);
  });
  it("no replicate: no line", () => {
    expect(bullet([{ fold: 0, seed: 0, ours: 80, joint: 81, "Ours − Joint": -1 }], -1)).toBeNull();
  });
});

describe("claim.ts: which Table II comparison the answer uses (grid, or grid + balanced seed replicates)", () => {
  // the grid's six comparisons (Ours against each setting); Ours − Joint p = 0.2121 over 4 models
  const six = [0.3, 0.2121, 0.9, 0.8, 0.053, 0.7].map((p, i) => joint({ setting: ["individual", "joint", "joint-kd", "y-shaped", "x-shaped", "chilopod"][i]!, pModels: p, pModelsHolm: NaN, models: 4, seeds: 1 }));
  const pooled = joint({ diff: -4.9, ciLow: -9.1, ciHigh: -1.2, models: 8, folds: 4, seeds: 2, pModels: 0.01, pModelsHolm: 0.01 });
  const tp = (use: boolean, pFolds = 0.005) => ({ grid: six[1], pooled, balanced: use, show: true, use, pFolds, foldCi: undefined, jointAhead: undefined });

  it("an unbalanced or absent replicate set: the grid's comparison, untouched", () => {
    expect(abdominalAnswer(six, tp(false))).toEqual({ cmp: six[1], pooled: false });
    expect(abdominalAnswer(six, { grid: six[1], pooled: undefined, balanced: false, show: false, use: false, pFolds: NaN, foldCi: undefined, jointAhead: undefined })).toEqual({ cmp: six[1], pooled: false });
  });

  it("balanced: the pooled comparison; significance from the fold-level p, Holm-adjusted with the other five's grid p-values", () => {
    // Holm over [0.3, 0.005, 0.9, 0.8, 0.053, 0.7]: the smallest, 0.005, times 6 = 0.03 (by hand)
    const a = abdominalAnswer(six, tp(true));
    expect(a.pooled).toBe(true);
    expect([a.cmp!.models, a.cmp!.pModels]).toEqual([8, 0.01]);
    expect(a.cmp!.pModelsHolm).toBeCloseTo(0.03, 12);
    // a fold-level p of 0.2 ranks second: max(6 × 0.053, 5 × 0.2) = 1.0
    expect(abdominalAnswer(six, tp(true, 0.2)).cmp!.pModelsHolm).toBeCloseTo(1, 12);
  });

  it("the pooled line says both tests and reads significance off the adjusted fold-level p", () => {
    const a = abdominalAnswer(six, tp(true, 0.2205))!.cmp!;
    expect(pooledLine(a, 0.2205, [-11.87, 4.12], { models: 7, of: 8, folds: 4, ofFolds: 4 })).toBe(
      "Abdominal with its seed replicates (Table II's Ours and Joint only; the answer above uses this line): Ours − Joint = −4.9 points (95% CI −9.1 to −1.2; 8 trained models per setting: 4 folds × 2 seeds); Joint is ahead of Ours on average (Joint ahead in 7 of 8 models and in 4 of 4 fold means). " +
        "The t-test over the 8 models gives p = 0.0100, but the seeds of a fold share its training and test cases; over the 4 fold means (seeds averaged, the test of a balanced model with a random fold effect; 95% CI −11.9 to +4.1) p = 0.2205 (Holm with the other five comparisons at the grid's seed: 1.0000), not significant at 0.05.",
    );
  });
});
