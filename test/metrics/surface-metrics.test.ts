import { describe, expect, test } from "vitest";
import { percentile, surfaceMetrics, surfaceDistances } from "../../lib/metrics/index.ts";
import { OptionError, ShapeError } from "../../lib/util/errors.ts";
import { expectClose, loadFixture } from "./fixtures.ts";

interface PctCase {
  values: number[];
  percentiles: number[];
  expected: number[];
}

describe("percentile (numpy linear)", () => {
  const cases = loadFixture<{ cases: PctCase[] }>("percentile.json").cases;
  test.each(cases.map((c) => [c.values.length, c] as const))("np.percentile, n = %i", (_n, c) => {
    c.percentiles.forEach((p, i) => expectClose(percentile(c.values, p), c.expected[i]!, 1e-14, `p${p}`));
  });
  test("hand: [1,2,3,4] p50 = 2.5, p95 = 3.85; empty -> NaN", () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 95)).toBeCloseTo(3.85, 14);
    expect(percentile([], 95)).toBeNaN();
  });
});

/** 3x3x3 cube at [1..3]^3 in a 6^3 grid, optionally shifted along axis 0. */
function cube(shift: number): Uint8Array {
  const a = new Uint8Array(216);
  for (let k = 1; k <= 3; k++) for (let j = 1; j <= 3; j++) for (let i = 1 + shift; i <= 3 + shift; i++) a[i + 6 * (j + 6 * k)] = 1;
  return a;
}

describe("surfaceMetrics on hand-computed cases", () => {
  // Shifted cubes, spacing [2,1,1]. Each surface has 26 voxels (cube minus centre). pred -> target:
  // 9 voxels of the far face at 2 mm, pred voxel (2,2,2) (target's centre) at 1 mm, 16 at 0.
  // Symmetric by construction. HD 2, ASSD 19/26, pooled p66 = 1 + 0.66*(2-1) (h = 51*0.66 = 33.66,
  // sorted = 32 zeros, 2 ones, 18 twos), per-direction p66: h = 25*0.66 = 16.5 between 1 and 2 = 1.5.
  const pred = { data: cube(1), shape: [6, 6, 6], spacing: [2, 1, 1] };
  const target = { data: cube(0), shape: [6, 6, 6], spacing: [2, 1, 1] };
  const d = surfaceDistances(pred, target);

  test("directed sets", () => {
    expect(d.predToTarget.length).toBe(26);
    expect(d.targetToPred.length).toBe(26);
    const count = (a: Float64Array, v: number) => a.filter((x) => x === v).length;
    expect([count(d.predToTarget, 0), count(d.predToTarget, 1), count(d.predToTarget, 2)]).toEqual([16, 1, 9]);
    expect([count(d.targetToPred, 0), count(d.targetToPred, 1), count(d.targetToPred, 2)]).toEqual([16, 1, 9]);
  });

  test.each([
    [{}, { hd: 2, hd95: 2, assd: 19 / 26 }],
    [{ percentile: 66 }, { hd: 2, hd95: 1.66, assd: 19 / 26 }],
    [{ percentile: 66, percentileMode: "perDirection" as const }, { hd: 2, hd95: 1.5, assd: 19 / 26 }],
    [{ assdMode: "pooled" as const }, { hd: 2, hd95: 2, assd: 38 / 52 }],
  ])("options %j", (opts, exp) => {
    const m = surfaceMetrics(d, opts);
    expect(m.hd).toBe(exp.hd);
    expect(m.hd95).toBeCloseTo(exp.hd95, 12);
    expect(m.assd).toBeCloseTo(exp.assd, 14);
  });

  test("mask touching the image border: outside counts as background (scipy border_value=0)", () => {
    // 2-D: pred = full 3x3, target = its centre. pred's surface = the 8 border pixels (4 at 1 mm,
    // 4 corners at sqrt 2); target's surface = the centre, 1 mm from pred's surface.
    const full = new Uint8Array(9).fill(1);
    const centre = new Uint8Array(9);
    centre[4] = 1;
    const dd = surfaceDistances({ data: full, shape: [3, 3] }, { data: centre, shape: [3, 3] });
    expect(Array.from(dd.predToTarget).sort()).toEqual([1, 1, 1, 1, Math.SQRT2, Math.SQRT2, Math.SQRT2, Math.SQRT2]);
    expect(Array.from(dd.targetToPred)).toEqual([1]);
    const m = surfaceMetrics(dd);
    expect(m.hd).toBe(Math.SQRT2);
    expect(m.hd95).toBe(Math.SQRT2); // 9 pooled values: 5 ones, 4 x sqrt2; h = 7.6
    expect(m.assd).toBeCloseTo(((4 + 4 * Math.SQRT2) / 8 + 1) / 2, 14);
    // The same pixels as a 3-D volume of depth 1: every voxel is on the surface (z faces).
    const d3 = surfaceDistances({ data: full, shape: [3, 3, 1] }, { data: centre, shape: [3, 3, 1] });
    expect(d3.predToTarget.length).toBe(9);
    expect(d3.targetToPred[0]).toBe(0);
  });

  test("empty conventions: both empty NaN, one empty Infinity", () => {
    const z = new Uint8Array(27);
    const one = new Uint8Array(27);
    one[13] = 1;
    const both = surfaceMetrics(surfaceDistances({ data: z, shape: [3, 3, 3] }, { data: z, shape: [3, 3, 3] }));
    expect([both.hd, both.hd95, both.assd].every(Number.isNaN)).toBe(true);
    for (const [p, t] of [[z, one], [one, z]] as const) {
      const dd = surfaceDistances({ data: p, shape: [3, 3, 3] }, { data: t, shape: [3, 3, 3] });
      expect(surfaceMetrics(dd)).toEqual({ hd: Infinity, hd95: Infinity, assd: Infinity });
    }
  });

  test("errors name the parameter", () => {
    expect(() => surfaceMetrics(d, { percentile: 101 })).toThrow(OptionError);
    expect(() => surfaceMetrics(d, { percentileMode: "max" as never })).toThrow(/percentileMode.*pooled/);
    expect(() => surfaceMetrics(d, { assdMode: "x" as never })).toThrow(/assdMode/);
    expect(() => surfaceDistances(pred, { ...target, shape: [6, 6, 5] })).toThrow(ShapeError);
    expect(() => surfaceDistances(pred, { ...target, spacing: [1, 1, 1] })).toThrow(/equal spacings/);
    expect(() => surfaceDistances(pred, { ...target, data: new Uint8Array(5) })).toThrow(/target.*216/);
  });
});
