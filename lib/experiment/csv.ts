/**
 * Minimal RFC 4180 CSV writer and reader for the tidy results files. Numbers are written with
 * full precision (shortest round-trip representation); empty string = missing.
 */
import { readFileSync } from "node:fs";
import { DataError } from "../util/errors.ts";

export type CsvValue = string | number | null | undefined;

function cell(v: CsvValue): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "Infinity";
    if (v === -Infinity) return "-Infinity";
    return String(v);
  }
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Serialize rows with the given column order (a header line first, "\n" line ends). */
export function toCsv<K extends string>(rows: readonly Partial<Record<K, CsvValue>>[], columns: readonly K[]): string {
  const lines = [columns.join(",")];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(","));
  return lines.join("\n") + "\n";
}

/** Parse CSV text into string records (header line gives the keys). */
export function parseCsv(text: string, file = "<csv>"): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = "";
  let inQ = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQ) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') inQ = false;
      else cur += ch;
    } else if (ch === '"') inQ = true;
    else if (ch === ",") {
      row.push(cur);
      cur = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cur);
      rows.push(row);
      row = [];
      cur = "";
    } else cur += ch;
  }
  if (inQ) throw new DataError(file, "unterminated quoted field");
  if (cur !== "" || row.length) {
    row.push(cur);
    rows.push(row);
  }
  const [header, ...body] = rows;
  if (!header) throw new DataError(file, "empty CSV (no header line)");
  return body.map((r, k) => {
    if (r.length !== header.length) throw new DataError(file, `line ${k + 2} has ${r.length} fields, header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, r[j]!]));
  });
}

export function readCsv(file: string): Record<string, string>[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message}`);
  }
  return parseCsv(text, file);
}

/** Number from a CSV cell ("" -> NaN). */
export function num(s: string | undefined): number {
  if (s === undefined || s === "") return NaN;
  return Number(s);
}
