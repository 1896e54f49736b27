/**
 * The registry of paper artefacts: notebook name -> {@link Artefact} (configs it needs, paper
 * tables it compares with, pure `derive`). The notebook driver, `ummkd experiment --notebook`
 * and `npm run reproduce` all go through it.
 */
import { OptionError } from "../../util/errors.ts";
import { diagnosisJointVsOurs } from "./diagnosis_joint_vs_ours.ts";
import { figure45Qualitative } from "./figure4_5_qualitative.ts";
import { figure6Alpha } from "./figure6_alpha.ts";
import { figure7KdCurve } from "./figure7_kd_curve.ts";
import { figure8Confusion } from "./figure8_confusion.ts";
import { table1Cardiac } from "./table1_cardiac.ts";
import { table2Abdominal } from "./table2_abdominal.ts";
import { table34PValues } from "./table3_4_pvalues.ts";
import { table5Normalization } from "./table5_normalization.ts";
import { table6Outlier } from "./table6_outlier.ts";
import type { Artefact } from "./types.ts";

/** The notebooks, one per paper artefact in paper order, then the diagnosis of Joint vs Ours (issue 26). */
export const NOTEBOOKS = [
  "table1_cardiac", "table2_abdominal", "table3_4_pvalues", "table5_normalization", "table6_outlier",
  "figure4_5_qualitative", "figure6_alpha", "figure7_kd_curve", "figure8_confusion", "diagnosis_joint_vs_ours",
] as const;
export type NotebookName = (typeof NOTEBOOKS)[number];

/** Notebook name -> artefact. */
export const ARTEFACTS: Readonly<Record<NotebookName, Artefact>> = {
  table1_cardiac: table1Cardiac,
  table2_abdominal: table2Abdominal,
  table3_4_pvalues: table34PValues,
  table5_normalization: table5Normalization,
  table6_outlier: table6Outlier,
  figure4_5_qualitative: figure45Qualitative,
  figure6_alpha: figure6Alpha,
  figure7_kd_curve: figure7KdCurve,
  figure8_confusion: figure8Confusion,
  diagnosis_joint_vs_ours: diagnosisJointVsOurs,
};

/** True when `name` is a notebook of the registry. */
export function isNotebookName(name: string): name is NotebookName {
  return (NOTEBOOKS as readonly string[]).includes(name);
}

/**
 * The artefact of a notebook.
 * @throws OptionError naming the notebooks when `name` is none of them
 */
export function artefact(name: string, option = "notebook"): Artefact {
  if (!isNotebookName(name)) throw new OptionError(option, name, NOTEBOOKS);
  return ARTEFACTS[name];
}

export { compareSettings, PAPER_STRUCTURES, CLASS_STRUCTURES, CLASS_COLORS } from "./common.ts";
export type { Artefact, ArtefactFigure, ArtefactInput, ArtefactOutput, ArtefactRuns, ArtefactTable } from "./types.ts";
