/**
 * `ummkd prepare <dataset> --src DIR --out DIR [--size N|HxW|0] [--spacing sx,sy,sz] [--clip PCT]
 *   [--no-zscore] [--ids a,b,c] [--data DIR]`
 *
 * Datasets: mmwhs (NIfTI), sifa (PnP-AdaNet/SIFA TFRecords), chaos (NIfTI or raw DICOM + PNG),
 * btcv (raw NIfTI or the bundled label NIfTI + PNG slices), abdominal (btcv + chaos; --src is a
 * folder holding btcv_sabs_ct/ and chaos_t2_mr/, default: the data root).
 */
import { parseFlags, numberFlag } from "./args.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { DATASET_NAMES } from "../data/datasets.ts";
import { prepareDataset, type PrepareOptions } from "../data/prepare.ts";
import { resolveDataRoot } from "../data/root.ts";

const HELP = `usage: ummkd prepare <dataset> --out DIR [--src DIR] [options]

datasets: ${DATASET_NAMES.join(", ")}
  --src DIR        raw data folder (default for abdominal: the data root; for chaos/btcv/sifa:
                   <data root>/chaos_t2_mr, btcv_sabs_ct, mmwhs_sifa)
  --data DIR       data root (else UMMKD_DATA, else ../shared/data/real)
  --out DIR        output folder: new or empty (written atomically when complete); never the
                   source or a folder around it
  --force          replace an --out folder that holds an earlier prepare's manifest.json
  --size N|HxW|0   in-plane ROI around the foreground centre (default 256; 0 = no crop; sifa: none)
  --spacing a,b,c  resample to this spacing in mm (0 keeps an axis; default: keep the grid)
  --plane P        slicing plane made the z axis: z, x, y, axial, coronal, sagittal
                   (default: coronal for mmwhs, z otherwise)
  --clip PCT       clip the brightest PCT% per volume (default 2; sifa: 0)
  --no-zscore      skip the per-volume z-score (sifa: skipped by default)
  --ids a,b,c      only these case ids
  --quiet          no progress lines`;

/** Largest ROI side (--size) and finest resampling (--spacing, mm) accepted. */
const MAX_SIZE = 4096;
const MIN_SPACING = 0.1;

const DEFAULT_SUB: Record<string, string> = { chaos: "chaos_t2_mr", btcv: "btcv_sabs_ct", sifa: "mmwhs_sifa" };

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      src: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      size: { type: "string" },
      spacing: { type: "string" },
      clip: { type: "string" },
      plane: { type: "string" },
      "no-zscore": { type: "boolean" },
      ids: { type: "string" },
      quiet: { type: "boolean" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    "prepare",
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dataset = oneOf("dataset", positionals[0], DATASET_NAMES);
  if (positionals.length > 1) throw new OptionError("dataset", positionals.slice(1).join(" "), "one dataset (extra arguments are not ignored)");
  if (!values.out) throw new OptionError("--out", undefined, "an output folder");
  let src = values.src;
  if (!src) {
    const root = resolveDataRoot(values.data);
    src = dataset === "abdominal" || dataset === "mmwhs" ? root : `${root}/${DEFAULT_SUB[dataset]}`;
  }
  const opts: PrepareOptions = {};
  if (values.size !== undefined) {
    const m = /^(\d+)(?:x(\d+))?$/.exec(values.size);
    if (!m) throw new OptionError("--size", values.size, "N, HxW or 0");
    const h = Number(m[1]);
    opts.size = [h, m[2] ? Number(m[2]) : h];
    // an ROI beyond 4096 voxels a side cannot fit in memory with the rest of a volume
    if (opts.size.some((v) => v > MAX_SIZE)) throw new OptionError("--size", values.size, `N, HxW or 0 with each side at most ${MAX_SIZE} voxels`);
  }
  if (values.spacing !== undefined) {
    const p = values.spacing.split(",").map((v) => Number(v));
    if (p.length !== 3 || p.some((v) => !Number.isFinite(v) || v < 0)) throw new OptionError("--spacing", values.spacing, "three non-negative numbers sx,sy,sz (0 keeps an axis)");
    // resampling a 400 mm field of view to 0.01 mm would need 10^12 voxels
    if (p.some((v) => v > 0 && v < MIN_SPACING)) throw new OptionError("--spacing", values.spacing, `three spacings of at least ${MIN_SPACING} mm (or 0 to keep an axis); finer grids do not fit in memory`);
    opts.spacing = p as [number, number, number];
  }
  if (values.clip !== undefined) {
    opts.clipPercent = numberFlag("clip", values.clip, 2);
    if (!(opts.clipPercent >= 0 && opts.clipPercent < 100)) throw new OptionError("--clip", values.clip, "a percentage in [0, 100)");
  }
  if (values.plane !== undefined) opts.slicePlane = oneOf("--plane", values.plane, ["x", "y", "z", "axial", "coronal", "sagittal"] as const);
  if (values["no-zscore"]) opts.zscore = false;
  if (values.ids) opts.ids = values.ids.split(",").map((s) => s.trim()).filter(Boolean);
  if (values.force) opts.force = true;
  if (!values.quiet) opts.log = (msg) => console.error(msg);
  const t0 = Date.now();
  const manifest = await prepareDataset(dataset, src, values.out, opts);
  console.log(`prepared ${manifest.cases.length} ${dataset} cases into ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}
