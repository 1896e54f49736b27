/**
 * `ummkd info FILE [--json]`: shape, spacing, dtype and (for integer images) the distinct label
 * values of a NIfTI file, DICOM series folder, PNG slice or SIFA .tfrecords file.
 */
import { parseFlags } from "./args.ts";
import { OptionError } from "../util/errors.ts";
import { readImage, labelValues } from "../data/read.ts";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, "info");
  if (values.help) {
    console.log("usage: ummkd info FILE [--json]\n  prints shape, spacing (mm), dtype and, for integer images, the distinct label values");
    return 0;
  }
  const file = positionals[0];
  if (!file) throw new OptionError("FILE", undefined, "a NIfTI file, DICOM folder, PNG or .tfrecords file");
  if (positionals.length > 1) throw new OptionError("FILE", positionals, "one file (run 'ummkd info' once per file; extra arguments are not ignored)");
  const img = readImage(file);
  const out = {
    shape: img.volume.shape,
    spacing: img.volume.spacing.map((s) => +s.toFixed(6)),
    dtype: img.dtype,
    labels: labelValues(img.volume.data),
    format: img.format,
    affine: img.volume.affine.map((r) => r.map((v) => +v.toFixed(6))),
  };
  if (values.json) console.log(JSON.stringify(out));
  else {
    console.log(`${file}: ${out.format}, ${out.dtype}, shape ${out.shape.join("x")}, spacing ${out.spacing.join("x")} mm`);
    console.log(out.labels ? `labels: ${out.labels.join(", ")}` : "labels: (not an integer image)");
  }
  return 0;
}
