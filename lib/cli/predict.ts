/**
 * `ummkd predict --checkpoint DIR --input FILE.nii[.gz] --modality ct|mri --out FILE.nii[.gz]
 *   [--batch-size N] [--raw]`
 *
 * Predicts a whole volume with a trained checkpoint (a run directory or its `checkpoint/`):
 * dilated2d slice by slice (2.5D, every slice), unet3d in 8-slice blocks, with the given
 * modality's own normalization. The input is clipped (top 2%) and z-scored per volume as in
 * training unless --raw. The output label image has the input's grid (shape, spacing, affine).
 */
import { resolve } from "node:path";
import { initEngine } from "../engine/index.ts";
import { readNifti } from "../data/nifti.ts";
import { writeNifti } from "../data/nifti-write.ts";
import { preprocessCase } from "../data/preprocess.ts";
import type { Modality } from "../models/types.ts";
import { loadTrainedModel } from "../train/checkpoint.ts";
import { predictVolume2D5, predictVolume3D } from "../train/predict.ts";
import { DataError, OptionError, oneOf } from "../util/errors.ts";
import { numberFlag, parseFlags } from "./args.ts";
import { checkOutputPath } from "../util/paths.ts";

const HELP = `usage: ummkd predict --checkpoint DIR --input FILE.nii.gz --modality ct|mri --out FILE.nii.gz [--batch-size N] [--raw]

Writes the predicted label image (uint8 class indices) on the input's grid.
--raw: the input is already normalized (skip the top-2% clip and z-score).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      checkpoint: { type: "string" },
      input: { type: "string" },
      modality: { type: "string" },
      out: { type: "string" },
      "batch-size": { type: "string" },
      raw: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    "predict",
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  for (const k of ["checkpoint", "input", "modality", "out"] as const) {
    if (!values[k]) throw new OptionError(`--${k}`, undefined, `a value (see 'ummkd predict --help')`);
  }
  const modalityName = oneOf("--modality", values.modality, ["ct", "mri"] as const);
  const modality: Modality = modalityName === "ct" ? 0 : 1;
  const out = resolve(values.out!);
  if (!/\.nii(\.gz)?$/.test(out)) throw new OptionError("--out", values.out, "a path ending in .nii or .nii.gz");
  // The label map must never replace the scan (or anything in the checkpoint).
  checkOutputPath({ option: "--out", path: out }, [{ option: "--input", path: values.input }, { option: "--checkpoint", path: values.checkpoint }]);
  const batchSize = numberFlag("batch-size", values["batch-size"], 8);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError("--batch-size", values["batch-size"], "a positive integer");
  await initEngine();
  const { model, dir } = loadTrainedModel(resolve(values.checkpoint!));
  try {
    const input = resolve(values.input!);
    const image = readNifti(input).volume;
    let x = image;
    if (!values.raw) {
      x = preprocessCase({ id: input, modality: modalityName, image }, { size: undefined, clipPercent: 2, zscore: true }).image;
      if (x.shape.join() !== image.shape.join()) throw new DataError(input, `preprocessing changed the grid [${image.shape}] -> [${x.shape}]`);
    }
    const t0 = Date.now();
    const labels = await (model.options.network === "unet3d" ? predictVolume3D(model, x, modality) : predictVolume2D5(model, x, modality, { batchSize }));
    // The input's geometry, not the preprocessed copy's.
    writeNifti(out, { ...labels, spacing: image.spacing, affine: image.affine }, `ummkd ${model.options.network}/${model.options.setting} ${modalityName}`);
    const counts: Record<number, number> = {};
    for (const v of labels.data) counts[v] = (counts[v] ?? 0) + 1;
    console.log(JSON.stringify({ out, checkpoint: dir, shape: labels.shape, seconds: (Date.now() - t0) / 1000, voxelsPerClass: counts }));
  } finally {
    model.dispose();
  }
  return 0;
}
