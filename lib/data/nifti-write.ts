/**
 * NIfTI-1 writer (`.nii` or `.nii.gz` via node:zlib), written atomically. Both the qform (rotation
 * as a quaternion + qfac, pixdim, offset; code 1 = scanner) and the sform (the affine's rows;
 * code 1) are set, so nibabel, ITK-SNAP and 3D Slicer place the image identically.
 */
import { gzipSync } from "node:zlib";
import type { Affine, Volume } from "./types.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { DataError, ShapeError } from "../util/errors.ts";
import { spacingFromAffine } from "./geometry.ts";

/** Quaternion parameters of a NIfTI qform (nifti1_io's nifti_mat44_to_quatern, orthogonal case). */
export interface Quatern {
  b: number;
  c: number;
  d: number;
  qfac: 1 | -1;
  offset: [number, number, number];
  spacing: [number, number, number];
}

/**
 * Converts an affine to NIfTI quaternion form. The 3x3 part is assumed to be a rotation (or
 * reflection) times a diagonal scale, as for any grid read from NIfTI or DICOM.
 */
export function affineToQuatern(a: Affine): Quatern {
  const sp = spacingFromAffine(a);
  const r = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[i]![j]! / (sp[j]! || 1)));
  const det =
    r[0]![0]! * (r[1]![1]! * r[2]![2]! - r[1]![2]! * r[2]![1]!) -
    r[0]![1]! * (r[1]![0]! * r[2]![2]! - r[1]![2]! * r[2]![0]!) +
    r[0]![2]! * (r[1]![0]! * r[2]![1]! - r[1]![1]! * r[2]![0]!);
  let qfac: 1 | -1 = 1;
  if (det < 0) {
    qfac = -1;
    for (let i = 0; i < 3; i++) r[i]![2] = -r[i]![2]!;
  }
  const [r11, r12, r13] = r[0]! as [number, number, number];
  const [r21, r22, r23] = r[1]! as [number, number, number];
  const [r31, r32, r33] = r[2]! as [number, number, number];
  let qa = r11 + r22 + r33 + 1;
  let qb: number, qc: number, qd: number;
  if (qa > 0.5) {
    qa = 0.5 * Math.sqrt(qa);
    qb = (0.25 * (r32 - r23)) / qa;
    qc = (0.25 * (r13 - r31)) / qa;
    qd = (0.25 * (r21 - r12)) / qa;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      qb = 0.5 * Math.sqrt(xd);
      qc = (0.25 * (r12 + r21)) / qb;
      qd = (0.25 * (r13 + r31)) / qb;
      qa = (0.25 * (r32 - r23)) / qb;
    } else if (yd > 1) {
      qc = 0.5 * Math.sqrt(yd);
      qb = (0.25 * (r12 + r21)) / qc;
      qd = (0.25 * (r23 + r32)) / qc;
      qa = (0.25 * (r13 - r31)) / qc;
    } else {
      qd = 0.5 * Math.sqrt(zd);
      qb = (0.25 * (r13 + r31)) / qd;
      qc = (0.25 * (r23 + r32)) / qd;
      qa = (0.25 * (r21 - r12)) / qd;
    }
    if (qa < 0) {
      qb = -qb;
      qc = -qc;
      qd = -qd;
    }
  }
  return { b: qb, c: qc, d: qd, qfac, offset: [a[0]![3]!, a[1]![3]!, a[2]![3]!], spacing: sp };
}

type WritableArray = Float32Array | Uint8Array | Int16Array | Int32Array;

function dtypeOf(data: WritableArray): { code: number; bits: number } {
  if (data instanceof Float32Array) return { code: 16, bits: 32 };
  if (data instanceof Uint8Array) return { code: 2, bits: 8 };
  if (data instanceof Int16Array) return { code: 4, bits: 16 };
  return { code: 8, bits: 32 };
}

/**
 * Encodes a volume as NIfTI-1 bytes (header + 4 empty extension bytes + little-endian voxels).
 * @param vol volume with data in NIfTI order (x fastest); dtype follows the array type
 *   (Float32Array -> float32, Uint8Array -> uint8, Int16Array -> int16, Int32Array -> int32)
 */
export function encodeNifti(vol: Volume<WritableArray>, description = "ummkd"): Uint8Array {
  const [nx, ny, nz] = vol.shape;
  if (vol.data.length !== nx * ny * nz) {
    throw new ShapeError(`encodeNifti: data length ${vol.data.length} != prod(shape [${vol.shape}]) = ${nx * ny * nz}`);
  }
  const { code, bits } = dtypeOf(vol.data);
  const buf = new ArrayBuffer(352 + vol.data.byteLength);
  const dv = new DataView(buf);
  dv.setInt32(0, 348, true);
  dv.setUint8(38, "r".charCodeAt(0));
  const dims = [3, nx, ny, nz, 1, 1, 1, 1];
  dims.forEach((v, i) => dv.setInt16(40 + 2 * i, v, true));
  dv.setInt16(70, code, true);
  dv.setInt16(72, bits, true);
  const q = affineToQuatern(vol.affine);
  const pix = [q.qfac, vol.spacing[0], vol.spacing[1], vol.spacing[2], 0, 0, 0, 0];
  pix.forEach((v, i) => dv.setFloat32(76 + 4 * i, v, true));
  dv.setFloat32(108, 352, true); // vox_offset
  dv.setFloat32(112, 1, true); // scl_slope
  dv.setFloat32(116, 0, true); // scl_inter
  dv.setUint8(123, 2 | 8); // xyzt_units: mm, sec
  const desc = description.slice(0, 79);
  for (let i = 0; i < desc.length; i++) dv.setUint8(148 + i, desc.charCodeAt(i) & 0x7f);
  dv.setInt16(252, 1, true); // qform_code scanner
  dv.setInt16(254, 1, true); // sform_code scanner
  dv.setFloat32(256, q.b, true);
  dv.setFloat32(260, q.c, true);
  dv.setFloat32(264, q.d, true);
  q.offset.forEach((v, i) => dv.setFloat32(268 + 4 * i, v, true));
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) dv.setFloat32(280 + (r * 4 + c) * 4, vol.affine[r]![c]!, true);
  "n+1\0".split("").forEach((ch, i) => dv.setUint8(344 + i, ch.charCodeAt(0)));
  const bytes = new Uint8Array(buf);
  // Voxels: platform typed arrays are little-endian on every supported Node platform.
  bytes.set(new Uint8Array(vol.data.buffer, vol.data.byteOffset, vol.data.byteLength), 352);
  return bytes;
}

/**
 * Writes a volume as NIfTI-1 (gzip-compressed when `path` ends in `.gz`), atomically.
 * @see encodeNifti for the dtype rules.
 * @throws DataError naming `path` when the spacing is not three positive numbers
 */
export function writeNifti(path: string, vol: Volume<WritableArray>, description?: string): void {
  // never write a file that readNifti (and nibabel) reject: e.g. a DICOM series with PixelSpacing 0
  if (!vol.spacing.every((v) => Number.isFinite(v) && v > 0)) throw new DataError(path, `spacing [${vol.spacing.join(", ")}] is not three positive numbers; not written (no reader would accept the file)`);
  const bytes = encodeNifti(vol, description);
  writeFileAtomic(path, path.endsWith(".gz") ? gzipSync(bytes, { level: 6 }) : bytes);
}
