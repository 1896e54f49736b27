/**
 * What a paper artefact (one table or figure of Dou et al. 2020, one notebook) is: the configs whose
 * runs it needs, the transcribed paper tables it compares with, and a pure `derive` from those runs
 * to tables, figures and notes as plain data. Rendering (HTML, CSV, SVG) and running are the
 * notebook driver's job (lib/notebooks/notebook.ts).
 */
import type { NormKind } from "../../models/types.ts";
import type { ParamKey } from "../../plan/params.ts";
import type { NotebookText } from "./text.ts";
import type { ExperimentConfig } from "../../plan/config.ts";
import type { PaperRow, PaperTable } from "../paper.ts";
import type { RunRecord } from "../../experiment/run-record.ts";

/** A table as rows of cells (column order = key order of the first row). */
export interface ArtefactTable {
  title: string;
  rows: Record<string, string | number>[];
  /** File name (without .csv) in the results folder; default from lib/notebooks/results.ts. */
  file?: string;
}

/** A figure: a Vega-Lite spec (rendered to SVG by the driver) or a finished SVG. */
export type ArtefactFigure = { name: string; title: string } & ({ vegaLite: Record<string, unknown> } | { svg: string });

/** What `derive` returns. */
export interface ArtefactOutput {
  tables: ArtefactTable[];
  figures: ArtefactFigure[];
  notes: string[];
}

/** The runs of one config (as the runner returns or the cache holds them). */
export interface ArtefactRuns {
  config: ExperimentConfig;
  runs: readonly RunRecord[];
}

/** The input of `derive`: runs per config (in `Artefact.configs` order), paper rows and options. */
export interface ArtefactInput {
  runs: readonly ArtefactRuns[];
  /** The transcribed paper tables named in `Artefact.paper` (results/paper/<name>.csv). */
  paper: Partial<Record<PaperTable, readonly PaperRow[]>>;
  /** Normalization shown in Tables I/II (default "batch"); normalizations of Table V (default: the config's). */
  norm?: NormKind;
  norms?: readonly NormKind[];
  /** Inputs other than run records, read by the artefact's `loadExtras` (e.g. diagnosis records). */
  extras?: Record<string, unknown>;
}

/** One paper artefact. */
export interface Artefact {
  /** The notebook name, e.g. "table1_cardiac". */
  name: string;
  /** Configs (data/configs/<name>.json) whose runs `derive` needs, in input order. */
  configs: readonly string[];
  /** Transcribed paper tables `derive` compares with. */
  paper: readonly PaperTable[];
  /** Its notebook's text: title, the paper's caption, what differs from the paper, reading notes. */
  text: NotebookText;
  /**
   * The parameters its notebook's cell shows beyond profile, seeds and force (rows of
   * lib/plan/params.ts: their defaults are the notebook's, and a run that changes one writes a variant),
   * each with an optional note for its line in the cell (the row's help text otherwise).
   */
  params?: readonly (ParamKey | readonly [ParamKey, string])[];
  /**
   * Reads inputs other than run records from the artefact's committed results folder
   * (`results/<name>/`); the driver passes them to `derive` as `extras`.
   */
  loadExtras?(resultsDir: string): Record<string, unknown>;
  /** Tables, figures and notes from the runs; pure (no I/O, no clock, no randomness). */
  derive(input: ArtefactInput): ArtefactOutput;
}

/** The parameter keys an artefact's notebook shows (without their notes). */
export function paramKeysOf(a: Pick<Artefact, "params">): ParamKey[] {
  return (a.params ?? []).map((p) => (typeof p === "string" ? p : p[0]));
}
