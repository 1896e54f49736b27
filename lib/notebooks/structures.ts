/**
 * Structure names and colours, once: the paper's table column order, the class order of the data
 * (label values 1..4, lib/data/synthetic.ts) and the colours of Figures 4/5.
 */
import { ABDOMINAL_STRUCTURES, CARDIAC_STRUCTURES } from "../data/synthetic.ts";
import type { ExperimentTask } from "../plan/config.ts";

/** Structures in the column order of the paper's tables (Tables I/II/V). */
export const PAPER_STRUCTURES: Record<ExperimentTask, readonly string[]> = {
  cardiac: ["LVM", "LAC", "LVC", "AA"],
  abdominal: ["liver", "spleen", "R-kdy", "L-kdy"],
};

/** Structures in class order 1..4 (label values), as the data and the run records use them. */
export const CLASS_STRUCTURES: Record<ExperimentTask, readonly string[]> = { cardiac: CARDIAC_STRUCTURES, abdominal: ABDOMINAL_STRUCTURES };

/** One colour per class 1..4, as the captions of Figures 4/5 give them. */
export const CLASS_COLORS: Record<ExperimentTask, readonly string[]> = {
  // Figure 4 caption: red LVM, yellow AA, blue LVC, green LAC (class order LVM, LAC, LVC, AA)
  cardiac: ["red", "limegreen", "dodgerblue", "gold"],
  // Figure 5 caption: red liver, yellow spleen, blue R-kdy, green L-kdy (class order liver, R-kdy, L-kdy, spleen)
  abdominal: ["red", "dodgerblue", "limegreen", "gold"],
};
