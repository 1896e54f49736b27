import { describe, expect, test } from "vitest";
import { distanceTransform } from "../../lib/metrics/index.ts";
import { decodeU8, expectClose, loadFixture, num } from "./fixtures.ts";

interface EdtCase {
  shape: number[];
  spacing: number[];
  features: string;
  distance: (number | string)[];
}

describe("distanceTransform (exact EDT, anisotropic)", () => {
  test("hand-computed 1-D row with spacing 2", () => {
    const d = distanceTransform(new Uint8Array([1, 0, 0, 0, 1, 0]), [6, 1], [2, 1]);
    expect(Array.from(d)).toEqual([0, 2, 4, 2, 0, 2]);
  });

  test("hand-computed 3-D single feature: sqrt((2*0.5)^2 + (1*2)^2 + (2*3)^2)", () => {
    const f = new Uint8Array(3 * 3 * 3);
    f[0] = 1; // (0,0,0)
    const d = distanceTransform(f, [3, 3, 3], [0.5, 2, 3]);
    const idx = 2 + 3 * (1 + 3 * 2); // (2,1,2)
    expect(d[idx]).toBeCloseTo(Math.sqrt(1 + 4 + 36), 14);
  });

  test("no feature: Infinity everywhere", () => {
    const d = distanceTransform(new Uint8Array(8), [2, 2, 2]);
    expect(Array.from(d).every((v) => v === Infinity)).toBe(true);
  });

  const cases = loadFixture<{ cases: EdtCase[] }>("edt.json").cases;
  test.each(cases.map((c, i) => [i, c] as const))("scipy distance_transform_edt case %i", (_i, c) => {
    const feat = decodeU8(c.features);
    const d = distanceTransform(feat, c.shape, c.spacing);
    expect(d.length).toBe(c.distance.length);
    c.distance.forEach((e, k) => expectClose(d[k]!, num(e), 1e-12, `voxel ${k}`));
  });
});
