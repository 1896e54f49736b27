/**
 * Table I: cardiac segmentation (2D network), Dice and distances of the seven settings, ours
 * beside the paper's. See {@link deriveMainTable}.
 */
import { deriveMainTable } from "./main-table.ts";
import type { Artefact } from "./types.ts";

export const table1Cardiac: Artefact = {
  name: "table1_cardiac",
  configs: ["table1_cardiac"],
  paper: ["table1_cardiac"],
  params: [["norm", "Table I uses batch normalization"], "alpha"],
  derive: (input) => deriveMainTable("table1_cardiac", input),
};
