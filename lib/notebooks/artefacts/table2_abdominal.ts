/**
 * Table II: abdominal segmentation (3D U-Net), Dice and distances of the seven settings, ours
 * beside the paper's. See {@link deriveMainTable}.
 */
import { deriveMainTable } from "./main-table.ts";
import type { Artefact } from "./types.ts";

export const table2Abdominal: Artefact = {
  name: "table2_abdominal",
  configs: ["table2_abdominal"],
  paper: ["table2_abdominal"],
  params: ["norm", "alpha"],
  derive: (input) => deriveMainTable("table2_abdominal", input),
};
