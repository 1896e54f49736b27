/**
 * What a notebook run is, as the notebook driver (lib/experiment/notebook.ts) returns it: the
 * parameters cell, the rendered tables and figures, and the results it writes.
 */
import type { NormKind, Setting } from "../models/types.ts";
import type { NotebookName } from "./artefacts/index.ts";
import type { PlotlyFigure } from "./plotly.ts";
import type { NotebookResults } from "./results.ts";

/** The parameters cell of a notebook (every key optional). */
export interface NotebookParams {
  /** smoke | quick | cpu | paper (default: UMMKD_PROFILE, else quick). */
  profile?: string | null;
  seeds?: number[];
  /** Cross-validation folds to run (profiles with CV; default all). */
  folds?: number[];
  /** KD weight(s) for the KD settings. */
  alpha?: number;
  alphas?: number[];
  /** Normalization (Tables I/II) or normalizations (Table V). */
  norm?: NormKind;
  norms?: NormKind[];
  settings?: Setting[];
  /** Override the profile's training steps. */
  steps?: number;
  /** Retrain even if cached runs exist. */
  force?: boolean;
  /** Data root for real data (default UMMKD_DATA). */
  dataRoot?: string;
}

/** A table as the notebook shows it (HTML) and the results folder keeps it (CSV). */
export interface NotebookTable {
  title: string;
  html: string;
  csv: string;
  /** File name (without .csv) in the results folder, named by content; default from lib/experiment/results.ts. */
  file?: string;
}

/** A figure as SVG. */
export interface NotebookFigure {
  name: string;
  title: string;
  svg: string;
  /** Interactive twin of the figure (lib/experiment/interactive.ts). */
  plotly?: PlotlyFigure;
}

/** One notebook's runs, tidy rows, summary, rendered tables and figures, and notes. */
export interface NotebookRun extends NotebookResults {
  name: NotebookName;
  params: NotebookParams;
  tables: NotebookTable[];
  figures: NotebookFigure[];
  /** Results folder name: the profile, or the profile plus what differs from the notebook's defaults (lib/experiment/params.ts). */
  variant?: string;
  /** Set for smoke/quick runs: "PIPELINE CHECK ...: numbers meaningless" (shown above every table and the reading). */
  pipelineCheck?: string;
  /** Write tidy.csv, summary.csv, tables, figures and run.json under results/<name>/<profile>/; returns the paths. */
  write(resultsRoot?: string): Promise<string[]>;
}
