import { describe, expect, test } from "vitest";
import { evaluateSegmentation, summarizeClasses } from "../../lib/metrics/index.ts";
import { OptionError, ShapeError } from "../../lib/util/errors.ts";
import type { LabelVolume } from "../../lib/data/types.ts";
import { decodeU8, expectClose, loadFixture, num, sphere } from "./fixtures.ts";

type Num = number | string;
interface Expected {
  predVoxels: number;
  targetVoxels: number;
  dice: Num;
  hd: Num;
  hd95: Num;
  hd95PerDirection: Num;
  assd: Num;
  assdPooled: Num;
}
interface SphereCase {
  name: string;
  shape: number[];
  pred: { radius: number; centre: number[] } | null;
  target: { radius: number; centre: number[] } | null;
  phantomSpacing: number[];
  spacing: number[];
  expected: Expected;
}
interface RandomCase {
  shape: number[];
  spacing: number[];
  labels: number[];
  pred: string;
  target: string;
  classes: (Expected & { label: number })[];
}

function checkAll(got: ReturnType<typeof evaluateSegmentation>[number], gotMonai: typeof got, e: Expected, rtol: number) {
  expect(got.predVoxels).toBe(e.predVoxels);
  expect(got.targetVoxels).toBe(e.targetVoxels);
  expectClose(got.dice, num(e.dice), rtol, "dice");
  expectClose(got.hd, num(e.hd), rtol, "hd");
  expectClose(got.hd95, num(e.hd95), rtol, "hd95 (pooled)");
  expectClose(got.assd, num(e.assd), rtol, "assd (mean of directed)");
  expectClose(gotMonai.hd95, num(e.hd95PerDirection), rtol, "hd95 (per direction)");
  expectClose(gotMonai.assd, num(e.assdPooled), rtol, "assd (pooled)");
}

describe("evaluateSegmentation: hand-computed", () => {
  test("MONAI Dice case 1 (2x2): 0.8; distances 0 / 1 px", () => {
    // pred [[1,0],[0,1]], y [[1,0],[1,1]] (row-major [H][W] -> axis 0 = W fastest)
    const [r] = evaluateSegmentation({ data: [1, 0, 0, 1], shape: [2, 2] }, { data: [1, 0, 1, 1], shape: [2, 2] });
    expect(r!.dice).toBeCloseTo(0.8, 15);
    // every pixel is a surface pixel; pred ⊂ target; target's extra pixel is 1 px from pred.
    expect(r!.hd).toBe(1);
    expect(r!.assd).toBeCloseTo((0 + 1 / 3) / 2, 15);
  });

  test("one-voxel objects, anisotropic 3-D: distance sqrt((2*2)^2 + (1*3)^2) = 5", () => {
    const shape = [4, 5, 4];
    const p = new Uint8Array(80);
    const t = new Uint8Array(80);
    p[1 + 4 * (1 + 5 * 1)] = 1;
    t[1 + 4 * (3 + 5 * 2)] = 1;
    const [r] = evaluateSegmentation({ data: p, shape, spacing: [0.5, 2, 3] }, { data: t, shape, spacing: [0.5, 2, 3] });
    expect(r).toMatchObject({ label: 1, dice: 0, hd: 5, hd95: 5, assd: 5, predVoxels: 1, targetVoxels: 1 });
  });

  test("multi-class with absent classes: NaN / Infinity conventions, labels order kept", () => {
    const shape = [4, 4];
    const t = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2];
    const p = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const rows = evaluateSegmentation({ data: p, shape }, { data: t, shape }, { labels: [3, 2, 1] });
    expect(rows.map((r) => r.label)).toEqual([3, 2, 1]);
    expect(rows[0]).toMatchObject({ dice: NaN, hd: NaN, hd95: NaN, assd: NaN, predVoxels: 0, targetVoxels: 0 });
    expect(rows[1]).toMatchObject({ dice: 0, hd: Infinity, hd95: Infinity, assd: Infinity, predVoxels: 0, targetVoxels: 4 });
    expect(rows[2]).toMatchObject({ dice: 1, hd: 0, hd95: 0, assd: 0 });
    // default labels: non-zero values present in either image
    expect(evaluateSegmentation({ data: p, shape }, { data: t, shape }).map((r) => r.label)).toEqual([1, 2]);
    // reductions skip NaN and Infinity and count them
    const s = summarizeClasses([rows, rows.slice(2)]);
    const hd2 = s.find((r) => r.label === 2 && r.metric === "hd")!;
    expect(hd2).toMatchObject({ nValid: 0, n: 1, nInfinite: 1 });
    const dice3 = s.find((r) => r.label === 3 && r.metric === "dice")!;
    expect(dice3).toMatchObject({ nValid: 0, nNaN: 1 });
    expect(s.find((r) => r.label === 1 && r.metric === "dice")).toMatchObject({ mean: 1, std: 0, nValid: 2 });
  });

  test("accepts Volume<Uint8Array> (lib/data) with its spacing", () => {
    const mk = (i: number): LabelVolume => {
      const data = new Uint8Array(27);
      data[i] = 1;
      const affine: LabelVolume["affine"] = [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
      return { data, shape: [3, 3, 3], spacing: [2, 1, 1], affine };
    };
    // voxel (0,0,0) vs (2,0,0): 2 voxels apart on axis 0 at 2 mm
    expect(evaluateSegmentation(mk(0), mk(2))[0]).toMatchObject({ dice: 0, hd: 4, hd95: 4, assd: 4 });
  });

  test("errors", () => {
    const a = { data: new Uint8Array(8), shape: [2, 2, 2], spacing: [1, 1, 1] };
    expect(() => evaluateSegmentation(a, { ...a, shape: [2, 4] })).toThrow(ShapeError);
    expect(() => evaluateSegmentation(a, { ...a, spacing: [1, 1, 2] })).toThrow(/pred and target must have equal spacings/);
    expect(() => evaluateSegmentation(a, a, { labels: [1, 1] })).toThrow(OptionError);
    expect(() => evaluateSegmentation(a, a, { spacing: [1, 0, 1] })).toThrow(/spacing/);
    expect(() => evaluateSegmentation(a, a, { percentileMode: "nope" as never })).toThrow(/percentileMode/);
    expect(() => evaluateSegmentation({ ...a, shape: [2, 2, 2, 1] }, a)).toThrow(/shape must be/);
    // an explicit spacing option overrides (and so resolves) differing image spacings
    expect(evaluateSegmentation(a, { ...a, spacing: [1, 1, 2] }, { spacing: [1, 1, 1], labels: [1] })).toHaveLength(1);
  });
});

describe("evaluateSegmentation: MONAI sphere phantoms (99^3), expected values from scipy (make_fixtures.py)", () => {
  const cases = loadFixture<{ cases: SphereCase[] }>("spheres.json").cases;
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const mk = (s: SphereCase["pred"]) =>
      s ? sphere(s.radius, s.centre, c.shape, c.phantomSpacing) : new Uint8Array(c.shape[0]! * c.shape[1]! * c.shape[2]!);
    const pred = { data: mk(c.pred), shape: c.shape, spacing: c.spacing };
    const target = { data: mk(c.target), shape: c.shape, spacing: c.spacing };
    const [got] = evaluateSegmentation(pred, target, { labels: [1] });
    const [monai] = evaluateSegmentation(pred, target, { labels: [1], percentileMode: "perDirection", assdMode: "pooled" });
    checkAll(got!, monai!, c.expected, 1e-9);
  });

  test("MONAI's published expected values (tests/metrics/test_hausdorff_distance.py, test_surface_distance.py)", () => {
    const run = (p: [number, number[]], t: [number, number[]], sp = [1, 1, 1]) => {
      const shape = [99, 99, 99];
      const pred = { data: sphere(p[0], p[1], shape, sp), shape, spacing: sp };
      const target = { data: sphere(t[0], t[1], shape, sp), shape, spacing: sp };
      return evaluateSegmentation(pred, target, { labels: [1], percentileMode: "perDirection", assdMode: "pooled" })[0]!;
    };
    expect(run([20, [20, 20, 20]], [20, [19, 19, 19]]).hd).toBeCloseTo(1.7320508075688772, 6);
    const r2040 = run([20, [20, 33, 22]], [40, [20, 33, 22]]);
    expect(r2040.hd).toBeCloseTo(20.223748416156685, 6);
    expect(r2040.hd95).toBeCloseTo(20.09975124224178, 6);
    expect(r2040.assd).toBeCloseTo(15.117741, 5);
    expect(run([33, [19, 33, 22]], [33, [20, 33, 22]]).assd).toBeCloseTo(0.350217, 5);
    const S = [0.85, 1.2, 0.9];
    expect(run([20, [20, 20, 20]], [20, [19, 19, 19]], S).hd).toBeCloseTo(2.2671568, 6);
    expect(run([15, [20, 33, 22]], [30, [20, 33, 22]], S).hd).toBeCloseTo(15.62594, 5);
    expect(run([33, [42, 45, 52]], [33, [43, 45, 52]], S).assd).toBeCloseTo(0.4951, 4);
  });
});

describe("evaluateSegmentation: random anisotropic multi-class volumes vs scipy", () => {
  const cases = loadFixture<{ cases: RandomCase[] }>("random.json").cases;
  test.each(cases.map((c, i) => [i, c.shape.join("x"), c] as const))("case %i (%s)", (_i, _s, c) => {
    const pred = { data: decodeU8(c.pred), shape: c.shape, spacing: c.spacing };
    const target = { data: decodeU8(c.target), shape: c.shape, spacing: c.spacing };
    const got = evaluateSegmentation(pred, target, { labels: c.labels });
    const monai = evaluateSegmentation(pred, target, { labels: c.labels, percentileMode: "perDirection", assdMode: "pooled" });
    c.classes.forEach((e, k) => {
      expect(got[k]!.label).toBe(e.label);
      checkAll(got[k]!, monai[k]!, e, 1e-9);
    });
  });
});
