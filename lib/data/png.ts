/**
 * PNG slices (8- or 16-bit greyscale) via pngjs: single slices and stacks of axial slices.
 * A PNG row is an image row, so pixel (row r, column c) goes to voxel (x = c, y = r): a slice is
 * the row-major [ny][nx] plane of the Volume layout with no transpose or flip.
 */
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import type { ImageVolume } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { diagonalAffine } from "./geometry.ts";

export interface PngSlice {
  /** Row-major [height][width] grey values (0..255 or 0..65535, no rescaling). */
  data: Float32Array;
  width: number;
  height: number;
  bitDepth: number;
}

/**
 * Reads one greyscale PNG (8 or 16 bit, with or without alpha). A colour PNG is accepted only
 * if R = G = B everywhere.
 * @throws DataError if the file is not a PNG, is truncated, or is a true-colour image.
 */
export function readPngSlice(file: string): PngSlice {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read file (${(e as Error).message})`);
  }
  checkPngSize(buf, file);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(buf, { skipRescale: true } as any);
  } catch (e) {
    throw new DataError(file, `not a readable PNG (${(e as Error).message})`);
  }
  const { width, height } = png;
  const src = png.data as unknown as ArrayLike<number>;
  const n = width * height;
  if (src.length < 4 * n) throw new DataError(file, `PNG decoded to ${src.length} values, expected ${4 * n}`);
  const out = new Float32Array(n);
  const colour = (png as any).colorType === 2 || (png as any).colorType === 6 || (png as any).colorType === 3;
  for (let i = 0; i < n; i++) {
    const r = src[4 * i]!;
    if (colour && (src[4 * i + 1] !== r || src[4 * i + 2] !== r)) {
      throw new DataError(file, `colour PNG (R != G at pixel ${i % width},${Math.floor(i / width)}); expected greyscale`);
    }
    out[i] = r;
  }
  return { data: out, width, height, bitDepth: (png as any).depth ?? 8 };
}

/** deflate cannot compress better than about 1032:1; allow some slack for filter bytes. */
const MAX_DEFLATE_RATIO = 1100;
/** Largest PNG accepted: 2^25 pixels (e.g. 5792 x 5792; medical slices are at most 1024 x 1024). */
const MAX_PNG_PIXELS = 2 ** 25; // 32 Mpx (e.g. 5792x5792): a 261 KB PNG declaring 2^28 px decoded to 2.7 GB of memory

/**
 * Decoded-size guard: the size the IHDR declares must be reachable from the compressed image data
 * (IDAT bytes) actually present, so a tiny file declaring 16000x16000 is refused before pngjs
 * allocates gigabytes for it.
 * @throws DataError naming the file, the declared size and the bytes present
 */
export function checkPngSize(buf: Uint8Array, file: string): void {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (buf.length < 33 || sig.some((b, i) => buf[i] !== b)) throw new DataError(file, `not a readable PNG (${buf.length} bytes, no PNG signature)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const depth = buf[24]!;
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[buf[25]!] ?? 4;
  if (width < 1 || height < 1) throw new DataError(file, `PNG declares ${width}x${height} pixels; expected at least 1x1`);
  let idat = 0;
  for (let off = 8; off + 8 <= buf.length; ) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
    if (type === "IDAT") idat += Math.min(len, buf.length - off - 8);
    if (type === "IEND") break;
    off += 12 + len;
  }
  const decoded = height * (1 + Math.ceil((width * channels * depth) / 8));
  if (decoded > MAX_DEFLATE_RATIO * idat + 1024) {
    throw new DataError(file, `PNG declares ${width}x${height} pixels (${decoded} bytes decoded) but holds only ${idat} bytes of image data: truncated or corrupt`);
  }
  if (width * height > MAX_PNG_PIXELS) throw new DataError(file, `PNG declares ${width}x${height} pixels, more than the ${MAX_PNG_PIXELS} this reader accepts`);
}

/**
 * Stacks PNG slices (in the given order: index = z) into a volume.
 * @param files one file per z, all the same size
 * @param spacing voxel size [sx, sy, sz] (PNG stores none); default [1,1,1]
 * @param rowAxis "y" (default): PNG row r, column c -> voxel (x = c, y = r). "x": row r, column c
 *   -> voxel (x = r, y = c), i.e. the PNG equals numpy's `vol[:, :, z]` of a nibabel array (how the
 *   SSL-ALPNet BTCV slices were saved).
 * @throws DataError on an empty list or a slice whose size differs from the first.
 */
export function readPngStack(
  files: readonly string[],
  spacing: [number, number, number] = [1, 1, 1],
  source = files[0] ?? "<png stack>",
  rowAxis: "y" | "x" = "y",
): ImageVolume {
  if (files.length === 0) throw new DataError(source, "no PNG slices to stack (empty list)");
  const first = readPngSlice(files[0]!);
  const w = first.width;
  const h = first.height;
  const [nx, ny] = rowAxis === "y" ? [w, h] : [h, w];
  const data = new Float32Array(nx * ny * files.length);
  for (let z = 0; z < files.length; z++) {
    const s = z === 0 ? first : readPngSlice(files[z]!);
    if (s.width !== w || s.height !== h) {
      throw new DataError(files[z]!, `slice is ${s.width}x${s.height}, expected ${w}x${h} like ${files[0]}`);
    }
    const off = z * nx * ny;
    if (rowAxis === "y") data.set(s.data, off);
    else for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) data[off + r + nx * c] = s.data[r * w + c]!;
  }
  return { data, shape: [nx, ny, files.length], spacing, affine: diagonalAffine(spacing), source };
}

/** Encodes a row-major greyscale image as PNG (8 bit from Uint8Array, 16 bit from Uint16Array). */
export function encodePngGrey(data: Uint8Array | Uint16Array, width: number, height: number): Buffer {
  if (data.length !== width * height) throw new DataError("<png>", `data length ${data.length} != ${width}x${height}`);
  const bitDepth = data instanceof Uint16Array ? 16 : 8;
  return PNG.sync.write({ width, height, data: data as any } as any, { bitDepth, colorType: 0, inputColorType: 0, inputHasAlpha: false } as any);
}
