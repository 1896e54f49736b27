/**
 * `ummkd params --network dilated2d|unet3d --setting <setting> [--width W] [--norm KIND] [--json]`
 *
 * Trainable parameter count (the paper's "Param Scale": kernels, biases and normalization
 * scale/shift; moving statistics excluded) computed from the layer description, without building
 * the network. `--json` prints `{"params": N, "paperParams": P, ...}`; for unet3d, where the
 * paper's Table II differs from the released code's network that we build, a `note` says why.
 */
import { parseFlags, numberFlag } from "./args.ts";
import { countParams, paperParams, UNET3D_PAPER_NOTE } from "../models/index.ts";
import { NETWORKS, NORM_KINDS, SETTINGS } from "../models/types.ts";
import { oneOf } from "../util/errors.ts";

const USAGE = `usage: ummkd params --network ${NETWORKS.join("|")} --setting ${SETTINGS.join("|")} [--width W] [--norm ${NORM_KINDS.join("|")}] [--json]

Trainable parameter count of a network under a setting (Tables I/II "Param Scale"), from the
layer description (no tensors are allocated). --width scales the channel counts (default 1 = paper).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      network: { type: "string" },
      setting: { type: "string" },
      width: { type: "string" },
      norm: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    "params",
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const network = oneOf("--network", values.network, NETWORKS);
  const setting = oneOf("--setting", values.setting, SETTINGS);
  const norm = oneOf("--norm", values.norm ?? "batch", NORM_KINDS);
  const width = numberFlag("width", values.width, 1);
  const params = countParams({ network, setting, width, norm });
  const out: Record<string, unknown> = { params, network, setting, width, norm };
  if (width === 1) {
    const paper = paperParams(network, setting);
    out.paperParams = paper;
    out.matchesPaper = network === "dilated2d" ? params === paper : Math.round(params / 1000) === paper / 1000;
    if (network === "unet3d") out.note = UNET3D_PAPER_NOTE;
  }
  if (values.json) console.log(JSON.stringify(out));
  else {
    console.log(`${network} / ${setting} (width ${width}, ${norm} norm): ${params.toLocaleString("en-US")} trainable parameters`);
    if (out.paperParams !== undefined) console.log(`paper (Table ${network === "dilated2d" ? "I" : "II"}): ${(out.paperParams as number).toLocaleString("en-US")}`);
    if (out.note) console.log(`note: ${out.note}`);
  }
  return 0;
}
