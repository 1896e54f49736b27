/** Test helpers: temp folders and tiny writers for DICOM, TFRecord/Example and raw NIfTI headers. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeTfRecord } from "../../lib/data/tfrecord.ts";

export function tmpDir(tag = "ummkd-data-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), tag));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- DICOM (explicit VR little endian)

function elem(group: number, el: number, vr: string, value: Uint8Array): Uint8Array {
  let v = value;
  if (v.length % 2) {
    const p = new Uint8Array(v.length + 1);
    p.set(v);
    p[v.length] = vr === "UI" ? 0 : 0x20;
    v = p;
  }
  const long = ["OB", "OW", "SQ", "UN", "UT", "OF"].includes(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, group, true);
  dv.setUint16(2, el, true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, v.length, true);
  else dv.setUint16(6, v.length, true);
  const out = new Uint8Array(head.length + v.length);
  out.set(head);
  out.set(v, head.length);
  return out;
}
const str = (s: string) => new TextEncoder().encode(s);
const u16 = (n: number) => {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, true);
  return b;
};
function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface DicomSliceSpec {
  rows: number;
  cols: number;
  /** Stored (raw) pixel values, row-major [rows][cols]. */
  pixels: Int16Array | Uint16Array;
  ipp: [number, number, number];
  iop?: [number, number, number, number, number, number];
  /** [row spacing, column spacing] as DICOM PixelSpacing. */
  pixelSpacing: [number, number];
  slope?: number;
  intercept?: number;
  series?: string;
}

/** A minimal valid DICOM Part-10 file (128-byte preamble, DICM, meta group, image elements). */
export function makeDicom(s: DicomSliceSpec): Uint8Array {
  const ts = "1.2.840.10008.1.2.1";
  const metaBody = concat([
    elem(0x0002, 0x0001, "OB", new Uint8Array([0, 1])),
    elem(0x0002, 0x0002, "UI", str("1.2.840.10008.5.1.4.1.1.4")),
    elem(0x0002, 0x0003, "UI", str("1.2.3.4.5")),
    elem(0x0002, 0x0010, "UI", str(ts)),
  ]);
  const glen = new Uint8Array(4);
  new DataView(glen.buffer).setUint32(0, metaBody.length, true);
  const signed = s.pixels instanceof Int16Array;
  const px = new Uint8Array(s.pixels.buffer, s.pixels.byteOffset, s.pixels.byteLength);
  const ds = concat([
    elem(0x0008, 0x0060, "CS", str("MR")),
    elem(0x0018, 0x0050, "DS", str("5")),
    elem(0x0020, 0x000e, "UI", str(s.series ?? "1.2.3.99")),
    elem(0x0020, 0x0032, "DS", str(s.ipp.join("\\"))),
    elem(0x0020, 0x0037, "DS", str((s.iop ?? [1, 0, 0, 0, 1, 0]).join("\\"))),
    elem(0x0028, 0x0002, "US", u16(1)),
    elem(0x0028, 0x0004, "CS", str("MONOCHROME2")),
    elem(0x0028, 0x0010, "US", u16(s.rows)),
    elem(0x0028, 0x0011, "US", u16(s.cols)),
    elem(0x0028, 0x0030, "DS", str(s.pixelSpacing.join("\\"))),
    elem(0x0028, 0x0100, "US", u16(16)),
    elem(0x0028, 0x0101, "US", u16(16)),
    elem(0x0028, 0x0102, "US", u16(15)),
    elem(0x0028, 0x0103, "US", u16(signed ? 1 : 0)),
    elem(0x0028, 0x1052, "DS", str(String(s.intercept ?? 0))),
    elem(0x0028, 0x1053, "DS", str(String(s.slope ?? 1))),
    elem(0x7fe0, 0x0010, "OW", px),
  ]);
  return concat([new Uint8Array(128), str("DICM"), elem(0x0002, 0x0000, "UL", glen), metaBody, ds]);
}

// ---------------------------------------------------------------- protobuf / tf.train.Example

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
function ld(field: number, body: Uint8Array): Uint8Array {
  return concat([new Uint8Array([...varint(BigInt((field << 3) | 2)), ...varint(BigInt(body.length))]), body]);
}

export type FeatureSpec = { bytes: Uint8Array } | { int64: number } | { floats: number[] };

/** Serializes a tf.train.Example with the given features. */
export function makeExample(features: Record<string, FeatureSpec>): Uint8Array {
  const entries = Object.entries(features).map(([k, f]) => {
    let feat: Uint8Array;
    if ("bytes" in f) feat = ld(1, ld(1, f.bytes));
    else if ("int64" in f) feat = ld(3, ld(1, new Uint8Array(varint(BigInt(f.int64)))));
    else {
      const b = new Uint8Array(4 * f.floats.length);
      f.floats.forEach((v, i) => new DataView(b.buffer).setFloat32(4 * i, v, true));
      feat = ld(2, ld(1, b));
    }
    return ld(1, concat([ld(1, str(k)), ld(2, feat)]));
  });
  return ld(1, concat(entries));
}

/** A SIFA-style TFRecord file (one example) with float32 C-order data/label of shape [I, J, C]. */
export function makeSifaRecord(image: Float32Array, label: Float32Array, shape: [number, number, number]): Uint8Array {
  const f32 = (a: Float32Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const ex = makeExample({
    dsize_dim0: { int64: shape[0] },
    dsize_dim1: { int64: shape[1] },
    dsize_dim2: { int64: shape[2] },
    lsize_dim0: { int64: shape[0] },
    lsize_dim1: { int64: shape[1] },
    lsize_dim2: { int64: shape[2] },
    bias_dim0: { int64: -10 },
    data_vol: { bytes: f32(image) },
    label_vol: { bytes: f32(label) },
  });
  return encodeTfRecord(ex);
}

// ---------------------------------------------------------------- raw NIfTI headers

export interface RawNiftiSpec {
  version: 1 | 2;
  dims: [number, number, number];
  datatype: number;
  bitpix: number;
  /** Little-endian voxel bytes. */
  voxels: Uint8Array;
  pixdim: [number, number, number];
  slope?: number;
  inter?: number;
  qform?: { code: number; b: number; c: number; d: number; qfac: number; offset: [number, number, number] };
  sform?: { code: number; rows: number[][] };
}

/** Hand-built NIfTI-1 (348 + 4) or NIfTI-2 (540 + 4) single-file image. */
export function makeRawNifti(s: RawNiftiSpec): Uint8Array {
  const hl = s.version === 1 ? 348 : 540;
  const off = hl + 4;
  const buf = new ArrayBuffer(off + s.voxels.length);
  const dv = new DataView(buf);
  const q = s.qform ?? { code: 0, b: 0, c: 0, d: 0, qfac: 1, offset: [0, 0, 0] as [number, number, number] };
  const sf = s.sform ?? { code: 0, rows: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]] };
  const pix = [q.qfac, ...s.pixdim, 0, 0, 0, 0];
  const dims = [3, ...s.dims, 1, 1, 1, 1];
  if (s.version === 1) {
    dv.setInt32(0, 348, true);
    dims.forEach((v, i) => dv.setInt16(40 + 2 * i, v, true));
    dv.setInt16(70, s.datatype, true);
    dv.setInt16(72, s.bitpix, true);
    pix.forEach((v, i) => dv.setFloat32(76 + 4 * i, v, true));
    dv.setFloat32(108, off, true);
    dv.setFloat32(112, s.slope ?? 0, true);
    dv.setFloat32(116, s.inter ?? 0, true);
    dv.setInt16(252, q.code, true);
    dv.setInt16(254, sf.code, true);
    [q.b, q.c, q.d, ...q.offset].forEach((v, i) => dv.setFloat32(256 + 4 * i, v, true));
    sf.rows.forEach((r, i) => r.forEach((v, j) => dv.setFloat32(280 + (i * 4 + j) * 4, v, true)));
    "n+1\0".split("").forEach((c, i) => dv.setUint8(344 + i, c.charCodeAt(0)));
  } else {
    dv.setInt32(0, 540, true);
    [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a].forEach((c, i) => dv.setUint8(4 + i, c));
    dv.setInt16(12, s.datatype, true);
    dv.setInt16(14, s.bitpix, true);
    dims.forEach((v, i) => dv.setBigInt64(16 + 8 * i, BigInt(v), true));
    pix.forEach((v, i) => dv.setFloat64(104 + 8 * i, v, true));
    dv.setBigInt64(168, BigInt(off), true);
    dv.setFloat64(176, s.slope ?? 0, true);
    dv.setFloat64(184, s.inter ?? 0, true);
    dv.setInt32(344, q.code, true);
    dv.setInt32(348, sf.code, true);
    [q.b, q.c, q.d, ...q.offset].forEach((v, i) => dv.setFloat64(352 + 8 * i, v, true));
    sf.rows.forEach((r, i) => r.forEach((v, j) => dv.setFloat64(400 + (i * 4 + j) * 8, v, true)));
  }
  const out = new Uint8Array(buf);
  out.set(s.voxels, off);
  return out;
}
