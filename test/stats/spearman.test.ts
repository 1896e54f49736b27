/**
 * Spearman's rho against scipy 1.17.1 (`scipy.stats.spearmanr(a, b).statistic`, values copied
 * once from `python3 -c "from scipy.stats import spearmanr; print(spearmanr(a, b).statistic)"`)
 * and hand cases.
 */
import { describe, expect, it } from "vitest";
import { averageRanks, spearman } from "../../lib/stats/index.ts";
import { ShapeError } from "../../lib/util/errors.ts";

describe("averageRanks", () => {
  it("gives ties the mean of the ranks they span (scipy rankdata 'average')", () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([3, 1, 3, 3])).toEqual([3, 1, 3, 3]);
    expect(averageRanks([5])).toEqual([1]);
  });
});

describe("spearman", () => {
  it.each([
    // [a, b, scipy]
    [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], -1],
    [[1, 2, 3, 4, 5], [2, 3, 4, 5, 6], 1],
    [[1, 2, 2, 3], [1, 3, 2, 4], 0.9486832980505139],
    [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8], 0.19885368120992467],
    [[1, 2, 3, 4, 5], [5, 6, 7, 8, 7], 0.8207826816681233],
    // Table I (cpu run): our overall mean Dice of the 7 settings vs the paper's (joint-kd and y-shaped tie at 86.8)
    [[64.22753699069638, 64.20725902379696, 64.26115005022514, 60.075054931932684, 62.52540894352345, 63.67679525383037, 59.14364823700362], [86.6, 86.3, 86.8, 86.8, 87.1, 87.6, 88.8], -0.6306562238868914],
  ])("spearman(%j, %j) = %f", (a, b, want) => {
    expect(spearman(a, b)).toBeCloseTo(want, 12);
  });
  it("without ties equals 1 - 6 sum d^2 / (n (n^2 - 1)) (hand case: d = 1, -1, 0 -> 1 - 12/24)", () => {
    expect(spearman([1, 2, 3], [2, 1, 3])).toBe(0.5);
  });
  it("is NaN for a constant sample and throws on unpaired input", () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(ShapeError);
    expect(() => spearman([1], [1])).toThrow(ShapeError);
  });
});
