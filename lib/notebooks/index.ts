// Public API of lib/notebooks (barrel): the notebook driver, the paper artefacts (one file per
// table/figure: runs needed, defaults, text, pure `derive`), figures, the results folder writer,
// headless notebook execution and the notebooks' generator.
export { renderVegaLite, alphaBoxplotSpec, kdCurveSpec, confusionSpec, settingBarsSpec, qualitativeSvg, greyPng } from "./figures.ts";
export { paperTable, type PaperTable, type PaperRow } from "./paper.ts";
export { run as runNotebook, setupNotebook, type NotebookRun, type NotebookTable, type NotebookFigure } from "./notebook.ts";
export {
  NOTEBOOKS, ARTEFACTS, artefact, isNotebookName, compareSettings, PAPER_STRUCTURES, CLASS_STRUCTURES, CLASS_COLORS,
  type NotebookName, type Artefact, type ArtefactInput, type ArtefactOutput, type ArtefactRuns, type ArtefactTable, type ArtefactFigure,
} from "./artefacts/index.ts";
export { writeNotebookResults, resultsDir, SUMMARY_COLUMNS, type NotebookResults } from "./results.ts";
export { executeNotebook, checkExecuted, type ExecuteOptions, type ExecuteResult } from "./execute.ts";
export { notebookJson, writeNotebooks, DONE_SENTINEL } from "./notebook-source.ts";
