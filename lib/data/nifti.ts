/**
 * NIfTI-1/2 reader (`.nii`, `.nii.gz`) on top of nifti-reader-js, returning a Volume with physical
 * geometry. Voxels are returned as float32 with scl_slope/scl_inter applied (as nibabel's
 * `get_fdata()`); the affine is the sform when sform_code > 0, else the qform when qform_code > 0,
 * else diag(pixdim) (nibabel's order of preference, except that nibabel's last-resort "base"
 * affine also flips x and centres the grid).
 */
import { readFileSync, statSync } from "node:fs";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import * as nifti from "nifti-reader-js";
import type { Affine, ImageVolume } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { diagonalAffine, spacingFromAffine } from "./geometry.ts";

/** NIfTI datatype codes this reader accepts. */
export const NIFTI_DTYPES = {
  2: "uint8",
  4: "int16",
  8: "int32",
  16: "float32",
  64: "float64",
  256: "int8",
  512: "uint16",
  768: "uint32",
} as const;
export type NiftiDtype = (typeof NIFTI_DTYPES)[keyof typeof NIFTI_DTYPES];

export interface NiftiHeaderInfo {
  version: 1 | 2;
  dtype: NiftiDtype;
  datatypeCode: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  description: string;
}

export interface NiftiReadResult {
  volume: ImageVolume;
  header: NiftiHeaderInfo;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Largest decompressed NIfTI accepted (a gzip bomb is refused before it fills memory). */
export const MAX_NIFTI_BYTES = 4 * 1024 ** 3 - 1;

/** Bits per voxel each datatype must declare. */
const DTYPE_BITS: Record<NiftiDtype, number> = { uint8: 8, int8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32, float32: 32, float64: 64 };

/** Decompress if gzip-magic; throws DataError on a corrupt or truncated gzip stream. */
/**
 * The size a NIfTI header declares (vox_offset + voxels x bytes), read from the first bytes of a
 * file, or undefined when they hold no readable header (the full read then names the problem).
 */
function declaredBytes(head: Buffer): number | undefined {
  if (head.length < 348) return undefined;
  try {
    const ab = toArrayBuffer(head);
    if (!nifti.isNIFTI(ab)) return undefined;
    const h = nifti.readHeader(ab);
    if (!h) return undefined;
    const nd = h.dims[0]!;
    let n = 1;
    for (let i = 1; i <= Math.min(Math.max(nd, 0), 7); i++) n *= Math.max(h.dims[i]!, 1);
    const size = Math.max(h.vox_offset, nifti.isNIFTI2(ab) ? 544 : 352) + (n * h.numBitsPerVoxel) / 8;
    return Number.isFinite(size) && size > 0 ? size : undefined;
  } catch {
    return undefined;
  }
}

function maybeGunzip(buf: Buffer, file: string): Buffer {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    const cap = Math.min(MAX_NIFTI_BYTES, 2 ** 31 - 1);
    // decompress only the first block to read the header, then allow no more than it declares:
    // a gzip bomb is refused before it fills memory
    let head: Buffer | undefined;
    try {
      head = gunzipSync(buf.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 4 * 1024 ** 2 });
    } catch {
      head = undefined;
    }
    const declared = head ? declaredBytes(head) : undefined;
    if (declared !== undefined && declared > cap) throw new DataError(file, `header declares ${declared} bytes of image data, above the limit of ${cap} bytes (${(cap / 1024 ** 3).toFixed(1)} GiB) that ummkd reads`);
    const limit = declared !== undefined ? Math.min(cap, declared + 65536) : cap;
    try {
      return gunzipSync(buf, { maxOutputLength: limit });
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" && declared !== undefined)
        throw new DataError(file, `gzip stream decompresses to more than the ${declared} bytes its header declares (a corrupt file or a gzip bomb); refused`);
      throw new DataError(file, `corrupt or truncated gzip stream (${(e as Error).message})`);
    }
  }
  return buf;
}

/** Reads the sform rows directly from the header bytes (float32 in NIfTI-1, float64 in NIfTI-2). */
function readSform(dv: DataView, version: 1 | 2, le: boolean): Affine {
  const a: Affine = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      a[r]![c] = version === 1 ? dv.getFloat32(280 + (r * 4 + c) * 4, le) : dv.getFloat64(400 + (r * 4 + c) * 8, le);
    }
  }
  return a;
}

/**
 * Reads a NIfTI-1 or NIfTI-2 file.
 * @param file path to `.nii` or `.nii.gz`
 * @returns the volume (float32 voxels, x fastest, shape [nx, ny, nz]; a 2-D image has nz = 1) and header fields
 * @throws DataError if the file is not NIfTI, is truncated/corrupt (sizeof_hdr, bitpix), has a
 *   dimension below 1 or a pixdim that is not finite and positive, a non-finite affine, is 4-D with
 *   more than one volume, or has an unsupported datatype.
 */
export function readNifti(file: string): NiftiReadResult {
  let raw: Buffer;
  try {
    // a regular file only: a FIFO would hang the read, a link to /dev/zero would never end
    const st = statSync(file);
    if (!st.isFile()) throw new DataError(file, `not a regular file (${st.isDirectory() ? "a folder" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isSocket() ? "a socket" : "not a plain file"}); expected a NIfTI file`);
    if (st.size > MAX_NIFTI_BYTES) throw new DataError(file, `${st.size} bytes, above the limit of ${MAX_NIFTI_BYTES} bytes that ummkd reads`);
    raw = readFileSync(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, `cannot read file (${(e as Error).message})`);
  }
  const buf = maybeGunzip(raw, file);
  const ab = toArrayBuffer(buf);
  if (buf.length < 348 || !nifti.isNIFTI(ab)) {
    throw new DataError(file, `not a NIfTI-1/2 file (${buf.length} bytes, no valid header magic)`);
  }
  // sizeof_hdr must be 348 (NIfTI-1) or 540 (NIfTI-2) in the file's byte order, matching the magic.
  const hdrView = new DataView(ab);
  const sizeLe = hdrView.getInt32(0, true);
  const sizeBe = hdrView.getInt32(0, false);
  const magicV2 = nifti.isNIFTI2(ab);
  const wantSize = magicV2 ? 540 : 348;
  if (sizeLe !== wantSize && sizeBe !== wantSize) {
    throw new DataError(file, `corrupt NIfTI-${magicV2 ? 2 : 1} header: sizeof_hdr is ${sizeLe}, expected ${wantSize}`);
  }
  let hdr: ReturnType<typeof nifti.readHeader>;
  try {
    hdr = nifti.readHeader(ab);
  } catch (e) {
    throw new DataError(file, `unreadable NIfTI header (${(e as Error).message})`);
  }
  if (!hdr) throw new DataError(file, "unreadable NIfTI header");
  const version: 1 | 2 = hdr instanceof nifti.NIFTI2 ? 2 : 1;
  const dtype = (NIFTI_DTYPES as Record<number, NiftiDtype>)[hdr.datatypeCode];
  if (!dtype) {
    throw new DataError(file, `unsupported NIfTI datatype code ${hdr.datatypeCode} (supported: ${Object.values(NIFTI_DTYPES).join(", ")})`);
  }
  if (hdr.numBitsPerVoxel !== DTYPE_BITS[dtype]) {
    throw new DataError(file, `corrupt header: bitpix ${hdr.numBitsPerVoxel} does not match datatype ${dtype} (${DTYPE_BITS[dtype]} bits)`);
  }
  const nd = hdr.dims[0]!;
  if (nd < 1 || nd > 7) throw new DataError(file, `invalid dim[0] = ${nd}`);
  for (let i = 1; i <= nd; i++) {
    const di = hdr.dims[i]!;
    if (!Number.isInteger(di) || di < 1) throw new DataError(file, `invalid dim[${i}] = ${di}; every image dimension must be at least 1`);
  }
  for (let i = 1; i <= Math.min(nd, 3); i++) {
    const p = hdr.pixDims[i]!;
    if (!Number.isFinite(p) || p <= 0) throw new DataError(file, `invalid pixdim[${i}] = ${p}; voxel spacing must be a finite positive number of mm`);
  }
  const d = (i: number) => (i <= nd ? hdr.dims[i]! : 1);
  for (let i = 4; i <= nd; i++) {
    if (d(i) > 1) throw new DataError(file, `${nd}-D image with dim[${i}] = ${d(i)}; expected a single 3-D volume`);
  }
  const shape: [number, number, number] = [d(1), d(2), d(3)];
  const n = shape[0] * shape[1] * shape[2];
  const bytesPer = hdr.numBitsPerVoxel / 8;
  // a NaN or negative vox_offset would read the header bytes as voxels (nibabel refuses such a file too)
  if (!Number.isFinite(hdr.vox_offset) || hdr.vox_offset < 0) throw new DataError(file, `invalid vox_offset = ${hdr.vox_offset}; expected a finite byte offset >= ${version === 1 ? 352 : 544}`);
  const offset = Math.max(hdr.vox_offset, version === 1 ? 352 : 544);
  const need = offset + n * bytesPer;
  if (buf.length < need) {
    throw new DataError(file, `truncated: header says ${n} voxels of ${dtype} from byte ${offset} (needs ${need} bytes), file has ${buf.length}`);
  }
  const dv = new DataView(ab, offset, n * bytesPer);
  const le = hdr.littleEndian;
  const out = new Float32Array(n);
  switch (dtype) {
    case "uint8": for (let i = 0; i < n; i++) out[i] = dv.getUint8(i); break;
    case "int8": for (let i = 0; i < n; i++) out[i] = dv.getInt8(i); break;
    case "int16": for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, le); break;
    case "uint16": for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, le); break;
    case "int32": for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, le); break;
    case "uint32": for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, le); break;
    case "float32": for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, le); break;
    case "float64": for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, le); break;
  }
  const slope = hdr.scl_slope;
  const inter = hdr.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && (inter === 0 || !Number.isFinite(inter)))) {
    const b = Number.isFinite(inter) ? inter : 0;
    for (let i = 0; i < n; i++) out[i] = out[i]! * slope + b;
  }
  let affine: Affine;
  if (hdr.sform_code > 0) affine = readSform(new DataView(ab), version, le);
  else if (hdr.qform_code > 0) affine = hdr.getQformMat() as Affine;
  else affine = diagonalAffine([Math.abs(hdr.pixDims[1]!) || 1, Math.abs(hdr.pixDims[2]!) || 1, Math.abs(hdr.pixDims[3]!) || 1]);
  if (affine.some((row) => row.some((v) => !Number.isFinite(v)))) {
    throw new DataError(file, `invalid ${hdr.sform_code > 0 ? "sform" : "qform"} affine (non-finite entries: ${JSON.stringify(affine.slice(0, 3))})`);
  }
  const spacing: [number, number, number] = [
    Math.abs(hdr.pixDims[1]!) || spacingFromAffine(affine)[0],
    nd >= 2 ? Math.abs(hdr.pixDims[2]!) || spacingFromAffine(affine)[1] : 1,
    nd >= 3 ? Math.abs(hdr.pixDims[3]!) || spacingFromAffine(affine)[2] : 1,
  ];
  return {
    volume: { data: out, shape, spacing, affine, source: file },
    header: {
      version,
      dtype,
      datatypeCode: hdr.datatypeCode,
      sclSlope: slope,
      sclInter: inter,
      qformCode: hdr.qform_code,
      sformCode: hdr.sform_code,
      description: hdr.description,
    },
  };
}
