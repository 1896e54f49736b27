import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { resampleImage, resampleLabels } from "../../lib/data/resample.ts";
import { cropXY, cropZ, foregroundCentreXY, foregroundZRange, roiCentreXY } from "../../lib/data/crop.ts";
import { percentile, clipTopPercent, zscore } from "../../lib/data/intensity.ts";
import { slice25D, patch3D, choosePatchStart } from "../../lib/data/samples.ts";
import { preprocessCase } from "../../lib/data/preprocess.ts";
import { mapLabelValues } from "../../lib/data/labels.ts";
import { BTCV_LABELS, CHAOS_LABELS, MMWHS_LABELS, SIFA_LABELS } from "../../lib/data/datasets.ts";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import type { ImageVolume, LabelVolume } from "../../lib/data/types.ts";
import { Rng } from "../../lib/util/rng.ts";
import { DataError } from "../../lib/util/errors.ts";

const ref = JSON.parse(readFileSync(new URL("../fixtures/data/preprocess_expected.json", import.meta.url), "utf8"));

function img(data: number[], shape: [number, number, number], spacing: [number, number, number] = [1, 1, 1]): ImageVolume {
  return { data: Float32Array.from(data), shape, spacing, affine: diagonalAffine(spacing) };
}
function lab(data: number[], shape: [number, number, number], spacing: [number, number, number] = [1, 1, 1]): LabelVolume {
  return { data: Uint8Array.from(data), shape, spacing, affine: diagonalAffine(spacing) };
}

describe("label code maps", () => {
  it("MM-WHS, SIFA, CHAOS and BTCV codes map to the paper's classes", () => {
    expect(Array.from(mapLabelValues([0, 205, 420, 500, 820, 550, 600, 850], MMWHS_LABELS, "f"))).toEqual([0, 1, 2, 3, 4, 0, 0, 0]);
    expect(Array.from(mapLabelValues([0, 1, 2, 3, 4, 5], SIFA_LABELS, "f"))).toEqual([0, 1, 2, 3, 4, 0]);
    expect(Array.from(mapLabelValues([0, 1, 2, 3, 4], CHAOS_LABELS, "f"))).toEqual([0, 1, 2, 3, 4]);
    // BTCV: 6 liver -> 1, 2 RK -> 2, 3 LK -> 3, 1 spleen -> 4, the other organs -> 0
    expect(Array.from(mapLabelValues([6, 2, 3, 1, 4, 5, 7, 8, 9, 10, 11, 12, 13, 0], BTCV_LABELS, "f"))).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
  it("unknown values (incl. non-integers) -> DataError naming the file and values", () => {
    expect(() => mapLabelValues([0, 1, 7, 9.5], CHAOS_LABELS, "lab.nii.gz")).toThrow(DataError);
    expect(() => mapLabelValues([0, 1, 7, 9.5], CHAOS_LABELS, "lab.nii.gz")).toThrow(/lab\.nii\.gz: unknown label values 7, 9\.5/);
    expect(() => mapLabelValues([0, 421], MMWHS_LABELS, "mm.nii")).toThrow(/421/);
  });
});

describe("resampling", () => {
  it("1-D trilinear by hand: spacing 2 -> 1 doubles the grid and interpolates midpoints; edge replicates", () => {
    const r = resampleImage(img([0, 10, 20], [3, 1, 1], [2, 1, 1]), [1, 1, 1]);
    expect(r.shape).toEqual([6, 1, 1]);
    // new i at old i/2: 0, 5, 10, 15, 20, 20 (past the end -> edge)
    expect(Array.from(r.data)).toEqual([0, 5, 10, 15, 20, 20]);
    expect(r.spacing).toEqual([1, 1, 1]);
    expect(r.affine[0]![0]).toBe(1);
  });
  it("nearest for labels: 1 -> 0.5 spacing duplicates voxels (round half up)", () => {
    const r = resampleLabels(lab([1, 2, 3], [3, 1, 1]), [0.5, 1, 1]);
    expect(Array.from(r.data)).toEqual([1, 2, 2, 3, 3, 3]);
  });
  it("matches scipy.ndimage.affine_transform(order=1, mode='nearest') on a random 7x6x5 volume", () => {
    const R = ref.resample;
    const r = resampleImage(img(R.input, R.shape, R.spacing), R.target);
    expect(r.shape).toEqual(R.outShape);
    const out: number[] = R.output;
    let maxErr = 0;
    out.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - r.data[i]!))));
    expect(maxErr).toBeLessThan(1e-5);
  });
  it("rejects non-positive spacing", () => {
    expect(() => resampleImage(img([1], [1, 1, 1]), [0, 1, 1])).toThrow(/spacing\[0\]/);
  });
});

describe("ROI crop", () => {
  // 4 x 3 plane, 1 slice; foreground at (x=3, y=2) and (x=1, y=2)
  const L = lab([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1], [4, 3, 1]);
  it("foreground centre is the rounded mean coordinate", () => {
    expect(foregroundCentreXY(L)).toEqual([2, 2]);
    expect(foregroundZRange(lab([0, 0, 1, 0, 1, 0], [1, 1, 6]))).toEqual([2, 4]);
    expect(foregroundZRange(lab([0, 0], [1, 1, 2]))).toBeNull();
  });
  it("crop/pad: window [cx - W/2, cx - W/2 + W) with padding", () => {
    const I = img([...Array(12).keys()], [4, 3, 1]);
    const { volume, offset } = cropXY(I, [2, 3], [2, 2], -1); // H=2, W=3 around (2,2): x 1..3, y 1..2
    expect(offset).toEqual([1, 1, 0]);
    expect(volume.shape).toEqual([3, 2, 1]);
    expect(Array.from(volume.data)).toEqual([5, 6, 7, 9, 10, 11]);
    expect(volume.affine[0]![3]).toBe(1);
    const pad = cropXY(I, [2, 2], [0, 0], -1).volume; // x -1..0, y -1..0
    expect(Array.from(pad.data)).toEqual([-1, -1, -1, 0]);
  });
  it("roiCentreXY keeps the window inside a large-enough plane, centres it on a small one", () => {
    expect(roiCentreXY(L, [4, 3, 1], [2, 2])).toEqual([2, 2]); // fits as is
    expect(roiCentreXY(lab([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [4, 3, 1]), [4, 3, 1], [2, 2])).toEqual([1, 1]); // pushed in from (0,0)
    expect(roiCentreXY(L, [4, 3, 1], [5, 6])).toEqual([2, 1]); // W=6 > 4: start -1 -> centre 2; H=5 > 3: start -1 -> centre 1
  });
  it("cropZ keeps an inclusive range and shifts the affine", () => {
    const v = cropZ(img([0, 1, 2, 3], [1, 1, 4], [1, 1, 2]), 1, 2);
    expect(Array.from(v.data)).toEqual([1, 2]);
    expect(v.affine[2]![3]).toBe(2);
  });
});

describe("intensity", () => {
  it("percentile: numpy linear rule by hand", () => {
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
    expect(percentile([0, 10], 98)).toBeCloseTo(9.8, 12);
    expect(percentile([4, 1, 3, 2], 25)).toBeCloseTo(1.75, 12);
  });
  it("clip at the 98th percentile + z-score matches numpy", () => {
    const x = Float32Array.from(ref.clip.input);
    const t = clipTopPercent(x, 98);
    expect(t).toBeCloseTo(ref.clip.p98, 3);
    const { mean, std } = zscore(x);
    expect(mean).toBeCloseTo(ref.clip.mean, 3);
    expect(std / ref.clip.std).toBeCloseTo(1, 6);
    (ref.clip.zscored as number[]).forEach((v, i) => expect(Math.abs(v - x[i]!)).toBeLessThan(1e-5));
  });
  it("z-score by hand: [1, 3] -> [-1, 1]", () => {
    const x = Float32Array.from([1, 3]);
    expect(zscore(x)).toEqual({ mean: 2, std: 1 });
    expect(Array.from(x)).toEqual([-1, 1]);
  });
});

describe("2.5D samples and 3D patches", () => {
  // 2 x 1 plane, 3 slices: voxel value = 10 z + x
  const I = img([0, 1, 10, 11, 20, 21], [2, 1, 3]);
  const L = lab([0, 1, 2, 3, 4, 0], [2, 1, 3]);
  it("slice z -> [H, W, 3] with channels z-1, z, z+1 and the middle label; edges replicate", () => {
    expect(Array.from(slice25D(I, L, 1).x)).toEqual([0, 10, 20, 1, 11, 21]);
    expect(Array.from(slice25D(I, L, 1).y)).toEqual([2, 3]);
    expect(Array.from(slice25D(I, L, 0).x)).toEqual([0, 0, 10, 1, 1, 11]);
    expect(Array.from(slice25D(I, L, 2).x)).toEqual([10, 20, 20, 11, 21, 21]);
    expect(() => slice25D(I, L, 3)).toThrow(/z/);
  });
  it("3D patch [D, H, W] from z0, replicating past the end", () => {
    const p = patch3D(I, L, 1, 3);
    expect(Array.from(p.x)).toEqual([10, 11, 20, 21, 20, 21]);
    expect(Array.from(p.y)).toEqual([2, 3, 4, 0, 4, 0]);
  });
  it("patch start: half aligned 8-blocks (last clamped), half centred in the foreground range", () => {
    const rng = new Rng(3);
    const aligned = new Set<number>();
    const centred = new Set<number>();
    for (let k = 0; k < 400; k++) {
      const z = choosePatchStart(rng, 30, 8, [12, 14]);
      if ([0, 8, 16, 22].includes(z)) aligned.add(z);
      else centred.add(z);
    }
    // aligned: 0, 8, 16, 24 -> clamped to 22; centred: zc in 12..14 -> start 8..10 (8 overlaps an aligned start)
    expect([...aligned].sort((a, b) => a - b)).toEqual([0, 8, 16, 22]);
    expect([...centred].sort((a, b) => a - b)).toEqual([9, 10]);
    const again = new Rng(3);
    const a1 = Array.from({ length: 20 }, () => choosePatchStart(again, 30, 8, [12, 14]));
    const again2 = new Rng(3);
    expect(Array.from({ length: 20 }, () => choosePatchStart(again2, 30, 8, [12, 14]))).toEqual(a1);
    expect(choosePatchStart(new Rng(1), 5, 8, null)).toBe(0);
  });
});

describe("preprocessCase", () => {
  it("crop around the foreground, clip the top 2%, z-score; label follows the image", () => {
    const n = 6 * 4 * 2;
    const data = Array.from({ length: n }, (_, i) => i);
    const L = Array.from({ length: n }, (_, i) => (i % 6 === 4 && Math.floor(i / 6) % 4 === 2 ? 1 : 0)); // x=4, y=2
    const c = preprocessCase({ id: "a", modality: "ct", image: img(data, [6, 4, 2]), label: lab(L, [6, 4, 2]) }, { size: [2, 2] });
    expect(c.image.shape).toEqual([2, 2, 2]);
    const rec = c.meta!.preprocess as any;
    expect(rec.cropOffset).toEqual([3, 1, 0]); // centre (4,2) -> window x 3..4, y 1..2
    // source values at the window: z=0: 9,10,15,16; z=1: 33,34,39,40
    const src = [9, 10, 15, 16, 33, 34, 39, 40];
    const t = percentile(src, 98);
    const clipped = src.map((v) => Math.min(v, t));
    const m = clipped.reduce((a, b) => a + b) / 8;
    const sd = Math.sqrt(clipped.reduce((a, b) => a + (b - m) ** 2, 0) / 8);
    clipped.forEach((v, i) => expect(c.image.data[i]).toBeCloseTo((v - m) / sd, 5));
    expect(Array.from(c.label!.data)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
  });
  it("NaN intensities and grid mismatches are DataErrors naming the file", () => {
    const bad = img([1, NaN, 2, 3], [2, 2, 1]);
    bad.source = "nan.nii.gz";
    expect(() => preprocessCase({ id: "b", modality: "mri", image: bad })).toThrow(/nan\.nii\.gz: 1 non-finite/);
    const l = lab([0, 0], [2, 1, 1]);
    l.source = "lab.nii.gz";
    expect(() => preprocessCase({ id: "c", modality: "mri", image: img([1, 2, 3, 4], [2, 2, 1]), label: l })).toThrow(/lab\.nii\.gz: label shape \[2,1,1\] does not match image shape \[2,2,1\]/);
    const l2 = lab([0, 0, 0, 0], [2, 2, 1], [1, 1, 3]);
    l2.source = "lab2.nii.gz";
    expect(() => preprocessCase({ id: "d", modality: "mri", image: img([1, 2, 3, 4], [2, 2, 1]), label: l2 })).toThrow(/lab2\.nii\.gz: label spacing/);
  });
});

describe("percentile by selection equals percentile by sorting", () => {
  it.each([1, 2, 3, 10, 101, 5000])("n = %i, with ties, p in {0, 2, 50, 97.5, 98, 100}", (n) => {
    const rng = new Rng(n);
    const x = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 7 : Math.round(rng.normal() * 100) / 10));
    const s = Float64Array.from(x).sort();
    for (const p of [0, 2, 50, 97.5, 98, 100]) {
      const pos = ((n - 1) * p) / 100;
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      expect(percentile(x, p)).toBeCloseTo(s[lo]! + (pos - lo) * (s[hi]! - s[lo]!), 12);
    }
  });
});

describe("reorientation (slicePlane)", () => {
  it("permuteAxes moves voxels and the affine together (world positions unchanged)", async () => {
    const { permuteAxes, sliceAxisIndex } = await import("../../lib/data/geometry.ts");
    // 2 x 3 x 4 volume, value = x + 10 y + 100 z; affine with distinct columns
    const data = Float32Array.from({ length: 24 }, (_, i) => (i % 2) + 10 * (Math.floor(i / 2) % 3) + 100 * Math.floor(i / 6));
    const v: ImageVolume = { data, shape: [2, 3, 4], spacing: [1, 2, 3], affine: [[0, 0, 3, 5], [-1, 0, 0, 6], [0, 2, 0, 7], [0, 0, 0, 1]] };
    const p = permuteAxes(v, [0, 2, 1]); // new (i, j, k) = old (x, z, y)
    expect(p.shape).toEqual([2, 4, 3]);
    expect(p.spacing).toEqual([1, 3, 2]);
    // new voxel (1, 3, 2) = old (x=1, y=2, z=3) = 1 + 20 + 300
    expect(p.data[1 + 2 * (3 + 4 * 2)]).toBe(321);
    const world = (a: number[][], ijk: number[]) => [0, 1, 2].map((r) => a[r]![0]! * ijk[0]! + a[r]![1]! * ijk[1]! + a[r]![2]! * ijk[2]! + a[r]![3]!);
    expect(world(p.affine, [1, 3, 2])).toEqual(world(v.affine, [1, 2, 3]));
    // axial = axis most aligned with world z (row 2): column 1 here; coronal = world y (row 1): column 0
    expect(sliceAxisIndex(v.affine, "axial")).toBe(1);
    expect(sliceAxisIndex(v.affine, "coronal")).toBe(0);
    expect(sliceAxisIndex(v.affine, "sagittal")).toBe(2);
  });
  it("preprocessCase with slicePlane 'y' slices along y (label follows)", () => {
    const data = Array.from({ length: 24 }, (_, i) => i);
    const L = Array.from({ length: 24 }, (_, i) => (i === 5 ? 1 : 0)); // x=1, y=2, z=0
    const c = preprocessCase({ id: "p", modality: "ct", image: img(data, [2, 3, 4]), label: lab(L, [2, 3, 4]) }, { slicePlane: "y", size: undefined, clipPercent: 0, zscore: false });
    expect(c.image.shape).toEqual([2, 4, 3]); // (x, z, y)
    expect(c.image.data[1 + 2 * (0 + 4 * 2)]).toBe(5);
    expect(c.label!.data[1 + 2 * (0 + 4 * 2)]).toBe(1);
    expect((c.meta!.preprocess as any).axisOrder).toEqual([0, 2, 1]);
  });
});
