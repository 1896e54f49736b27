/**
 * Reads the project's real data (../shared/data/real, or UMMKD_DATA) and checks shapes, spacings and
 * label sets against that folder's README. Skipped, with a message, where the data are absent.
 */
import { describe, it, expect, afterAll } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { findDataRoot } from "../../lib/data/root.ts";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";
import { readNifti } from "../../lib/data/nifti.ts";
import { readPngStack } from "../../lib/data/png.ts";
import { readSifaTfRecord } from "../../lib/data/tfrecord.ts";
import { distinctValues } from "../../lib/data/labels.ts";
import { listChaosCases, loadChaosCase, listBtcvCases, loadBtcvCase } from "../../lib/data/abdominal.ts";
import { loadSifaFile, listSifaFiles } from "../../lib/data/cardiac.ts";
import { loadOrCreateSplits, splitsPath, SPLIT_SEED } from "../../lib/data/splits.ts";
import { prepareDataset } from "../../lib/data/prepare.ts";
import { CaseBatchSource } from "../../lib/train/batch-source.ts";
import { loadBundledAbdominal, loadBundledSifa, loadPrepared } from "../../lib/data/bundled.ts";
import { tmpDir } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";

const root = findDataRoot();
if (!root) console.warn("test/data/real.test.ts: real data not found (../shared/data/real or UMMKD_DATA); skipping real-data tests");
const R = root ?? "/nonexistent";
const t = tmpDir();
afterAll(t.cleanup);

const close3 = (a: number[], b: number[], d = 3) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, d));

describe.skipIf(!root)(`${REQUIRES.realdata} real data: CHAOS T2-SPIR MRI (README section 2)`, () => {
  it("20 cases with the README ids", () => {
    expect(listChaosCases(join(R, "chaos_t2_mr"))).toEqual("1 2 3 5 8 10 13 15 19 20 21 22 31 32 33 34 36 37 38 39".split(" "));
  });
  it.each(["1", "38"])("case %s: float64 256x256xZ (Z 31..46), 1.25x1.25x7.7 mm, LAS, labels {0..4}", (id) => {
    const raw = readNifti(join(R, "chaos_t2_mr", `label_${id}.nii.gz`));
    expect(raw.header.dtype).toBe("float64");
    expect(distinctValues(raw.volume.data)).toEqual([0, 1, 2, 3, 4]);
    const c = loadChaosCase(join(R, "chaos_t2_mr"), id);
    expect(c.image.shape.slice(0, 2)).toEqual([256, 256]);
    expect(c.image.shape[2]).toBeGreaterThanOrEqual(31);
    expect(c.image.shape[2]).toBeLessThanOrEqual(46);
    close3(c.image.spacing, [1.25, 1.25, 7.7]);
    // LAS: i -> left (RAS x decreasing), j -> anterior, k -> superior
    expect(c.image.affine[0]![0]).toBeLessThan(0);
    expect(c.image.affine[1]![1]).toBeGreaterThan(0);
    expect(c.image.affine[2]![2]).toBeGreaterThan(0);
    expect(distinctValues(c.label!.data)).toEqual([0, 1, 2, 3, 4]);
    let max = -Infinity, min = Infinity;
    for (const v of c.image.data) { if (v > max) max = v; if (v < min) min = v; }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeGreaterThan(300);
    expect(max).toBeLessThan(5000);
  });
});

describe.skipIf(!root)(`${REQUIRES.realdata} real data: BTCV CT (README section 3)`, () => {
  it("16 cases with CT slices; 30 label volumes", () => {
    expect(listBtcvCases(join(R, "btcv_sabs_ct"))).toEqual(Array.from({ length: 16 }, (_, i) => String(i)));
    expect(readdirSync(join(R, "btcv_sabs_ct", "labels")).filter((f) => f.endsWith(".nii.gz"))).toHaveLength(30);
  });
  it("label_12: float32 257x257xZ, values 0..13 without 4 (gallbladder), LPS", () => {
    const l = readNifti(join(R, "btcv_sabs_ct", "labels", "label_12.nii.gz"));
    expect(l.header.dtype).toBe("float32");
    expect(l.volume.shape.slice(0, 2)).toEqual([257, 257]);
    expect(l.volume.shape[2]).toBeGreaterThanOrEqual(86);
    expect(l.volume.shape[2]).toBeLessThanOrEqual(199);
    expect(distinctValues(l.volume.data)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    // LPS: i -> left (RAS x decreasing), j -> posterior (RAS y decreasing)
    expect(l.volume.affine[0]![0]).toBeLessThan(0);
    expect(l.volume.affine[1]![1]).toBeLessThan(0);
  });
  it("case 4: only slices 021..102 exist -> 82-slice CT, label cropped, zOffset 21; classes {0..4}", () => {
    const c = loadBtcvCase(join(R, "btcv_sabs_ct"), "4");
    expect(c.image.shape).toEqual([257, 257, 82]);
    expect(c.label!.shape).toEqual([257, 257, 82]);
    expect(c.meta!.zOffset).toBe(21);
    expect(c.meta!.zTotal).toBe(118);
    expect(distinctValues(c.label!.data)).toEqual([0, 1, 2, 3, 4]);
    const full = readNifti(join(R, "btcv_sabs_ct", "labels", "label_4.nii.gz")).volume;
    close3(c.image.spacing, full.spacing, 5);
    // the CT's world z of local slice 0 is the label's slice 21
    expect(c.image.affine[2]![3]).toBeCloseTo(full.affine[2]![3]! + 21 * full.affine[2]![2]!, 3);
  });
  it("case 0: PNG slice NNN = label[:, :, NNN]: liver is bright and uniform as stored, not when transposed", () => {
    const c = loadBtcvCase(join(R, "btcv_sabs_ct"), "0");
    expect(c.image.shape).toEqual([257, 257, 148]);
    const stats = (img: Float32Array) => {
      let s = 0, s2 = 0, n = 0;
      for (let i = 0; i < img.length; i++) if (c.label!.data[i] === 1) { s += img[i]!; s2 += img[i]! ** 2; n++; }
      const m = s / n;
      return { mean: m, std: Math.sqrt(s2 / n - m * m) };
    };
    const ours = stats(c.image.data);
    const dir = join(R, "btcv_sabs_ct", "images_png", "SABS_0");
    const files = readdirSync(dir).filter((f) => f.endsWith(".png")).sort().map((f) => join(dir, f));
    const transposed = stats(readPngStack(files, [1, 1, 1], dir, "y").data);
    expect(ours.mean).toBeGreaterThan(140); // README: 164.5 inside the liver on slice 70
    expect(ours.std).toBeLessThan(0.7 * transposed.std);
  });
});

describe.skipIf(!root)(`${REQUIRES.realdata} real data: MM-WHS SIFA TFRecords (README section 1)`, () => {
  const want: Record<string, number[]> = {
    training_ct_image_01: [0, 1, 3, 4, 5],
    training_mr_image_01: [0, 1, 2, 3, 4, 5],
    validation_ct_image_01: [0, 2, 5],
    validation_mr_image_01: [0, 1, 2, 3, 5],
  };
  it.each(Object.keys(want))("%s: 256x256x3, CRCs valid, label set as in the README, label replicated in channels", (stem) => {
    const f = join(R, "mmwhs_sifa", `${stem}.tfrecords`);
    const [s] = readSifaTfRecord(f);
    expect(s!.shape).toEqual([256, 256, 3]);
    expect(distinctValues(s!.label)).toEqual(want[stem]);
    for (let p = 0; p < 256 * 256; p += 97) expect(s!.label[3 * p]).toBe(s!.label[3 * p + 1]);
    let lo = Infinity, hi = -Infinity;
    for (const v of s!.image) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBeGreaterThan(-3);
    expect(hi).toBeLessThan(4);
    const [c] = loadSifaFile(f);
    expect(c!.modality).toBe(stem.includes("_ct_") ? "ct" : "mri");
    expect(distinctValues(c!.label!.data)).toEqual(want[stem]!.filter((v) => v !== 5));
  });
});

describe.skipIf(!root)(`${REQUIRES.realdata} real data: other NIfTI sets (README sections 4, 6)`, () => {
  it("MS-CMRSeg case 1: 256x256xZ (Z 11..19), 1.25x1.25x7.99, labels {0,200,500,600}", () => {
    const l = readNifti(join(R, "mscmrseg_bssfp_mr", "label_1.nii.gz")).volume;
    expect(l.shape.slice(0, 2)).toEqual([256, 256]);
    expect(l.shape[2]).toBeGreaterThanOrEqual(11);
    expect(l.shape[2]).toBeLessThanOrEqual(19);
    close3(l.spacing, [1.25, 1.25, 7.99]);
    expect(distinctValues(l.data)).toEqual([0, 200, 500, 600]);
  });
  it("TotalSegmentator example_ct_sm: int16 122x101x30, 3 mm, RAS, HU -1100..1207", () => {
    const r = readNifti(join(R, "totalsegmentator_samples", "example_ct_sm.nii.gz"));
    expect(r.header.dtype).toBe("int16");
    expect(r.volume.shape).toEqual([122, 101, 30]);
    close3(r.volume.spacing, [3, 3, 3]);
    expect(r.volume.affine[0]![0]).toBeGreaterThan(0);
    expect(r.volume.affine[1]![1]).toBeGreaterThan(0);
    let lo = Infinity, hi = -Infinity;
    for (const v of r.volume.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect([lo, hi]).toEqual([-1100, 1207]);
  });
});

describe.skipIf(!root)(`${REQUIRES.realdata} real data: splits, prepare, sampling`, () => {
  it("the committed data/splits/abdominal.json matches the bundled case lists (and is not rewritten)", () => {
    const f = splitsPath("abdominal", REPO_ROOT);
    expect(existsSync(f)).toBe(true);
    const before = readFileSync(f, "utf8");
    const s = loadOrCreateSplits(f, "abdominal", { ct: listBtcvCases(join(R, "btcv_sabs_ct")), mri: listChaosCases(join(R, "chaos_t2_mr")) }, SPLIT_SEED);
    expect(readFileSync(f, "utf8")).toBe(before);
    expect([s.splits.ct!.train.length, s.splits.ct!.val.length, s.splits.ct!.test.length]).toEqual([11, 2, 3]);
    expect([s.splits.mri!.train.length, s.splits.mri!.val.length, s.splits.mri!.test.length]).toEqual([14, 2, 4]);
  });
  it("prepare abdominal (case id 1 of each modality) and SIFA; sample unpaired 2D and 3D batches", async () => {
    const out = join(t.dir, "abd");
    const m = await prepareDataset("abdominal", R, out, { ids: ["1"], size: [128, 128], spacing: [2.5, 2.5, 0] });
    expect(m.cases.map((c) => `${c.modality}:${c.id}`)).toEqual(["ct:1", "mri:1"]);
    for (const c of m.cases) {
      const img = readNifti(join(out, c.image)).volume;
      expect(img.shape.slice(0, 2)).toEqual([128, 128]);
      close3(img.spacing.slice(0, 2), [2.5, 2.5]);
      expect(c.labelCounts.every((n) => n > 0)).toBe(true); // all four organs survive the ROI crop
    }
    const back = loadPrepared(out, { modality: "mri" });
    expect(back.cases.map((c) => c.id)).toEqual(["1"]);
    expect(back.cases[0]!.label!.data.reduce((a, v) => a + (v === 1 ? 1 : 0), 0)).toBe(m.cases[1]!.labelCounts[1]);
    const sifa = await prepareDataset("sifa", join(R, "mmwhs_sifa"), join(t.dir, "sifa"));
    expect(sifa.cases).toHaveLength(4);
    const bs = loadBundledSifa(R);
    expect([bs.train.ct.length, bs.train.mri.length, bs.val.ct.length, bs.val.mri.length]).toEqual([1, 1, 1, 1]);
    const cases = { ct: [loadChaosCase(join(R, "chaos_t2_mr"), "1")].map((c) => ({ ...c, modality: "ct" as const })), mri: [loadChaosCase(join(R, "chaos_t2_mr"), "2")] };
    const s2 = new CaseBatchSource(cases, "2d", 1).next(1, 2);
    expect(s2.xShape).toEqual([2, 256, 256, 3]);
    const s3 = new CaseBatchSource(cases, "3d", 1).next(0, 2);
    expect(s3.xShape).toEqual([2, 8, 256, 256, 1]);
  });
});

describe.skipIf(!root)(`${REQUIRES.realdata} real data: bundled abdominal dataset by split`, () => {
  it("loads the committed split's first case per split and modality, preprocessed", () => {
    const d = loadBundledAbdominal(R, { maxCases: { train: 1, val: 1, test: 1 }, preprocess: { size: [96, 96] } });
    const split = JSON.parse(readFileSync(d.splitFile, "utf8")).splits;
    for (const sp of ["train", "val", "test"] as const) {
      expect(d.splits[sp].ct.map((c) => c.id)).toEqual([split.ct[sp][0]]);
      expect(d.splits[sp].mri.map((c) => c.id)).toEqual([split.mri[sp][0]]);
      for (const c of [...d.splits[sp].ct, ...d.splits[sp].mri]) {
        expect(c.image.shape.slice(0, 2)).toEqual([96, 96]);
        expect(c.label!.shape).toEqual(c.image.shape);
      }
    }
    expect(d.source.ct).toMatch(/BTCV/);
  });
});
