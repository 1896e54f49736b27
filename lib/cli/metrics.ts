/**
 * `ummkd metrics --pred PRED --label LABEL [--labels 1,2,3,4] [--json]`
 *
 * Dice, Hausdorff distance, HD95 and ASSD per class between two NIfTI label images (`.nii` or
 * `.nii.gz`), distances in millimetres from the header voxel spacing (pixdim), medpy definitions
 * (see lib/metrics/surface_metrics.ts). `--json` prints
 * `{"classes": [{"label", "dice", "hd", "hd95", "assd"}, ...]}`; JSON has no NaN/Infinity, so
 * those are written as the strings "NaN" and "Infinity" (both masks empty / one mask empty).
 *
 * Errors (exit 1, one line): unreadable file, shapes or spacings that differ, non-integer voxels.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import * as nifti from "nifti-reader-js";
import { parseFlags } from "./args.ts";
import { DataError, OptionError, ShapeError } from "../util/errors.ts";
import { evaluateSegmentation, type ClassMetrics } from "../metrics/index.ts";

const USAGE = `usage: ummkd metrics --pred PRED.nii[.gz] --label LABEL.nii[.gz] [--labels 1,2,3,4] [--json]

Per-class Dice, Hausdorff distance (HD), HD95 and average symmetric surface distance (ASSD),
distances in mm from the NIfTI header spacing; medpy definitions. Default labels: every non-zero
value present in either image. NaN = class absent from both images; Infinity = absent from one.`;

interface LabelFile {
  data: Float64Array;
  shape: number[];
  spacing: number[];
}

/** Voxel readers per NIfTI datatype code: [bytes per voxel, reader]. */
const READERS: Record<number, [number, (v: DataView, o: number, le: boolean) => number]> = {
  2: [1, (v, o) => v.getUint8(o)],
  256: [1, (v, o) => v.getInt8(o)],
  4: [2, (v, o, le) => v.getInt16(o, le)],
  512: [2, (v, o, le) => v.getUint16(o, le)],
  8: [4, (v, o, le) => v.getInt32(o, le)],
  768: [4, (v, o, le) => v.getUint32(o, le)],
  16: [4, (v, o, le) => v.getFloat32(o, le)],
  64: [8, (v, o, le) => v.getFloat64(o, le)],
};

/**
 * Private NIfTI label reader (nifti-reader-js): integer-valued voxels after scl_slope/scl_inter,
 * spatial shape [nx, ny(, nz)] (trailing singleton dims dropped), spacing = pixdim.
 */
function readLabelNifti(file: string): LabelFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataError(file, `corrupt gzip stream (${(e as Error).message})`);
    }
  }
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  if (!nifti.isNIFTI(ab)) throw new DataError(file, "not a NIfTI-1/NIfTI-2 file (bad header magic)");
  const h = nifti.readHeader(ab);
  const reader = READERS[h.datatypeCode];
  if (!reader) throw new DataError(file, `unsupported NIfTI datatype code ${h.datatypeCode} for a label image`);
  const nd = h.dims[0]!;
  const dims = h.dims.slice(1, 1 + nd);
  while (dims.length > 2 && dims[dims.length - 1] === 1) dims.pop();
  if (dims.length < 2 || dims.length > 3) {
    throw new DataError(file, `label image must be 2-D or 3-D, got dims [${h.dims.slice(1, 1 + nd).join(", ")}]`);
  }
  const spacing = h.pixDims.slice(1, 1 + dims.length).map(Math.abs);
  const n = dims.reduce((a, b) => a * b, 1);
  const [bytes, get] = reader;
  const img = nifti.readImage(h, ab);
  if (img.byteLength < n * bytes) {
    throw new DataError(file, `truncated image data: ${img.byteLength} bytes, expected ${n * bytes}`);
  }
  const view = new DataView(img);
  const slope = h.scl_slope;
  const scaled = Number.isFinite(slope) && slope !== 0 && !(slope === 1 && (h.scl_inter || 0) === 0);
  const inter = h.scl_inter || 0;
  const data = new Float64Array(n);
  for (let i = 0, o = 0; i < n; i++, o += bytes) {
    let v = get(view, o, h.littleEndian);
    if (scaled) v = v * slope + inter;
    if (!Number.isInteger(v)) {
      const x = i % dims[0]!;
      const y = Math.floor(i / dims[0]!) % dims[1]!;
      const z = Math.floor(i / (dims[0]! * dims[1]!));
      throw new DataError(file, `label image must hold integer values, found ${v} at voxel (${x}, ${y}, ${z})`);
    }
    data[i] = v;
  }
  return { data, shape: dims, spacing };
}

function parseLabels(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const parts = s.split(",").map((p) => p.trim());
  const labels = parts.map(Number);
  if (parts.some((p) => p === "") || labels.some((l) => !Number.isInteger(l))) {
    throw new OptionError("--labels", s, "a comma-separated list of integers, e.g. 1,2,3,4");
  }
  return labels;
}

/** JSON-safe number: NaN / ±Infinity become strings. */
function jsonNum(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** Spacing for messages: float32 header values shown at float32 precision (0.8, not 0.800000011920929). */
function mm(sp: readonly number[]): string {
  return `[${sp.map((s) => Number(s.toPrecision(7))).join(", ")}]`;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      pred: { type: "string" },
      label: { type: "string" },
      labels: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    "metrics",
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.pred || !values.label) {
    console.error(`ummkd metrics: --pred and --label are required\n\n${USAGE}`);
    return 2;
  }
  const labels = parseLabels(values.labels);
  const pred = readLabelNifti(values.pred);
  const target = readLabelNifti(values.label);
  if (pred.shape.length !== target.shape.length || pred.shape.some((n, i) => n !== target.shape[i])) {
    throw new ShapeError(
      `--pred ${values.pred} has shape [${pred.shape.join(", ")}] but --label ${values.label} has [${target.shape.join(", ")}]`,
    );
  }
  const tol = 1e-4;
  if (pred.spacing.some((s, i) => Math.abs(s - target.spacing[i]!) > tol * Math.max(1, s))) {
    throw new ShapeError(
      `--pred ${values.pred} has spacing ${mm(pred.spacing)} mm but --label ${values.label} has ${mm(target.spacing)} mm`,
    );
  }
  const rows: ClassMetrics[] = evaluateSegmentation(pred, target, {
    ...(labels ? { labels } : {}),
    spacing: target.spacing,
  });
  if (values.json) {
    const classes = rows.map((r) => ({
      label: r.label,
      dice: jsonNum(r.dice),
      hd: jsonNum(r.hd),
      hd95: jsonNum(r.hd95),
      assd: jsonNum(r.assd),
    }));
    console.log(JSON.stringify({ classes }));
  } else {
    console.log(`spacing ${mm(target.spacing)} mm, shape [${target.shape.join(", ")}]`);
    console.log("label    dice   hd(mm) hd95(mm) assd(mm)");
    for (const r of rows) {
      console.log(
        `${String(r.label).padStart(5)} ${fmt(r.dice, 4).padStart(8)} ${fmt(r.hd, 3).padStart(8)} ${fmt(r.hd95, 3).padStart(8)} ${fmt(r.assd, 3).padStart(8)}`,
      );
    }
  }
  return 0;
}
