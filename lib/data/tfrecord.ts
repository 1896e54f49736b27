/**
 * TFRecord reader for the PnP-AdaNet / SIFA cardiac slices, without TensorFlow.
 *
 * Framing per record: uint64 length (LE), uint32 masked CRC-32C of the length bytes, payload,
 * uint32 masked CRC-32C of the payload. Both CRCs are verified. The payload is a
 * `tf.train.Example` protobuf, decoded here by hand (Example{features=1} -> Features{map
 * feature=1} -> Feature{bytes_list=1 | float_list=2 | int64_list=3}).
 */
import { readFileSync } from "node:fs";
import { DataError } from "../util/errors.ts";

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of bytes. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: ((crc >>> 15) | (crc << 17)) + 0xa282ead8, mod 2^32. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Splits a TFRecord file's bytes into record payloads, verifying both CRCs of each record. */
export function readTfRecords(buf: Uint8Array, file: string): Uint8Array[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new DataError(file, `truncated TFRecord header at byte ${off} (record ${out.length})`);
    const len = Number(dv.getBigUint64(off, true));
    const lenCrc = dv.getUint32(off + 8, true);
    if (maskedCrc32c(buf.subarray(off, off + 8)) !== lenCrc) {
      throw new DataError(file, `corrupt TFRecord: length CRC mismatch at byte ${off} (record ${out.length})`);
    }
    const start = off + 12;
    if (start + len + 4 > buf.length) {
      throw new DataError(file, `truncated TFRecord: record ${out.length} needs ${len + 4} bytes from byte ${start}, file has ${buf.length}`);
    }
    const payload = buf.subarray(start, start + len);
    if (maskedCrc32c(payload) !== dv.getUint32(start + len, true)) {
      throw new DataError(file, `corrupt TFRecord: payload CRC mismatch in record ${out.length} (bytes ${start}..${start + len})`);
    }
    out.push(payload);
    off = start + len + 4;
  }
  return out;
}

/** One decoded tf.train.Feature. */
export type Feature = { kind: "bytes"; value: Uint8Array[] } | { kind: "float"; value: number[] } | { kind: "int64"; value: bigint[] };

class Pb {
  pos: number;
  constructor(readonly b: Uint8Array, readonly file: string, start = 0, readonly end = b.length) {
    this.pos = start;
  }
  varint(): bigint {
    let r = 0n;
    let s = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new DataError(this.file, "malformed tf.train.Example: varint runs past the end");
      const x = this.b[this.pos++]!;
      r |= BigInt(x & 0x7f) << s;
      if (!(x & 0x80)) return r;
      s += 7n;
      if (s > 70n) throw new DataError(this.file, "malformed tf.train.Example: varint too long");
    }
  }
  /** Returns [field, wireType, subStart, subEnd] for length-delimited fields. */
  next(): { field: number; wire: number; start: number; end: number; v: bigint } {
    const key = Number(this.varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 2) {
      const len = Number(this.varint());
      const start = this.pos;
      if (start + len > this.end) throw new DataError(this.file, `malformed tf.train.Example: field ${field} overruns its message`);
      this.pos += len;
      return { field, wire, start, end: start + len, v: 0n };
    }
    if (wire === 0) return { field, wire, start: 0, end: 0, v: this.varint() };
    if (wire === 5) {
      this.pos += 4;
      return { field, wire, start: this.pos - 4, end: this.pos, v: 0n };
    }
    if (wire === 1) {
      this.pos += 8;
      return { field, wire, start: this.pos - 8, end: this.pos, v: 0n };
    }
    throw new DataError(this.file, `malformed tf.train.Example: unsupported wire type ${wire}`);
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
}

function decodeFeature(b: Uint8Array, s: number, e: number, file: string): Feature {
  const p = new Pb(b, file, s, e);
  let f: Feature = { kind: "bytes", value: [] };
  while (!p.done) {
    const list = p.next();
    const q = new Pb(b, file, list.start, list.end);
    if (list.field === 1) {
      const value: Uint8Array[] = [];
      while (!q.done) {
        const it = q.next();
        value.push(b.subarray(it.start, it.end));
      }
      f = { kind: "bytes", value };
    } else if (list.field === 2) {
      const value: number[] = [];
      while (!q.done) {
        const it = q.next();
        const dv = new DataView(b.buffer, b.byteOffset + it.start, it.end - it.start);
        if (it.wire === 2) for (let k = 0; k + 4 <= it.end - it.start; k += 4) value.push(dv.getFloat32(k, true));
        else value.push(dv.getFloat32(0, true));
      }
      f = { kind: "float", value };
    } else if (list.field === 3) {
      const value: bigint[] = [];
      while (!q.done) {
        const it = q.next();
        if (it.wire === 2) {
          const r = new Pb(b, file, it.start, it.end);
          while (!r.done) value.push(BigInt.asIntN(64, r.varint()));
        } else value.push(BigInt.asIntN(64, it.v));
      }
      f = { kind: "int64", value };
    }
  }
  return f;
}

/** Decodes a serialized tf.train.Example into its feature map. */
export function decodeExample(payload: Uint8Array, file: string): Map<string, Feature> {
  const out = new Map<string, Feature>();
  const ex = new Pb(payload, file);
  while (!ex.done) {
    const fs = ex.next();
    if (fs.field !== 1 || fs.wire !== 2) continue;
    const feats = new Pb(payload, file, fs.start, fs.end);
    while (!feats.done) {
      const entry = feats.next();
      if (entry.field !== 1 || entry.wire !== 2) continue;
      const e = new Pb(payload, file, entry.start, entry.end);
      let key = "";
      let feat: Feature | undefined;
      while (!e.done) {
        const kv = e.next();
        if (kv.field === 1) key = new TextDecoder().decode(payload.subarray(kv.start, kv.end));
        else if (kv.field === 2) feat = decodeFeature(payload, kv.start, kv.end, file);
      }
      if (feat) out.set(key, feat);
    }
  }
  return out;
}

/** One PnP-AdaNet/SIFA slice triplet. */
export interface SifaSlice {
  /** float32, C-order [256][256][3] exactly as stored (index = (i*W + j)*3 + c). */
  image: Float32Array;
  /** float32 label values, same layout (the label is replicated over the 3 channels). */
  label: Float32Array;
  /** [dim0, dim1, dim2] from dsize_dim0..2. */
  shape: [number, number, number];
}

function floatBytes(ex: Map<string, Feature>, key: string, n: number, file: string): Float32Array {
  const f = ex.get(key);
  if (!f || f.kind !== "bytes" || f.value.length !== 1) throw new DataError(file, `TFRecord example has no bytes feature '${key}'`);
  const b = f.value[0]!;
  if (b.length !== 4 * n) throw new DataError(file, `feature '${key}' has ${b.length} bytes, expected ${4 * n} (float32 x ${n})`);
  const out = new Float32Array(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

function int64Scalar(ex: Map<string, Feature>, key: string, file: string): number {
  const f = ex.get(key);
  if (!f || f.kind !== "int64" || f.value.length !== 1) throw new DataError(file, `TFRecord example has no int64 feature '${key}'`);
  return Number(f.value[0]!);
}

/**
 * Reads a PnP-AdaNet/SIFA `.tfrecords` file (one or more examples with data_vol/label_vol).
 * @throws DataError naming the file on CRC mismatch, truncation, or missing/mis-sized fields.
 */
export function readSifaTfRecord(file: string): SifaSlice[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read file (${(e as Error).message})`);
  }
  if (buf.length === 0) throw new DataError(file, "empty TFRecord file");
  return readTfRecords(buf, file).map((p) => {
    const ex = decodeExample(p, file);
    const shape: [number, number, number] = [int64Scalar(ex, "dsize_dim0", file), int64Scalar(ex, "dsize_dim1", file), int64Scalar(ex, "dsize_dim2", file)];
    const lshape = [int64Scalar(ex, "lsize_dim0", file), int64Scalar(ex, "lsize_dim1", file), int64Scalar(ex, "lsize_dim2", file)];
    if (lshape.some((v, i) => v !== shape[i])) throw new DataError(file, `label size [${lshape}] differs from data size [${shape}]`);
    if (shape.some((v) => !Number.isInteger(v) || v < 1)) throw new DataError(file, `data size [${shape}]: every dimension must be at least 1`);
    const n = shape[0] * shape[1] * shape[2];
    return { image: floatBytes(ex, "data_vol", n, file), label: floatBytes(ex, "label_vol", n, file), shape };
  });
}

/** Encodes one TFRecord record (for writing test files). */
export function encodeTfRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(payload.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(payload, 12);
  dv.setUint32(12 + payload.length, maskedCrc32c(payload), true);
  return out;
}
