/**
 * Reliability suite, round 2 (issue #27), the rest of it: geometry that is never silently wrong
 * (class 7: a label whose affine is mirrored, oblique or shifted relative to its image, on the
 * train and prepare paths; class 8: DICOM series with a slice gap, PixelSpacing <= 0, a
 * RescaleSlope that is not a number, an all-zero orientation) and a damaged cache record that is
 * named and refused instead of retrained behind a warning (class 5). Same harness as
 * round2.test.ts: the real CLI, exit 1, one `ummkd <cmd>:` line naming the file and the problem,
 * no stack trace, the case's folder byte-identical afterwards.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import { readDicomSeries } from "../../lib/data/dicom.ts";
import { writeNifti } from "../../lib/data/nifti-write.ts";
import type { Affine } from "../../lib/data/types.ts";
import { validateConfig } from "../../lib/plan/config.ts";
import { expandPlans } from "../../lib/plan/plan.ts";
import { makeDicom } from "../data/helpers.ts";
import { expectRefusal, niftiBytes, runCli, type RefusalCase } from "./helpers.ts";

const writeJson = (p: string, v: unknown) => {
  writeFileSync(p, JSON.stringify(v));
  return p;
};

// --- affines of a label relative to its image (spacing 1, 1, 2 as niftiBytes' default) ---
const SP: [number, number, number] = [1, 1, 2];
const IMAGE_AFFINE = diagonalAffine(SP, [10, -20, 30]);
/** The image's affine with voxel axis i reversed (same spacing, same voxels: a left-right flip in the world). */
const MIRRORED_I: Affine = [[-1, 0, 0, 10], [0, 1, 0, -20], [0, 0, 2, 30], [0, 0, 0, 1]];
/** The image's affine rotated 10 degrees about the world z axis (an oblique label). */
const c10 = Math.cos((10 * Math.PI) / 180);
const s10 = Math.sin((10 * Math.PI) / 180);
const OBLIQUE: Affine = [[c10, -s10, 0, 10], [s10, c10, 0, -20], [0, 0, 2, 30], [0, 0, 0, 1]];
/** The image's affine with its origin moved 5 mm along y. */
const SHIFTED = diagonalAffine(SP, [10, -15, 30]);

const SHAPE: [number, number, number] = [16, 16, 2];
/** A CHAOS-style NIfTI folder (prepare chaos --src) whose label has the given affine. */
function chaosPair(dir: string, labelAffine: Affine): string {
  const src = join(dir, "chaos");
  mkdirSync(src);
  writeFileSync(join(src, "image_1.nii"), niftiBytes(SHAPE, { affine: IMAGE_AFFINE, spacing: SP }));
  writeFileSync(join(src, "label_1.nii"), niftiBytes(SHAPE, { affine: labelAffine, spacing: SP, data: new Uint8Array(16 * 16 * 2) }));
  return src;
}
/** A train config on NIfTI pairs whose CT label has the given affine. */
function trainOnPair(dir: string, labelAffine: Affine): string[] {
  mkdirSync(join(dir, "in"));
  for (const f of ["ct.nii", "mr.nii", "mrl.nii"]) writeFileSync(join(dir, "in", f), niftiBytes(SHAPE, { affine: IMAGE_AFFINE, spacing: SP }));
  writeFileSync(join(dir, "in", "ctl.nii"), niftiBytes(SHAPE, { affine: labelAffine, spacing: SP }));
  const cfg = {
    train: { profile: "smoke", model: { network: "dilated2d", setting: "ours", width: 1 / 32, numClasses: 5, init: "he" }, seed: 4, steps: 2, batchSize: 2, validateEvery: 0, checkpointEvery: 1 },
    data: { kind: "nifti", train: { ct: [{ image: "in/ct.nii", label: "in/ctl.nii" }], mri: [{ image: "in/mr.nii", label: "in/mrl.nii" }] } },
  };
  return ["train", "--config", writeJson(join(dir, "cfg.json"), cfg), "--out", join(dir, "run"), "--progress", "none"];
}

// --- DICOM series (info on a folder) ---
type SliceOver = Partial<Parameters<typeof makeDicom>[0]>;
/** A 2x2 DICOM series with one slice per z position; `over(k)` edits slice k's tags. */
function dicomSeries(dir: string, zs: number[], over: (k: number) => SliceOver = () => ({})): string {
  const d = join(dir, "series");
  mkdirSync(d);
  zs.forEach((z, k) => writeFileSync(join(d, `IM${k}.dcm`), makeDicom({ rows: 2, cols: 2, pixels: Int16Array.from([k, 1, 2, 3]), ipp: [0, 0, z], pixelSpacing: [1, 1], ...over(k) })));
  return d;
}

/** A smoke experiment config and the hash of its one plan (its cache record's file name). */
const expCfg = { name: "cachecase", artefact: "test", task: "cardiac", network: "dilated2d", settings: ["joint"], norms: ["batch"], alphas: [0] };
const smokeHash = () => expandPlans(validateConfig(expCfg, "c.json"), "smoke")[0]!.hash;
/** Case env: the run store, cache and training folder inside the case's folder. */
const runDirs = (d: string) => ({ UMMKD_RUN_STORE: join(d, "store"), UMMKD_CACHE: join(d, "cache"), UMMKD_TRAIN_DIR: join(d, "train") });

const CASES: RefusalCase[] = [
  // --- class 7: one geometry check for every image/label pair ---
  { name: "prepare chaos: a label mirrored along i relative to its image", stderr: [/label_1\.nii: the label's affine is mirrored along voxel axis i/, /image_1\.nii/, /misaligned/], setup: (d) => ["prepare", "chaos", "--src", chaosPair(d, MIRRORED_I), "--out", join(d, "o"), "--quiet"] },
  { name: "prepare chaos: a label oblique (10 degrees) to its image", stderr: [/label_1\.nii: the label's affine is oblique to the image's: voxel axis i is rotated by 10\.0 degrees/], setup: (d) => ["prepare", "chaos", "--src", chaosPair(d, OBLIQUE), "--out", join(d, "o"), "--quiet"] },
  { name: "prepare chaos: a label whose origin is 5 mm off its image's", stderr: [/label_1\.nii: the label's affine has its origin shifted by 5\.000 mm/], setup: (d) => ["prepare", "chaos", "--src", chaosPair(d, SHIFTED), "--out", join(d, "o"), "--quiet"] },
  { name: "train (nifti data): a CT label mirrored along i", stderr: [/ctl\.nii: the label's affine is mirrored along voxel axis i/, /ct\.nii/], setup: (d) => trainOnPair(d, MIRRORED_I) },
  { name: "train (nifti data): a CT label oblique to its image", stderr: [/ctl\.nii: the label's affine is oblique/], setup: (d) => trainOnPair(d, OBLIQUE) },
  // --- class 8: DICOM ---
  { name: "DICOM: a slice gap (z = 0, 2, 4, 6, 20) is not stacked as uniform 2 mm", stderr: [/series: slice spacing is not uniform: 14\.000 mm between .*IM3\.dcm and .*IM4\.dcm, 2\.000 mm between most slices/], setup: (d) => ["info", dicomSeries(d, [0, 2, 4, 6, 20])] },
  { name: "DICOM: two spacings mixed (z = 0, 1, 2, 4, 6, 8)", stderr: [/slice spacing is not uniform/], setup: (d) => ["info", dicomSeries(d, [0, 1, 2, 4, 6, 8])] },
  { name: "DICOM: PixelSpacing 0", stderr: [/IM0\.dcm: PixelSpacing is 0\\1, expected two positive numbers/], setup: (d) => ["info", dicomSeries(d, [0, 2], () => ({ pixelSpacing: [0, 1] }))] },
  { name: "DICOM: PixelSpacing negative", stderr: [/IM\d\.dcm: PixelSpacing is 1\\-0\.5, expected two positive numbers/], setup: (d) => ["info", dicomSeries(d, [0, 2], () => ({ pixelSpacing: [1, -0.5] }))] },
  { name: "DICOM: RescaleSlope 'abc' (all-NaN voxels before)", stderr: [/IM1\.dcm: RescaleSlope is "abc", expected a number/], setup: (d) => ["info", dicomSeries(d, [0, 2], (k) => (k === 1 ? { slope: "abc" as unknown as number } : {}))] },
  { name: "DICOM: RescaleIntercept 'x'", stderr: [/RescaleIntercept is "x", expected a number/], setup: (d) => ["info", dicomSeries(d, [0, 2], () => ({ intercept: "x" as unknown as number }))] },
  { name: "DICOM: all-zero ImageOrientationPatient (not 'two slices share one position')", stderr: [/IM\d\.dcm: ImageOrientationPatient is 0\\0\\0\\0\\0\\0, expected two orthogonal unit vectors/], setup: (d) => ["info", dicomSeries(d, [0, 2], () => ({ iop: [0, 0, 0, 0, 0, 0] }))] },
  { name: "DICOM: parallel row and column directions", stderr: [/ImageOrientationPatient is 1\\0\\0\\1\\0\\0, expected two orthogonal unit vectors .*dot product 1\.000/], setup: (d) => ["info", dicomSeries(d, [0, 2], () => ({ iop: [1, 0, 0, 1, 0, 0] }))] },
  // --- class 5: a damaged cache record is named and refused, not retrained ---
  {
    name: "experiment: a truncated cache record is named with how to go on (rm it or --force), nothing trained",
    stderr: [/^ummkd experiment: .*cache\/[0-9a-f]{16}\.json: not a readable run record \(truncated or corrupt JSON/m, /rm '.*[0-9a-f]{16}\.json'\) or rerun with --force/],
    env: runDirs,
    setup: (d) => {
      mkdirSync(join(d, "cache"));
      writeFileSync(join(d, "cache", `${smokeHash()}.json`), '{"key": "trunc');
      return ["experiment", "--config", writeJson(join(d, "c.json"), expCfg), "--profile", "smoke", "--out", join(d, "out")];
    },
  },
];

describe.concurrent("geometry, DICOM and cache records on bad input (issue #27 classes 7, 8, 5)", () => {
  it.concurrent.for(CASES)("$name", (c, { expect }) => expectRefusal(c, expect));
});

describe("what the checks still accept", () => {
  it("a label on its image's grid trains and prepares as before (the check is not a blanket refusal)", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-case-"));
    try {
      const r = await runCli(["prepare", "chaos", "--src", chaosPair(d, IMAGE_AFFINE), "--out", join(d, "o"), "--quiet"]);
      expect(r.code, r.stderr).toBe(0);
      const m = JSON.parse(readFileSync(join(d, "o", "manifest.json"), "utf8")) as { cases: unknown[] };
      expect(m.cases).toHaveLength(1);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
  it("DICOM slice positions with sub-1% jitter stay one uniform series", () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-case-"));
    try {
      const s = readDicomSeries(dicomSeries(d, [0, 2.004, 3.998, 6.001]));
      expect(s.volume.shape).toEqual([2, 2, 4]);
      expect(s.volume.spacing[2]).toBeCloseTo(2, 2);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
  it("a DICOM series with RescaleSlope 1 and RescaleIntercept 0 keeps its stored values", () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-case-"));
    try {
      const dir = dicomSeries(d, [0, 2]);
      const s = readDicomSeries(dir);
      expect([...s.volume.data.slice(0, 4)]).toEqual([0, 1, 2, 3]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("the NIfTI writer never writes what its reader rejects (class 8)", () => {
  it.each([[[0, 1, 2]], [[1, -1, 2]], [[1, 1, Number.NaN]]])("spacing %j is refused naming the file, and nothing is written", (spacing) => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-case-"));
    try {
      const vol = { data: new Uint8Array(8), shape: [2, 2, 2] as [number, number, number], spacing: spacing as [number, number, number], affine: diagonalAffine([1, 1, 2]) };
      expect(() => writeNifti(join(d, "x.nii.gz"), vol)).toThrow(new RegExp(`x\\.nii\\.gz: spacing \\[.*\\] is not three positive numbers; not written`));
      expect(readdirSync(d)).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
