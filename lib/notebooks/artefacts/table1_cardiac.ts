/**
 * Table I: cardiac segmentation (2D network), Dice and distances of the seven settings, ours
 * beside the paper's. See {@link deriveMainTable}.
 */
import { deriveMainTable } from "./main-table.ts";
import type { Artefact } from "./types.ts";
import { COMMON_DIFFERS, CARDIAC_DATA } from "./text.ts";

export const table1Cardiac: Artefact = {
  name: "table1_cardiac",
  configs: ["table1_cardiac"],
  paper: ["table1_cardiac"],
  text: {
    title: "Table I — multi-modal cardiac segmentation, 2D dilated network, seven settings",
    caption: "TABLE I: Multi-modal learning results of cardiac segmentation with 2D network under different settings.",
    differs: [CARDIAC_DATA, ...COMMON_DIFFERS, "Payer et al. (the MM-WHS challenge winner) is shown from the paper only."],
    reading: [
      "The paper's claims to check: Ours has the best overall Dice and lowest distance; Chilopod ≥ X ≥ Y > Joint; KD helps both Joint and Chilopod.",
      "On synthetic phantoms and CPU-scale training the absolute numbers are not comparable with the paper's; what can be compared is the ordering of the settings, and only where the differences exceed the spread over cases (see the p-values notebook).",
    ],
  },
  params: [["norm", "Table I uses batch normalization"], "alpha"],
  derive: (input) => deriveMainTable("table1_cardiac", input),
};
