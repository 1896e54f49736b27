import { describe, it, expect, afterAll, vi } from "vitest";
import { mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { prepareDataset } from "../../lib/data/prepare.ts";
import { writeNifti } from "../../lib/data/nifti-write.ts";
import { readNifti } from "../../lib/data/nifti.ts";
import { encodePngGrey } from "../../lib/data/png.ts";
import { loadChaosCase, loadBtcvCase } from "../../lib/data/abdominal.ts";
import { listMmwhsCases, loadMmwhsCase } from "../../lib/data/cardiac.ts";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import { DataError } from "../../lib/util/errors.ts";
import { main } from "../../lib/cli/main.ts";
import { makeDicom, makeSifaRecord, tmpDir } from "./helpers.ts";

const t = tmpDir();
afterAll(t.cleanup);

const NX = 10, NY = 8, NZ = 4;
/** A CHAOS-like case: a bright 3x2 "liver" (code 1) and a "spleen" voxel (code 4). */
function chaosLike(dir: string, id: string, opts: { labelValue?: number; nan?: boolean; labelShape?: [number, number, number]; labelSpacing?: [number, number, number] } = {}) {
  const n = NX * NY * NZ;
  const img = new Float32Array(n).map((_, i) => (i % 7) + 1);
  const lab = new Float32Array(n);
  for (let z = 1; z < 3; z++) for (let y = 2; y < 4; y++) for (let x = 5; x < 8; x++) {
    lab[x + NX * (y + NY * z)] = 1;
    img[x + NX * (y + NY * z)] = 100;
  }
  lab[2 + NX * (1 + NY * 2)] = opts.labelValue ?? 4;
  if (opts.nan) img[3] = NaN;
  const sp: [number, number, number] = [1.25, 1.25, 7.7];
  writeNifti(join(dir, `image_${id}.nii.gz`), { data: img, shape: [NX, NY, NZ], spacing: sp, affine: diagonalAffine(sp) });
  const ls = opts.labelShape ?? [NX, NY, NZ];
  const lsp = opts.labelSpacing ?? sp;
  const l2 = ls[2] === NZ ? lab : lab.slice(0, ls[0] * ls[1] * ls[2]);
  writeNifti(join(dir, `label_${id}.nii.gz`), { data: l2, shape: ls, spacing: lsp, affine: diagonalAffine(lsp) });
}

function freshDir(name: string): string {
  const d = join(t.dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe("prepareDataset (CHAOS NIfTI layout)", () => {
  it("writes image + label NIfTI per case and a manifest, cropped and normalised", async () => {
    const src = freshDir("chaos_ok");
    chaosLike(src, "1");
    chaosLike(src, "2");
    const out = join(t.dir, "out_ok");
    const m = await prepareDataset("chaos", src, out, { size: [4, 6] });
    expect(m.cases.map((c) => c.id)).toEqual(["1", "2"]);
    expect(readdirSync(out).sort()).toEqual(["manifest.json", "mri"]);
    const man = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(man.classes).toEqual(["background", "liver", "right kidney", "left kidney", "spleen"]);
    const img = readNifti(join(out, "mri/1_image.nii.gz")).volume;
    const lab = readNifti(join(out, "mri/1_label.nii.gz")).volume;
    expect(img.shape).toEqual([6, 4, NZ]);
    expect(img.spacing.map((v) => +v.toFixed(4))).toEqual([1.25, 1.25, 7.7]);
    let mean = 0;
    for (const v of img.data) mean += v / img.data.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    // foreground: 12 liver voxels (x = 5,6,7 four times each) + 1 spleen voxel at x = 2:
    // mean x = (4 * 18 + 2) / 13 = 5.69 -> 6; W = 6 window starts at 6 - 3 = 3 (inside [0, 10 - 6])
    // mean y = (12 * 2.5 + 1) / 13 = 2.38 -> 2; H = 4 window starts at 0
    expect(man.cases[0].meta.preprocess.cropOffset).toEqual([3, 0, 0]);
    // world position of voxel 0 follows the crop (affine shifted by 3 voxels of 1.25 mm)
    expect(img.affine[0]![3]).toBeCloseTo(3 * 1.25, 5);
    // the spleen voxel (x = 2) falls outside the x 3..8 window; the 12 liver voxels are all inside
    expect(new Set(lab.data)).toEqual(new Set([0, 1]));
    expect(man.cases[0].labelCounts).toEqual([6 * 4 * 4 - 12, 12, 0, 0, 0]);
  });

  it.each([
    ["unknown label values", { labelValue: 9 }, /label_1\.nii\.gz: unknown label values 9/],
    ["NaN intensities", { nan: true }, /image_1\.nii\.gz: 1 non-finite/],
    ["label shape mismatch", { labelShape: [NX, NY, 2] as [number, number, number] }, /label_1\.nii\.gz: label shape \[10,8,2\] does not match image shape \[10,8,4\]/],
    ["label spacing mismatch", { labelSpacing: [1, 1, 7.7] as [number, number, number] }, /label_1\.nii\.gz: label spacing/],
  ])("%s -> DataError naming the file; nothing left behind", async (name, opts, re) => {
    const src = freshDir(`chaos_bad_${name.replace(/ /g, "_")}`);
    chaosLike(src, "1", opts);
    const out = join(t.dir, `out_bad_${name.replace(/ /g, "_")}`);
    await expect(prepareDataset("chaos", src, out)).rejects.toThrow(re);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(t.dir).some((f) => f.startsWith(`.out_bad_`))).toBe(false);
  });

  it("corrupt .nii.gz, empty folder and missing label -> DataError", async () => {
    const src = freshDir("chaos_corrupt");
    chaosLike(src, "1");
    const f = join(src, "image_1.nii.gz");
    const b = readFileSync(f);
    writeFileSync(f, b.subarray(0, b.length >> 1));
    await expect(prepareDataset("chaos", src, join(t.dir, "o1"))).rejects.toThrow(/image_1\.nii\.gz: corrupt or truncated gzip/);
    await expect(prepareDataset("chaos", freshDir("empty"), join(t.dir, "o2"))).rejects.toThrow(/empty: no CHAOS cases found/);
    const src2 = freshDir("chaos_nolabel");
    chaosLike(src2, "1");
    writeFileSync(join(src2, "image_2.nii.gz"), readFileSync(join(src2, "image_1.nii.gz")));
    await expect(prepareDataset("chaos", src2, join(t.dir, "o3"))).rejects.toThrow(/label_2\.nii\.gz: label file missing/);
  });

  it("CLI: exit 0 on success, non-zero with a one-line message naming the file on bad input", async () => {
    const src = freshDir("chaos_cli");
    chaosLike(src, "1");
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await main(["prepare", "chaos", "--src", src, "--out", join(t.dir, "cli_out"), "--size", "4x6", "--quiet"])).toBe(0);
    expect(existsSync(join(t.dir, "cli_out", "mri", "1_image.nii.gz"))).toBe(true);
    chaosLike(src, "2", { labelValue: 77 });
    expect(await main(["prepare", "chaos", "--src", src, "--out", join(t.dir, "cli_out2"), "--quiet"])).toBe(1);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/ummkd prepare: .*label_2\.nii\.gz: unknown label values 77/);
    expect(await main(["prepare", "nosuch", "--src", src, "--out", join(t.dir, "x")])).toBe(1);
    expect(await main(["prepare", "chaos", "--src", src, "--out", join(t.dir, "x"), "--spacing", "1,2"])).toBe(1);
    err.mockRestore();
    log.mockRestore();
  });
});

describe("other source layouts", () => {
  it("raw CHAOS: DICOM series + Ground PNG (63/126/189/252) matched by file name", () => {
    const base = freshDir("chaos_raw/MR/7/T2SPIR");
    mkdirSync(join(base, "DICOM_anon"));
    mkdirSync(join(base, "Ground"));
    [2, 0, 1].forEach((z) => {
      const name = `IMG-0002-0000${z}`;
      writeFileSync(join(base, "DICOM_anon", `${name}.dcm`), makeDicom({ rows: 2, cols: 3, pixels: Uint16Array.from({ length: 6 }, () => z * 10), ipp: [0, 0, z * 5], pixelSpacing: [1.5, 1.5] }));
      writeFileSync(join(base, "Ground", `${name}.png`), encodePngGrey(Uint8Array.from([0, 63, 126, 189, 252, z === 1 ? 63 : 0]), 3, 2));
    });
    const c = loadChaosCase(join(t.dir, "chaos_raw"), "7");
    expect(c.image.shape).toEqual([3, 2, 3]);
    expect(c.image.spacing).toEqual([1.5, 1.5, 5]);
    expect(Array.from(c.label!.data.subarray(6, 12))).toEqual([0, 1, 2, 3, 4, 1]);
    expect(c.image.data[6]).toBe(10);
  });
  it("bundled BTCV: label NIfTI + PNG slices of a z sub-range; PNG row = x; label cropped to the range", () => {
    const dir = freshDir("btcv");
    mkdirSync(join(dir, "labels"));
    mkdirSync(join(dir, "images_png", "SABS_3"), { recursive: true });
    // label 3 x 2 x 5 with BTCV codes; z = 1..3 have PNGs
    const lab = new Float32Array(30);
    lab[2 + 3 * (1 + 2 * 2)] = 6; // liver at x=2, y=1, z=2
    lab[0 + 3 * (0 + 2 * 1)] = 1; // spleen at x=0, y=0, z=1
    lab[1] = 8; // aorta at z=0 -> background
    writeNifti(join(dir, "labels", "label_3.nii.gz"), { data: lab, shape: [3, 2, 5], spacing: [0.8, 0.8, 3], affine: diagonalAffine([0.8, 0.8, 3]) });
    for (const z of [1, 2, 3]) {
      // PNG is 2 wide (y) x 3 high (x): pixel (row r = x, col c = y) = 100 z + 10 x + y
      const px = Uint8Array.from({ length: 6 }, (_, k) => 100 * (z - 1) + 10 * Math.floor(k / 2) + (k % 2));
      writeFileSync(join(dir, "images_png", "SABS_3", `image_SABS_3_slice${String(z).padStart(3, "0")}.png`), encodePngGrey(px, 2, 3));
    }
    const c = loadBtcvCase(dir, "3");
    expect(c.image.shape).toEqual([3, 2, 3]);
    expect(c.meta!.zOffset).toBe(1);
    expect(c.image.affine[2]![3]).toBeCloseTo(3, 6);
    // voxel x=2, y=1, local z=1 (global 2): PNG value 100 + 20 + 1
    expect(c.image.data[2 + 3 * (1 + 2 * 1)]).toBe(121);
    expect(c.label!.data[2 + 3 * (1 + 2 * 1)]).toBe(1); // liver -> 1
    expect(c.label!.data[0]).toBe(4); // spleen (global z=1 -> local 0) -> 4
    expect(c.label!.data.reduce((a, v) => a + v, 0)).toBe(5);
  });
  it("MM-WHS NIfTI pairs: codes 205/420/500/820 -> 1..4, others -> 0, unknown -> error", () => {
    const dir = freshDir("mmwhs/ct_train");
    const sp: [number, number, number] = [0.5, 0.5, 0.6];
    const geo = { shape: [4, 1, 1] as [number, number, number], spacing: sp, affine: diagonalAffine(sp) };
    writeNifti(join(dir, "ct_train_1001_image.nii.gz"), { data: Int16Array.from([-1000, 0, 200, 400]), ...geo });
    writeNifti(join(dir, "ct_train_1001_label.nii.gz"), { data: Int16Array.from([205, 500, 850, 820]), ...geo });
    const refs = listMmwhsCases(join(t.dir, "mmwhs"));
    expect(refs.map((r) => [r.id, r.modality])).toEqual([["1001", "ct"]]);
    const c = loadMmwhsCase(refs[0]!);
    expect(Array.from(c.label!.data)).toEqual([1, 3, 0, 4]);
    expect(Array.from(c.image.data)).toEqual([-1000, 0, 200, 400]);
    writeNifti(join(dir, "ct_train_1001_label.nii.gz"), { data: Int16Array.from([205, 421, 0, 0]), ...geo });
    expect(() => loadMmwhsCase(refs[0]!)).toThrow(/ct_train_1001_label\.nii\.gz: unknown label values 421/);
  });
  it("SIFA TFRecords: prepare converts slices without re-normalising", async () => {
    const dir = freshDir("sifa/training_mr");
    const img = Float32Array.from({ length: 4 * 4 * 3 }, (_, k) => k / 7 - 2);
    const lab = Float32Array.from({ length: 48 }, (_, k) => Math.floor(k / 3) % 6);
    writeFileSync(join(dir, "image_mr_01.tfrecords"), makeSifaRecord(img, lab, [4, 4, 3]));
    const out = join(t.dir, "sifa_out");
    const m = await prepareDataset("sifa", join(t.dir, "sifa"), out);
    expect(m.cases).toHaveLength(1);
    expect(m.cases[0]!.modality).toBe("mri");
    const v = readNifti(join(out, m.cases[0]!.image)).volume;
    expect(v.data[1]).toBeCloseTo(img[3]!, 6); // voxel x=1,y=0,z=0 = data_vol[0,1,0]
    expect(new Set(readNifti(join(out, m.cases[0]!.label)).volume.data)).toEqual(new Set([0, 1, 2, 3, 4]));
  });
});
