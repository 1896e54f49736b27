/**
 * One-off transcription of the paper's Tables I-VI into tidy CSVs under `results/paper/`.
 *
 * Reads the paper's plain text (the arXiv HTML rendering, where "±" appears as
 * "±plus-or-minus\pm") and parses the table rows. Run once; the CSVs are committed and the
 * notebooks read them (lib/notebooks/paper.ts). Run:
 *   tsx lib/notebooks/paper-transcribe.ts ../shared/paper/dou2020-unpaired-multimodal-kd.txt results/paper
 *
 * Columns of every file: source_table, setting, norm, modality, structure, metric, stat, value, unit.
 * - `structure` "mean" is the paper's per-modality Mean column; `modality` "overall" its Overall Mean.
 * - `stat` is "mean" or "std" (Tables I, II, V), "p" (Tables III, IV), "mean" (Table VI).
 * - Dice is in percent and Hausdorff distance in mm, as printed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import { DataError } from "../util/errors.ts";
import { toCsv, type CsvValue } from "../experiment/csv.ts";
import { PAPER_STRUCTURES } from "./structures.ts";

export const PAPER_COLUMNS = ["source_table", "setting", "norm", "modality", "structure", "metric", "stat", "value", "unit"] as const;
export type PaperRow = Record<(typeof PAPER_COLUMNS)[number], CsvValue>;

const SETTING_OF: Record<string, string> = {
  "Payer et al. [38]": "payer2017",
  Individual: "individual",
  Joint: "joint",
  "Joint+KD": "joint-kd",
  "“Y”-shaped [9]": "y-shaped",
  "“X”-shaped [15]": "x-shaped",
  "“Chilopod”-shaped": "chilopod",
  "“Chilopod”": "chilopod",
  "”Chilopod”": "chilopod",
  Ours: "ours",
};
const CARDIAC = PAPER_STRUCTURES.cardiac;
const ABDOMINAL = PAPER_STRUCTURES.abdominal;

function cleanPm(line: string): string {
  return line.replace(/±plus-or-minus\\pm/g, "±").replace(/\s+/g, " ").trim();
}

/** Split a row "Name [Param] v±s ... mean ... overall" into its setting label and numeric cells. */
function splitRow(line: string, names: string[]): { name: string; cells: string[] } | null {
  const l = cleanPm(line);
  const name = names.find((n) => l.startsWith(n + " "));
  if (!name) return null;
  return { name, cells: l.slice(name.length).trim().split(" ") };
}

function valueCells(cells: string[]): string[] {
  // drop a leading parameter-scale cell ("78.64M", "3832K", "-")
  return /^[\d.]+[MK]$/.test(cells[0]!) || (cells[0] === "-" && cells.length === 12) ? cells.slice(1) : cells;
}

function rowsForMeanStdBlock(
  table: string,
  lines: string[],
  metric: "dice" | "hd",
  structures: readonly string[],
  norm: string,
): PaperRow[] {
  const out: PaperRow[] = [];
  const unit = metric === "dice" ? "%" : "mm";
  for (const line of lines) {
    const r = splitRow(line, Object.keys(SETTING_OF));
    if (!r) continue;
    const cells = valueCells(r.cells);
    if (cells.length !== 11) throw new DataError(table, `row '${r.name}' has ${cells.length} value cells, expected 11`);
    if (cells.every((c) => c === "-")) continue;
    const setting = SETTING_OF[r.name]!;
    const push = (modality: string, structure: string, stat: string, v: string) =>
      out.push({ source_table: table, setting, norm, modality, structure, metric, stat, value: Number(v), unit });
    for (const [mi, modality] of (["ct", "mri"] as const).entries()) {
      for (let s = 0; s < 4; s++) {
        const [m, sd] = cells[mi * 5 + s]!.split("±");
        push(modality, structures[s]!, "mean", m!);
        if (sd !== undefined) push(modality, structures[s]!, "std", sd);
      }
      push(modality, "mean", "mean", cells[mi * 5 + 4]!);
    }
    push("overall", "mean", "mean", cells[10]!);
  }
  return out;
}

function between(text: string[], start: RegExp, end: RegExp): string[] {
  const i = text.findIndex((l) => start.test(l));
  if (i < 0) throw new DataError("paper text", `no line matches ${start}`);
  const j = text.findIndex((l, k) => k > i && end.test(l));
  return text.slice(i + 1, j < 0 ? undefined : j);
}

/** Parse the paper text into the six tidy tables. */
export function transcribePaper(text: string): Record<string, PaperRow[]> {
  const lines = text.split("\n");
  const t1d = between(lines, /^Dice Coefficient \(avg\./, /^Hausdorff Distance \(avg\./);
  const t1h = between(lines, /^Hausdorff Distance \(avg\./, /^Refer to caption/);
  const t2d = between(lines, /^Dice Coefficient \(mean/, /^Hausdorff Distance \(mean/);
  const t2h = between(lines, /^Hausdorff Distance \(mean/, /^IV-B/);
  const table1 = [
    ...rowsForMeanStdBlock("Table I", t1d, "dice", CARDIAC, "batch"),
    ...rowsForMeanStdBlock("Table I", t1h, "hd", CARDIAC, "batch"),
  ];
  const table2 = [
    ...rowsForMeanStdBlock("Table II", t2d, "dice", ABDOMINAL, "batch"),
    ...rowsForMeanStdBlock("Table II", t2h, "hd", ABDOMINAL, "batch"),
  ];
  const pv = (name: string, startRe: RegExp): PaperRow[] => {
    const block = between(lines, startRe, /^(TABLE|IV-)/);
    const out: PaperRow[] = [];
    const settings = ["individual", "joint", "joint-kd", "y-shaped", "x-shaped", "chilopod"];
    for (const line of block) {
      const l = cleanPm(line);
      const metric = l.startsWith("Dice coefficient") ? "dice" : l.startsWith("Hausdorff distance") ? "hd" : null;
      if (!metric) continue;
      const cells = l.split(" ").slice(2);
      if (cells.length !== 6) throw new DataError(name, `p-value row has ${cells.length} cells, expected 6`);
      cells.forEach((c, k) =>
        out.push({ source_table: name, setting: settings[k]!, norm: "batch", modality: "both", structure: "all", metric, stat: "p", value: Number(c), unit: "" }),
      );
    }
    return out;
  };
  // Table V: three blocks (instance, layer, group), five rows each.
  const t5 = between(lines, /^TABLE V:/, /^IV-D3/).filter((l) => l.includes("±"));
  const table5: PaperRow[] = [];
  const norms = ["instance", "layer", "group"];
  t5.forEach((line, k) => {
    const norm = norms[Math.floor(k / 5)]!;
    const stripped = cleanPm(line).replace(/^(Instance|Layer|Group|Normalization) /, "");
    table5.push(...rowsForMeanStdBlock("Table V", [stripped], "dice", CARDIAC, norm));
  });
  if (table5.length !== 15 * 19) throw new DataError("Table V", `parsed ${table5.length} values, expected ${15 * 19}`);
  const t6 = between(lines, /^TABLE VI:/, /^One limitation/);
  const table6: PaperRow[] = [];
  const t6settings = ["individual", "joint", "joint-kd", "y-shaped", "x-shaped", "chilopod", "ours"];
  for (const line of t6) {
    const l = cleanPm(line);
    const metric = l.startsWith("Dice coefficient") ? "dice" : l.startsWith("Hausdorff distance") ? "hd" : null;
    if (!metric) continue;
    const cells = l.split(" ").slice(2);
    if (cells.length !== 7) throw new DataError("Table VI", `row has ${cells.length} cells, expected 7`);
    cells.forEach((c, k) =>
      table6.push({ source_table: "Table VI", setting: t6settings[k]!, norm: "batch", modality: "ct", structure: "mean", metric, stat: "mean", value: Number(c), unit: metric === "dice" ? "%" : "mm" }),
    );
  }
  return {
    table1_cardiac: table1,
    table2_abdominal: table2,
    table3_pvalues_cardiac: pv("Table III", /^TABLE III:/),
    table4_pvalues_abdominal: pv("Table IV", /^TABLE IV:/),
    table5_normalization: table5,
    table6_outlier: table6,
  };
}

function main(): void {
  const [src, outDir] = process.argv.slice(2);
  if (!src || !outDir) {
    console.error("usage: tsx lib/notebooks/paper-transcribe.ts PAPER.txt OUT_DIR");
    process.exit(2);
  }
  const tables = transcribePaper(readFileSync(src, "utf8"));
  for (const [name, rows] of Object.entries(tables)) {
    writeFileAtomic(join(outDir, `${name}.csv`), toCsv(rows, PAPER_COLUMNS));
    console.log(`${name}.csv: ${rows.length} rows`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/lib\//, "/lib/"))) main();
