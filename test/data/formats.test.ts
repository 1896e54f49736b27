import { describe, it, expect, afterAll } from "vitest";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readDicomSeries } from "../../lib/data/dicom.ts";
import { readPngSlice, readPngStack, encodePngGrey } from "../../lib/data/png.ts";
import { crc32c, maskedCrc32c, readSifaTfRecord, decodeExample, readTfRecords } from "../../lib/data/tfrecord.ts";
import { loadSifaFile, sifaModality } from "../../lib/data/cardiac.ts";
import { slice25D } from "../../lib/data/samples.ts";
import { DataError } from "../../lib/util/errors.ts";
import { makeDicom, makeExample, makeSifaRecord, tmpDir } from "./helpers.ts";

const t = tmpDir();
afterAll(t.cleanup);

describe("DICOM series", () => {
  // 3 slices of 2 rows x 3 columns; file order shuffled; z positions 10, 12.5, 15 (axial, IOP identity)
  const dir = join(t.dir, "dicom");
  mkdirSync(dir);
  const zs = [15, 10, 12.5];
  zs.forEach((z, f) => {
    const pixels = Int16Array.from({ length: 6 }, (_, p) => z * 10 + p); // raw value encodes z and pixel
    writeFileSync(join(dir, `IMG-${f}.dcm`), makeDicom({ rows: 2, cols: 3, pixels, ipp: [-100, -50, z], pixelSpacing: [0.9, 0.7], slope: 2, intercept: -1024 }));
  });

  it("sorts by position along the normal, applies rescale, reads spacing", () => {
    const s = readDicomSeries(dir);
    expect(s.volume.shape).toEqual([3, 2, 3]);
    expect(s.volume.spacing).toEqual([0.7, 0.9, 2.5]);
    expect(s.files.map((f) => f.slice(-9))).toEqual(["IMG-1.dcm", "IMG-2.dcm", "IMG-0.dcm"]);
    // voxel (x=2, y=1, z=1): raw = 125 + (row 1 * 3 + col 2) = 130; HU = 2*130 - 1024
    expect(s.volume.data[2 + 3 * (1 + 2 * 1)]).toBe(2 * 130 - 1024);
    expect(s.volume.data[0]).toBe(2 * 100 - 1024);
  });
  it("affine: LPS -> RAS, x along rows (column spacing), y along columns (row spacing)", () => {
    const a = readDicomSeries(dir).volume.affine;
    expect(a).toEqual([[-0.7, -0, -0, 100], [-0, -0.9, -0, 50], [0, 0, 2.5, 10], [0, 0, 0, 1]]);
  });
  it("oblique orientation: the normal comes from ImageOrientationPatient (sagittal series sorted by x)", () => {
    const d2 = join(t.dir, "sag");
    mkdirSync(d2);
    // rows along +y, columns along -z: normal = (0,1,0) x (0,0,-1) = (-1, 0, 0)
    [3, 1, 2].forEach((x, f) => {
      writeFileSync(join(d2, `s${f}`), makeDicom({ rows: 1, cols: 1, pixels: Int16Array.from([x]), ipp: [x, 0, 0], iop: [0, 1, 0, 0, 0, -1], pixelSpacing: [1, 1] }));
    });
    const s = readDicomSeries(d2);
    // ascending along the normal (-x): x = 3, 2, 1
    expect(Array.from(s.volume.data)).toEqual([3, 2, 1]);
    expect(s.volume.spacing[2]).toBe(1);
  });
  it("bad input: empty folder, non-DICOM file, mixed sizes", () => {
    const empty = join(t.dir, "empty");
    mkdirSync(empty);
    expect(() => readDicomSeries(empty)).toThrow(/empty: empty DICOM folder/);
    const bad = join(t.dir, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "x.dcm"), "definitely not DICOM");
    expect(() => readDicomSeries(bad)).toThrow(DataError);
    expect(() => readDicomSeries(bad)).toThrow(/x\.dcm: not a readable DICOM file/);
    const mixed = join(t.dir, "mixed");
    mkdirSync(mixed);
    writeFileSync(join(mixed, "a"), makeDicom({ rows: 2, cols: 2, pixels: new Int16Array(4), ipp: [0, 0, 0], pixelSpacing: [1, 1] }));
    writeFileSync(join(mixed, "b"), makeDicom({ rows: 2, cols: 3, pixels: new Int16Array(6), ipp: [0, 0, 1], pixelSpacing: [1, 1] }));
    expect(() => readDicomSeries(mixed)).toThrow(/slice is 3x2, expected 2x2/);
  });
});

describe("PNG slices", () => {
  it("8-bit and 16-bit greyscale read exactly; stacking in both row conventions", () => {
    const a = Uint8Array.from([0, 10, 20, 30, 40, 255]); // 3 wide, 2 high
    const b = Uint16Array.from([0, 1000, 65535, 7, 300, 42]);
    writeFileSync(join(t.dir, "a.png"), encodePngGrey(a, 3, 2));
    writeFileSync(join(t.dir, "b.png"), encodePngGrey(b, 3, 2));
    const sa = readPngSlice(join(t.dir, "a.png"));
    expect([sa.width, sa.height, sa.bitDepth]).toEqual([3, 2, 8]);
    expect(Array.from(sa.data)).toEqual(Array.from(a));
    const sb = readPngSlice(join(t.dir, "b.png"));
    expect(sb.bitDepth).toBe(16);
    expect(Array.from(sb.data)).toEqual(Array.from(b));
    const v = readPngStack([join(t.dir, "a.png"), join(t.dir, "b.png")], [1, 2, 3]);
    expect(v.shape).toEqual([3, 2, 2]);
    expect(v.spacing).toEqual([1, 2, 3]);
    expect(v.data[1 + 3 * 1 + 6]).toBe(300); // z=1, row 1, col 1
    const vx = readPngStack([join(t.dir, "a.png")], [1, 1, 1], "a", "x");
    expect(vx.shape).toEqual([2, 3, 1]); // x = PNG row
    // voxel (x = row 1, y = col 2) = a[1*3+2] = 255
    expect(vx.data[1 + 2 * 2]).toBe(255);
  });
  it("bad input: not a PNG, size mismatch in a stack, empty stack", () => {
    writeFileSync(join(t.dir, "c.png"), "nope");
    expect(() => readPngSlice(join(t.dir, "c.png"))).toThrow(/c\.png: not a readable PNG/);
    writeFileSync(join(t.dir, "d.png"), encodePngGrey(new Uint8Array(4), 2, 2));
    expect(() => readPngStack([join(t.dir, "a.png"), join(t.dir, "d.png")])).toThrow(/d\.png: slice is 2x2, expected 3x2/);
    expect(() => readPngStack([])).toThrow(DataError);
  });
});

describe("TFRecord (PnP-AdaNet / SIFA)", () => {
  it("CRC-32C check value and the TFRecord mask", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283); // RFC 3720 check value
    const c = 0xe3069283;
    expect(maskedCrc32c(new TextEncoder().encode("123456789"))).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
  it("decodes int64 (incl. negative), float and bytes features", () => {
    const ex = decodeExample(makeExample({ n: { int64: -27 }, f: { floats: [1.5, -2] }, b: { bytes: new Uint8Array([1, 2, 3]) } }), "x");
    expect(ex.get("n")).toEqual({ kind: "int64", value: [-27n] });
    expect(ex.get("f")).toEqual({ kind: "float", value: [1.5, -2] });
    expect(ex.get("b")!.value).toEqual([new Uint8Array([1, 2, 3])]);
  });
  const I = 4, J = 5, C = 3;
  const img = Float32Array.from({ length: I * J * C }, (_, k) => k / 10);
  const lab = Float32Array.from({ length: I * J * C }, (_, k) => Math.floor(k / C) % 6); // 0..5, same in all channels
  const file = join(t.dir, "training_ct_image_01.tfrecords");
  writeFileSync(file, makeSifaRecord(img, lab, [I, J, C]));

  it("reads data_vol/label_vol C-order and maps to the Volume layout (x = j, y = i, z = c)", () => {
    const [s] = readSifaTfRecord(file);
    expect(s!.shape).toEqual([I, J, C]);
    expect(Array.from(s!.image)).toEqual(Array.from(img));
    expect(sifaModality(file)).toBe("ct");
    const [c] = loadSifaFile(file);
    expect(c!.image.shape).toEqual([J, I, C]);
    // data_vol[i=2, j=3, c=1] -> voxel x=3, y=2, z=1
    expect(c!.image.data[3 + J * (2 + I * 1)]).toBe(img[(2 * J + 3) * C + 1]);
    // label 5 -> background, others kept
    const rawL = lab[(2 * J + 3) * C]!;
    expect(c!.label!.data[3 + J * 2]).toBe(rawL === 5 ? 0 : rawL);
    expect(new Set(c!.label!.data)).toEqual(new Set([0, 1, 2, 3, 4]));
    // the 2.5D sample at z = 1 is data_vol itself ([H=I, W=J, 3], C-order)
    expect(Array.from(slice25D(c!.image, c!.label, 1).x)).toEqual(Array.from(img));
  });
  it("corruption: a flipped payload byte or a truncated file -> DataError naming the file", () => {
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[100] = bad[100]! ^ 0xff;
    const f1 = join(t.dir, "bad_ct.tfrecords");
    writeFileSync(f1, bad);
    expect(() => readSifaTfRecord(f1)).toThrow(/bad_ct\.tfrecords: corrupt TFRecord: payload CRC mismatch/);
    const f2 = join(t.dir, "trunc_ct.tfrecords");
    writeFileSync(f2, good.subarray(0, good.length - 10));
    expect(() => readSifaTfRecord(f2)).toThrow(/trunc_ct\.tfrecords: truncated TFRecord/);
    const hdr = Buffer.from(good);
    hdr[0] = hdr[0]! ^ 1;
    expect(() => readTfRecords(hdr, "h.tfrecords")).toThrow(/h\.tfrecords: corrupt TFRecord: length CRC mismatch/);
  });
});

describe("DICOM series written by pydicom (implicit VR, oblique; test/fixtures/data/make_dicom_fixtures.py)", () => {
  it("voxels, spacing, z order and RAS affine match the pydicom-side expectation", () => {
    const fix = new URL("../fixtures/data/", import.meta.url).pathname;
    const e = JSON.parse(readFileSync(join(fix, "dicom_expected.json"), "utf8"));
    const s = readDicomSeries(join(fix, "dicom_pydicom"));
    expect(s.volume.shape).toEqual(e.shape);
    s.volume.spacing.forEach((v, i) => expect(v).toBeCloseTo(e.spacing[i], 6));
    expect(Array.from(s.volume.data)).toEqual(e.voxels);
    expect(s.files.map((f) => f.split("/").pop())).toEqual(e.fileOrder);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(s.volume.affine[r]![c]!).toBeCloseTo(e.affine[r][c], 5);
  });
});
