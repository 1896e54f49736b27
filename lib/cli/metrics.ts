/**
 * `ummkd metrics --pred PRED --label LABEL [--labels 1,2,3,4] [--json]`
 *
 * Dice, Hausdorff distance, HD95 and ASSD per class between two NIfTI label images (`.nii` or
 * `.nii.gz`), distances in millimetres from the header voxel spacing (pixdim), medpy definitions
 * (see lib/metrics/surface-metrics.ts). `--json` prints
 * `{"classes": [{"label", "dice", "hd", "hd95", "assd"}, ...]}`; JSON has no NaN/Infinity, so
 * those are written as the strings "NaN" and "Infinity" (both masks empty / one mask empty).
 *
 * Errors (exit 1, one line): unreadable file, shapes, spacings or affines that differ (the affine
 * check: every entry within 1e-3 x max(1, |entry|), i.e. the same voxel-to-world mapping; a
 * mirrored or shifted image is an error unless `--ignore-affine`), non-integer voxels, negative
 * --labels. A requested label present in neither image gets a warning on stderr.
 */
import { readNifti } from "../data/nifti.ts";
import { parseFlags } from "./args.ts";
import { DataError, OptionError, ShapeError } from "../util/errors.ts";
import { evaluateSegmentation, type ClassMetrics } from "../metrics/index.ts";

const USAGE = `usage: ummkd metrics --pred PRED.nii[.gz] --label LABEL.nii[.gz] [--labels 1,2,3,4] [--json] [--ignore-affine]

Per-class Dice, Hausdorff distance (HD), HD95 and average symmetric surface distance (ASSD),
distances in mm from the NIfTI header spacing; medpy definitions. Default labels: every non-zero
value present in either image. NaN = class absent from both images; Infinity = absent from one.
The two images must share shape, spacing and affine (orientation and origin); --ignore-affine
compares voxel grids only (when you know the affines are wrong, not the voxels).`;

interface LabelFile {
  data: Float32Array;
  shape: number[];
  spacing: number[];
  affine: number[][];
}

/**
 * Reads a NIfTI label image with lib/data/nifti.ts (scl_slope/inter applied, spacing = pixdim) and
 * checks that every voxel is an integer. A single-slice image (nz = 1) is evaluated as 2-D
 * (4-neighbour surfaces), as nibabel + medpy do for a 2-D NIfTI.
 */
function readLabelNifti(file: string): LabelFile {
  const { volume } = readNifti(file);
  const { data } = volume;
  const [nx, ny, nz] = volume.shape;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v)) {
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / (nx * ny));
      throw new DataError(file, `label image must hold integer values, found ${v} at voxel (${x}, ${y}, ${z})`);
    }
  }
  const is2d = nz === 1;
  return {
    data,
    shape: is2d ? [nx, ny] : [nx, ny, nz],
    spacing: is2d ? volume.spacing.slice(0, 2) : [...volume.spacing],
    affine: volume.affine.map((r) => [...r]),
  };
}

function parseLabels(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const parts = s.split(",").map((p) => p.trim());
  const labels = parts.map(Number);
  if (parts.some((p) => p === "") || labels.some((l) => !Number.isInteger(l) || l < 0)) {
    throw new OptionError("--labels", s, "a comma-separated list of non-negative integers, e.g. 1,2,3,4");
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
      "ignore-affine": { type: "boolean" },
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
  const affTol = 1e-3;
  const badAffine = pred.affine.some((row, r) => row.some((v, c) => Math.abs(v - target.affine[r]![c]!) > affTol * Math.max(1, Math.abs(v))));
  if (badAffine && !values["ignore-affine"]) {
    const show = (a: number[][]) => JSON.stringify(a.slice(0, 3).map((row) => row.map((v) => Number(v.toPrecision(6)))));
    throw new ShapeError(
      `--pred ${values.pred} has affine ${show(pred.affine)} but --label ${values.label} has ${show(target.affine)}: the images are not on the same world grid (mirrored or shifted); resample one onto the other, or pass --ignore-affine to compare voxel grids anyway`,
    );
  }
  if (labels) {
    const present = new Set<number>([...new Set(pred.data), ...new Set(target.data)]);
    const absent = labels.filter((l) => !present.has(l));
    if (absent.length) console.error(`ummkd metrics: warning: --labels ${absent.join(",")} present in neither ${values.pred} nor ${values.label}; their rows are NaN`);
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
