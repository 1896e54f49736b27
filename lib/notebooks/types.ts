/**
 * What a notebook run is, as the notebook driver (lib/notebooks/notebook.ts) returns it: the
 * parameters cell, the rendered tables and figures, and the results it writes.
 */
import type { NotebookParams } from "../plan/params.ts";
import type { NotebookName } from "./artefacts/index.ts";
import type { PlotlyFigure } from "./plotly.ts";
import type { ExperimentResult } from "../experiment/runner.ts";
import type { SummaryRow } from "../experiment/summary.ts";
import type { TidyRow } from "../experiment/tidy.ts";

export type { NotebookParams };

/** A table as the notebook shows it (HTML) and the results folder keeps it (CSV). */
export interface NotebookTable {
  title: string;
  html: string;
  csv: string;
  /** File name (without .csv) in the results folder, named by content; default from lib/notebooks/results.ts. */
  file?: string;
}

/** A figure as SVG. */
export interface NotebookFigure {
  name: string;
  title: string;
  svg: string;
  /** Interactive twin of the figure (lib/notebooks/interactive.ts). */
  plotly?: PlotlyFigure;
}

/** What a notebook run writes to its results folder (lib/notebooks/results.ts). */
export interface NotebookResults {
  /** Notebook or config name (the folder's name). */
  name: string;
  profile: string;
  /** Folder name when the parameters differ from the notebook's defaults (default: the profile). */
  variant?: string;
  /** The parameters it ran with (copied into run.json); `force` allows replacing committed results. */
  params: object & { force?: boolean };
  experiments: ExperimentResult[];
  rows: TidyRow[];
  summary: SummaryRow[];
  tables: { title?: string; csv: string; file?: string }[];
  figures: { name: string; title: string; svg: string; plotly?: PlotlyFigure }[];
  notes: string[];
}

/** One notebook's runs, tidy rows, summary, rendered tables and figures, and notes. */
export interface NotebookRun extends NotebookResults {
  name: NotebookName;
  params: NotebookParams;
  tables: NotebookTable[];
  figures: NotebookFigure[];
  /** Results folder name: the profile, or the profile plus what differs from the notebook's defaults (lib/plan/params.ts). */
  variant?: string;
  /** Set for smoke/quick runs: "PIPELINE CHECK ...: numbers meaningless" (shown above every table and the reading). */
  pipelineCheck?: string;
  /** Write tidy.csv, summary.csv, tables, figures and run.json under results/<name>/<profile>/; returns the paths. */
  write(resultsRoot?: string): Promise<string[]>;
}
