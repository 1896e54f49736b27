import { describe, it, expect, afterAll } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { join } from "node:path";
import { readNifti } from "../../lib/data/nifti.ts";
import { encodeNifti, writeNifti, affineToQuatern } from "../../lib/data/nifti-write.ts";
import { DataError } from "../../lib/util/errors.ts";
import { oursVolumes } from "../fixtures/data/ours_volumes.ts";
import { makeRawNifti, tmpDir } from "./helpers.ts";

const FIX = new URL("../fixtures/data/", import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIX, "nifti_expected.json"), "utf8")) as Record<string, any>;
const t = tmpDir();
afterAll(t.cleanup);

const at = (shape: number[], i: number[]) => i[0]! + shape[0]! * (i[1]! + shape[1]! * i[2]!);

describe("readNifti against nibabel (fixtures made by test/fixtures/data/make_fixtures.py)", () => {
  it.each(Object.keys(expected))("%s: shape, zooms, affine, sum and voxels match nibabel", (name) => {
    const e = expected[name];
    const { volume, header } = readNifti(join(FIX, name));
    expect(volume.shape).toEqual(e.shape);
    expect(header.version).toBe(e.version);
    volume.spacing.forEach((s, i) => expect(s).toBeCloseTo(e.zooms[i], 5));
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(volume.affine[r]![c]!).toBeCloseTo(e.affine[r][c], 4);
    let sum = 0;
    for (const v of volume.data) sum += v;
    expect(sum).toBeCloseTo(e.sum, 3);
    for (const [idx, v] of e.voxels) expect(volume.data[at(e.shape, idx)]).toBeCloseTo(v, 5);
  });
});

describe("writeNifti", () => {
  it("produces exactly the committed fixture bytes that nibabel read (ours_*)", () => {
    for (const [name, vol] of Object.entries(oursVolumes())) {
      const committed = readFileSync(join(FIX, name));
      const raw = name.endsWith(".gz") ? gunzipSync(committed) : committed;
      expect(Buffer.from(encodeNifti(vol, "ummkd fixture")).equals(raw), name).toBe(true);
    }
  });
  it("nibabel's qform and sform of our file equal the affine we wrote (within float32 / quaternion precision)", () => {
    const vol = oursVolumes()["ours_oblique_f32.nii.gz"]!;
    const e = expected["ours_oblique_f32.nii.gz"];
    expect(e.qform_code).toBe(1);
    expect(e.sform_code).toBe(1);
    expect(e.dtype).toBe("float32");
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        expect(e.sform[r][c]).toBeCloseTo(vol.affine[r]![c]!, 5);
        // the x-flip + 30 degree rotation is a 180-degree quaternion rotation: a ~ 0 loses float32 digits
        expect(Math.abs(e.qform[r][c] - vol.affine[r]![c]!)).toBeLessThan(2e-3);
      }
    }
    expect(expected["ours_oblique_u8.nii.gz"].dtype).toBe("uint8");
    expect(expected["ours_diag_i16.nii"].dtype).toBe("int16");
    expect(expected["ours_diag_i16.nii"].qform).toEqual([[2, 0, 0, -5], [0, 3, 0, 7], [0, 0, 4, 1], [0, 0, 0, 1]]);
  });
  it("round-trips float32/uint8/int16/int32 through our reader, .nii and .nii.gz", () => {
    const base = oursVolumes()["ours_oblique_f32.nii.gz"]!;
    const arrays = [new Float32Array([1.5, -2, 3.25, 0, 7, 9]), new Uint8Array([0, 1, 2, 3, 4, 255]), new Int16Array([-300, 2, 3, 4, 5, 32767]), new Int32Array([-70000, 1, 2, 3, 4, 5])];
    for (const [k, data] of arrays.entries()) {
      for (const ext of [".nii", ".nii.gz"]) {
        const f = join(t.dir, `rt${k}${ext}`);
        writeNifti(f, { data, shape: [3, 2, 1], spacing: base.spacing, affine: base.affine });
        const back = readNifti(f).volume;
        expect(Array.from(back.data)).toEqual(Array.from(data));
        expect(back.shape).toEqual([3, 2, 1]);
        back.spacing.forEach((s, i) => expect(s).toBeCloseTo(base.spacing[i]!, 5));
      }
    }
  });
  it("affineToQuatern recovers a proper rotation exactly (90 degrees about z)", () => {
    const q = affineToQuatern([[0, -2, 0, 1], [2, 0, 0, 2], [0, 0, 3, 3], [0, 0, 0, 1]]);
    // R = rot_z(90): quaternion (cos45, 0, 0, sin45)
    expect(q.b).toBeCloseTo(0, 12);
    expect(q.c).toBeCloseTo(0, 12);
    expect(q.d).toBeCloseTo(Math.SQRT1_2, 12);
    expect(q.qfac).toBe(1);
    expect(q.spacing).toEqual([2, 2, 3]);
  });
});

describe("readNifti datatypes and scaling (hand-built headers)", () => {
  const cases: Array<[string, number, number, (v: number[]) => Uint8Array]> = [
    ["int8", 256, 8, (v) => new Uint8Array(Int8Array.from(v).buffer)],
    ["uint16", 512, 16, (v) => new Uint8Array(Uint16Array.from(v).buffer)],
    ["int32", 8, 32, (v) => new Uint8Array(Int32Array.from(v).buffer)],
    ["float64", 64, 64, (v) => new Uint8Array(Float64Array.from(v).buffer)],
    ["uint8", 2, 8, (v) => Uint8Array.from(v)],
  ];
  it.each(cases)("%s (NIfTI-1 and -2) with scl_slope 2, scl_inter -1", (_n, code, bits, enc) => {
    const vals = [0, 1, 2, 3, 4, 5, 6, 7];
    for (const version of [1, 2] as const) {
      const bytes = makeRawNifti({ version, dims: [2, 2, 2], datatype: code, bitpix: bits, voxels: enc(vals), pixdim: [0.5, 0.6, 0.7], slope: 2, inter: -1 });
      const f = join(t.dir, `dt_${code}_${version}.nii`);
      writeFileSync(f, bytes);
      const r = readNifti(f);
      expect(r.header.version).toBe(version);
      expect(Array.from(r.volume.data)).toEqual(vals.map((v) => 2 * v - 1));
      // no qform/sform: diag(pixdim)
      expect(r.volume.affine).toEqual([[0.5, 0, 0, 0], [0, expect.closeTo(0.6, 6), 0, 0], [0, 0, expect.closeTo(0.7, 6), 0], [0, 0, 0, 1]]);
    }
  });
  it("prefers the sform over the qform (nibabel's rule)", () => {
    const bytes = makeRawNifti({
      version: 1, dims: [1, 1, 1], datatype: 2, bitpix: 8, voxels: new Uint8Array([5]), pixdim: [1, 1, 1],
      qform: { code: 2, b: 0, c: 0, d: 0, qfac: 1, offset: [9, 9, 9] },
      sform: { code: 1, rows: [[-2, 0, 0, 1], [0, 3, 0, 2], [0, 0, 4, 3]] },
    });
    const f = join(t.dir, "sq.nii");
    writeFileSync(f, bytes);
    expect(readNifti(f).volume.affine).toEqual([[-2, 0, 0, 1], [0, 3, 0, 2], [0, 0, 4, 3], [0, 0, 0, 1]]);
  });
});

describe("readNifti bad input", () => {
  it("truncated .nii.gz -> DataError naming the file", () => {
    const good = readFileSync(join(FIX, "ours_oblique_f32.nii.gz"));
    const f = join(t.dir, "trunc.nii.gz");
    writeFileSync(f, good.subarray(0, good.length - 20));
    expect(() => readNifti(f)).toThrow(DataError);
    expect(() => readNifti(f)).toThrow(/trunc\.nii\.gz: corrupt or truncated gzip/);
  });
  it("gzip that decompresses to too few voxel bytes -> DataError 'truncated'", () => {
    const raw = gunzipSync(readFileSync(join(FIX, "ours_oblique_f32.nii.gz")));
    const f = join(t.dir, "short.nii.gz");
    writeFileSync(f, gzipSync(raw.subarray(0, raw.length - 8)));
    expect(() => readNifti(f)).toThrow(/short\.nii\.gz: truncated/);
  });
  it("a non-image file -> DataError 'not a NIfTI'", () => {
    const f = join(t.dir, "notes.nii");
    writeFileSync(f, "hello, this is not an image".repeat(20));
    expect(() => readNifti(f)).toThrow(/notes\.nii: not a NIfTI-1\/2 file/);
  });
  it("missing file -> DataError", () => {
    expect(() => readNifti(join(t.dir, "nope.nii.gz"))).toThrow(/nope\.nii\.gz: cannot read file/);
  });
  it("4-D with several volumes -> DataError", () => {
    const bytes = makeRawNifti({ version: 1, dims: [1, 1, 1], datatype: 2, bitpix: 8, voxels: new Uint8Array([1, 2]), pixdim: [1, 1, 1] });
    const dv = new DataView(bytes.buffer);
    dv.setInt16(40, 4, true);
    dv.setInt16(48, 2, true);
    const f = join(t.dir, "four.nii");
    writeFileSync(f, bytes);
    expect(() => readNifti(f)).toThrow(/four\.nii: 4-D image with dim\[4\] = 2/);
  });
});
