/**
 * DICOM series reader (uncompressed transfer syntaxes) on top of dicom-parser.
 *
 * Slices are sorted by ImagePositionPatient projected on the slice normal (row x column direction
 * cosines of ImageOrientationPatient); RescaleSlope/Intercept are applied. Pixel (row r, column c)
 * of slice k becomes voxel (x = c, y = r, z = k). DICOM's patient coordinates are LPS; the
 * returned affine is RAS+ like NIfTI's (first two rows negated).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import dicomParser from "dicom-parser";
import type { Affine, ImageVolume } from "./types.ts";
import { DataError } from "../util/errors.ts";

const T = {
  transferSyntax: "x00020010",
  rows: "x00280010",
  cols: "x00280011",
  pixelSpacing: "x00280030",
  ipp: "x00200032",
  iop: "x00200037",
  slope: "x00281053",
  inter: "x00281052",
  bitsAllocated: "x00280100",
  pixelRep: "x00280103",
  samples: "x00280002",
  sliceThickness: "x00180050",
  series: "x0020000e",
  pixelData: "x7fe00010",
} as const;

const UNCOMPRESSED = new Set(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", ""]);

interface Slice {
  file: string;
  pos: [number, number, number];
  iop: number[];
  rows: number;
  cols: number;
  ps: [number, number];
  pixels: Float32Array;
  series: string;
}

function parseSlice(file: string): Slice {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read file (${(e as Error).message})`);
  }
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    const msg = e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify((e as any)?.exception ?? e);
    throw new DataError(file, `not a readable DICOM file (${msg})`);
  }
  const ts = (ds.string(T.transferSyntax) ?? "").trim();
  if (!UNCOMPRESSED.has(ts)) throw new DataError(file, `compressed DICOM transfer syntax ${ts} is not supported (decompress first, e.g. with gdcmconv --raw)`);
  const rows = ds.uint16(T.rows);
  const cols = ds.uint16(T.cols);
  if (!rows || !cols) throw new DataError(file, "DICOM file has no Rows/Columns (not an image)");
  const spp = ds.uint16(T.samples) ?? 1;
  if (spp !== 1) throw new DataError(file, `SamplesPerPixel = ${spp}; expected 1 (greyscale)`);
  const num = (tag: string, i: number, what: string): number => {
    const v = ds.floatString(tag, i);
    if (v === undefined || !Number.isFinite(v)) throw new DataError(file, `missing or invalid ${what}`);
    return v;
  };
  const pos: [number, number, number] = [num(T.ipp, 0, "ImagePositionPatient"), num(T.ipp, 1, "ImagePositionPatient"), num(T.ipp, 2, "ImagePositionPatient")];
  const iop = [0, 1, 2, 3, 4, 5].map((i) => num(T.iop, i, "ImageOrientationPatient"));
  const ps: [number, number] = [num(T.pixelSpacing, 0, "PixelSpacing"), num(T.pixelSpacing, 1, "PixelSpacing")];
  // a zero or negative spacing would become a NIfTI its own reader (and nibabel) rejects
  if (!(ps[0] > 0 && ps[1] > 0)) throw new DataError(file, `PixelSpacing is ${ps.join("\\")}, expected two positive numbers (mm)`);
  checkOrientation(file, iop);
  // absent: the identity rescale; present but not a number ("abc"): an error, never NaN voxels
  const rescale = (tag: string, what: string, absent: number): number => {
    const raw = ds.string(tag);
    if (raw === undefined || raw.trim() === "") return absent;
    const v = Number(raw.trim());
    if (!Number.isFinite(v)) throw new DataError(file, `${what} is ${JSON.stringify(raw)}, expected a number`);
    return v;
  };
  const slope = rescale(T.slope, "RescaleSlope", 1);
  const inter = rescale(T.inter, "RescaleIntercept", 0);
  const bits = ds.uint16(T.bitsAllocated) ?? 16;
  const signed = (ds.uint16(T.pixelRep) ?? 0) === 1;
  const el = ds.elements[T.pixelData];
  if (!el) throw new DataError(file, "DICOM file has no PixelData");
  const n = rows * cols;
  const need = (n * bits) / 8;
  if (el.length < need || el.dataOffset + need > buf.length) {
    throw new DataError(file, `truncated PixelData: ${Math.min(el.length, buf.length - el.dataOffset)} bytes, need ${need} for ${rows}x${cols}x${bits} bit`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset + el.dataOffset, need);
  const le = ts !== "1.2.840.10008.1.2.2";
  const px = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    if (bits === 8) v = signed ? dv.getInt8(i) : dv.getUint8(i);
    else if (bits === 16) v = signed ? dv.getInt16(2 * i, le) : dv.getUint16(2 * i, le);
    else if (bits === 32) v = signed ? dv.getInt32(4 * i, le) : dv.getUint32(4 * i, le);
    else throw new DataError(file, `BitsAllocated = ${bits} is not supported`);
    px[i] = v * slope + inter;
  }
  return { file, pos, iop, rows, cols, ps, pixels: px, series: ds.string(T.series) ?? "" };
}

/**
 * ImageOrientationPatient must be two orthogonal unit vectors (row, column direction cosines);
 * all zeros or a degenerate pair has no slice normal, so slices could not be ordered.
 * @throws DataError naming the file and the vectors
 */
function checkOrientation(file: string, iop: readonly number[]): void {
  const norm = (o: number) => Math.hypot(iop[o]!, iop[o + 1]!, iop[o + 2]!);
  const dot = iop[0]! * iop[3]! + iop[1]! * iop[4]! + iop[2]! * iop[5]!;
  const tol = 1e-2; // DS strings carry a few digits; real series are within 1e-4
  if (Math.abs(norm(0) - 1) > tol || Math.abs(norm(3) - 1) > tol || Math.abs(dot) > tol) {
    throw new DataError(
      file,
      `ImageOrientationPatient is ${iop.join("\\")}, expected two orthogonal unit vectors (row and column direction cosines; lengths ${norm(0).toFixed(3)} and ${norm(3).toFixed(3)}, dot product ${dot.toFixed(3)})`,
    );
  }
}

export interface DicomSeries {
  volume: ImageVolume;
  /** The slice files in z order (index = z), e.g. to match per-slice label PNGs. */
  files: string[];
}

/**
 * Reads a DICOM series from a directory (every regular file in it is taken as a slice, hidden files
 * skipped) or an explicit list of files.
 * @throws DataError naming the folder/file: empty folder, unreadable slice, mixed series, sizes or
 *   orientations that differ, duplicate positions, a gap or non-uniform slice spacing, PixelSpacing
 *   <= 0, a degenerate ImageOrientationPatient, a RescaleSlope/Intercept that is not a number.
 */
export function readDicomSeries(dirOrFiles: string | readonly string[]): DicomSeries {
  const label = typeof dirOrFiles === "string" ? dirOrFiles : dirOrFiles[0] ?? "<dicom series>";
  let files: string[];
  if (typeof dirOrFiles === "string") {
    let names: string[];
    try {
      names = readdirSync(dirOrFiles);
    } catch (e) {
      throw new DataError(dirOrFiles, `cannot list DICOM folder (${(e as Error).message})`);
    }
    files = names.filter((n) => !n.startsWith(".")).map((n) => join(dirOrFiles, n)).filter((f) => statSync(f).isFile());
  } else files = [...dirOrFiles];
  if (files.length === 0) throw new DataError(label, "empty DICOM folder: no slice files");
  const slices = files.map(parseSlice);
  const s0 = slices[0]!;
  for (const s of slices) {
    if (s.series !== s0.series) throw new DataError(s.file, `belongs to series ${s.series}, not ${s0.series} like ${s0.file}`);
    if (s.rows !== s0.rows || s.cols !== s0.cols) throw new DataError(s.file, `slice is ${s.cols}x${s.rows}, expected ${s0.cols}x${s0.rows}`);
    if (s.iop.some((v, i) => Math.abs(v - s0.iop[i]!) > 1e-4)) throw new DataError(s.file, "ImageOrientationPatient differs from the rest of the series");
  }
  const r = s0.iop.slice(0, 3);
  const c = s0.iop.slice(3, 6);
  const nrm = [r[1]! * c[2]! - r[2]! * c[1]!, r[2]! * c[0]! - r[0]! * c[2]!, r[0]! * c[1]! - r[1]! * c[0]!];
  const proj = (s: Slice) => s.pos[0] * nrm[0]! + s.pos[1] * nrm[1]! + s.pos[2] * nrm[2]!;
  slices.sort((a, b) => proj(a) - proj(b));
  let dz = s0.ps[0];
  if (slices.length > 1) {
    const d: number[] = [];
    for (let k = 1; k < slices.length; k++) d.push(proj(slices[k]!) - proj(slices[k - 1]!));
    d.sort((a, b) => a - b);
    dz = d[Math.floor(d.length / 2)]!;
    if (d[0]! < 1e-6) throw new DataError(label, `two slices share one position along the slice normal (${slices.map((s) => s.file).join(", ")})`);
    // a missing slice (z = 0, 2, 4, 6, 20) or mixed spacings would become a uniform stack, every
    // slice after the gap at the wrong position: refused, naming the two slices around the gap
    const tol = Math.max(1e-3, 0.01 * dz);
    for (let k = 1; k < slices.length; k++) {
      const gap = proj(slices[k]!) - proj(slices[k - 1]!);
      if (Math.abs(gap - dz) > tol) {
        throw new DataError(
          label,
          `slice spacing is not uniform: ${gap.toFixed(3)} mm between ${slices[k - 1]!.file} and ${slices[k]!.file}, ${dz.toFixed(3)} mm between most slices (a missing slice, or a series that mixes spacings; ${slices.length} slices)`,
        );
      }
    }
  }
  const nx = s0.cols;
  const ny = s0.rows;
  const data = new Float32Array(nx * ny * slices.length);
  slices.forEach((s, k) => data.set(s.pixels, k * nx * ny));
  const first = slices[0]!;
  const colSp = first.ps[1];
  const rowSp = first.ps[0];
  // LPS affine: x (column index) moves along the row direction, y (row index) along the column direction.
  const lps = [
    [r[0]! * colSp, c[0]! * rowSp, nrm[0]! * dz, first.pos[0]],
    [r[1]! * colSp, c[1]! * rowSp, nrm[1]! * dz, first.pos[1]],
    [r[2]! * colSp, c[2]! * rowSp, nrm[2]! * dz, first.pos[2]],
  ];
  const affine: Affine = [lps[0]!.map((v) => -v), lps[1]!.map((v) => -v), lps[2]!, [0, 0, 0, 1]];
  return {
    volume: { data, shape: [nx, ny, slices.length], spacing: [colSp, rowSp, Math.abs(dz)], affine, source: label },
    files: slices.map((s) => s.file),
  };
}
