/**
 * Named tensors <-> one binary blob + a JSON index (little-endian, float32 / int32 / bool as
 * uint8). Used for model state and optimizer state in checkpoints.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { tf, type Tensor } from "../engine/index.ts";
import { DataError } from "../util/errors.ts";

export interface TensorIndexEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  /** Byte offset in the blob. */
  offset: number;
  /** Byte length. */
  bytes: number;
}

export interface TensorIndex {
  format: "ummkd-tensors-1";
  tensors: TensorIndexEntry[];
  /** SHA-256 (hex) of the blob; checked on read when present (older checkpoints lack it). */
  sha256?: string;
}

/** SHA-256 of bytes, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Encode named tensors (order kept) into a blob and its index. Reads tensor data synchronously (host-memory backends). */
export function encodeTensors(entries: readonly { name: string; tensor: Tensor }[]): { index: TensorIndex; blob: Uint8Array } {
  return encodeValues(entries.map(({ name, tensor }) => ({ name, tensor, data: checkedDtype(name, tensor) && (tensor.dataSync() as NumericData) })));
}

/** `encodeTensors` reading with `await tensor.data()`: works on device backends (webgpu) too. */
export async function encodeTensorsAsync(entries: readonly { name: string; tensor: Tensor }[]): Promise<{ index: TensorIndex; blob: Uint8Array }> {
  const withData: { name: string; tensor: Tensor; data: NumericData }[] = [];
  for (const { name, tensor } of entries) withData.push({ name, tensor, data: checkedDtype(name, tensor) && ((await tensor.data()) as NumericData) });
  return encodeValues(withData);
}

function checkedDtype(name: string, tensor: Tensor): true {
  const dtype = tensor.dtype;
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
    throw new DataError(name, `cannot checkpoint a tensor of dtype ${dtype} (expected float32, int32 or bool)`);
  }
  return true;
}

type NumericData = Float32Array | Int32Array | Uint8Array;

function encodeValues(entries: readonly { name: string; tensor: Tensor; data: NumericData }[]): { index: TensorIndex; blob: Uint8Array } {
  const parts: Uint8Array[] = [];
  const index: TensorIndex = { format: "ummkd-tensors-1", tensors: [] };
  let offset = 0;
  for (const { name, tensor, data } of entries) {
    const dtype = tensor.dtype as "float32" | "int32" | "bool";
    const bytes =
      dtype === "bool"
        ? Uint8Array.from(data as Uint8Array)
        : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    parts.push(bytes);
    index.tensors.push({ name, shape: tensor.shape.slice(), dtype, offset, bytes: bytes.byteLength });
    offset += bytes.byteLength;
  }
  const blob = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    blob.set(p, o);
    o += p.byteLength;
  }
  index.sha256 = sha256Hex(blob);
  return { index, blob };
}

/**
 * Decode a blob written by `encodeTensors`. The caller owns (and must dispose) the returned tensors.
 * The blob's checksum (when the index has one) and the finiteness of every float32 value are
 * checked: a corrupted or diverged checkpoint is refused instead of giving silent garbage.
 * @param file path for error messages
 * @throws DataError naming the file (and tensor) on a bad index, checksum mismatch or NaN/Inf values
 */
export function decodeTensors(index: TensorIndex, blob: Uint8Array, file: string): { name: string; tensor: Tensor }[] {
  if (index?.format !== "ummkd-tensors-1" || !Array.isArray(index.tensors)) {
    throw new DataError(file, `not a tensor index (format ${JSON.stringify(index?.format)}, expected "ummkd-tensors-1")`);
  }
  if (index.sha256 !== undefined && sha256Hex(blob) !== index.sha256) {
    throw new DataError(file, `checksum mismatch (SHA-256 ${sha256Hex(blob).slice(0, 12)}..., the index records ${String(index.sha256).slice(0, 12)}...): the file is corrupt`);
  }
  // Validate everything before creating any tensor (nothing to dispose on error).
  for (const e of index.tensors) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const width = e.dtype === "bool" ? 1 : 4;
    if (e.bytes !== n * width || e.offset + e.bytes > blob.byteLength) {
      throw new DataError(file, `tensor '${e.name}': ${e.bytes} bytes at ${e.offset} do not fit shape [${e.shape}] ${e.dtype} in a ${blob.byteLength}-byte blob`);
    }
    if (e.dtype === "float32") {
      const f = new Float32Array(blob.buffer.slice(blob.byteOffset + e.offset, blob.byteOffset + e.offset + e.bytes));
      for (let i = 0; i < f.length; i++) {
        if (!Number.isFinite(f[i]!)) throw new DataError(file, `tensor '${e.name}' holds a non-finite value (${f[i]} at index ${i}): diverged or corrupt weights, not usable`);
      }
    }
  }
  return index.tensors.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const width = e.dtype === "bool" ? 1 : 4;
    if (e.bytes !== n * width || e.offset + e.bytes > blob.byteLength) {
      throw new DataError(file, `tensor '${e.name}': ${e.bytes} bytes at ${e.offset} do not fit shape [${e.shape}] ${e.dtype} in a ${blob.byteLength}-byte blob`);
    }
    const buf = blob.buffer.slice(blob.byteOffset + e.offset, blob.byteOffset + e.offset + e.bytes);
    const data = e.dtype === "float32" ? new Float32Array(buf) : e.dtype === "int32" ? new Int32Array(buf) : new Uint8Array(buf);
    return { name: e.name, tensor: tf.tensor(data, e.shape, e.dtype) };
  });
}

/** Read `<base>.json` + `<base>.bin` from a directory. */
export function readTensorFiles(jsonPath: string, binPath: string): { name: string; tensor: Tensor }[] {
  let index: TensorIndex;
  try {
    index = JSON.parse(readFileSync(jsonPath, "utf8")) as TensorIndex;
  } catch (e) {
    throw new DataError(jsonPath, `cannot read tensor index: ${(e as Error).message}`);
  }
  let blob: Uint8Array;
  try {
    blob = readFileSync(binPath);
  } catch (e) {
    throw new DataError(binPath, `cannot read tensor blob: ${(e as Error).message}`);
  }
  return decodeTensors(index, blob, binPath);
}
