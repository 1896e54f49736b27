/**
 * The per-case heatmap of Tables I/II (lib/notebooks/interactive.ts caseMatrix / caseHeatmapSpec):
 * seeds averaged per case and setting, CT rows before MRI, hardest case first within a modality,
 * and one labelled cell per case and setting (hand-computed values).
 */
import { describe, it, expect } from "vitest";
import { caseHeatmapSpec, caseMatrix } from "../../lib/notebooks/interactive.ts";
import type { CasePoint } from "../../lib/notebooks/plotly.ts";

const P = (series: string, c: string, group: string, value: number): CasePoint => ({ series, case: c, group, value });

describe("case x setting matrix", () => {
  const points = [
    P("MRI", "15", "joint", 40), P("MRI", "15", "ours", 50),
    P("MRI", "5", "joint", 80), P("MRI", "5", "ours", 90),
    // case 3 twice per setting (two seeds): means 60 and 70
    P("CT", "3", "joint", 50), P("CT", "3", "joint", 70), P("CT", "3", "ours", 65), P("CT", "3", "ours", 75),
    P("CT", "12", "joint", 85), P("CT", "12", "ours", 95),
    P("CT", "2", "joint", 85), P("CT", "2", "ours", 95),
    P("CT", "9", "joint", NaN),
  ];
  it("averages seeds, orders CT then MRI, hardest first, ties by case id", () => {
    const rows = caseMatrix(points);
    expect(rows.map((r) => r.label)).toEqual(["CT 3", "CT 2", "CT 12", "MRI 15", "MRI 5"]);
    expect(rows[0]!.values).toEqual({ joint: 60, ours: 70 });
    expect(rows[0]!.mean).toBe(65);
    expect(rows[3]!.mean).toBe(45);
  });
  it("a case id that names its modality is its own label", () => {
    expect(caseMatrix([P("CT", "syn-cardiac-ct-s3-000", "ours", 70)])[0]!.label).toBe("syn-cardiac-ct-s3-000");
  });
  it("one cell per case and setting, labelled with the rounded value, in the rows' order", () => {
    const rows = caseMatrix(points);
    const spec = caseHeatmapSpec(rows, "t", ["individual", "joint", "ours"]) as { data: { values: { case: string; group: string; text: string }[] }; layer: { encoding: { x: { sort: string[] }; y: { sort: string[] } } }[]; height: number };
    expect(spec.data.values).toHaveLength(10);
    expect(spec.data.values.find((v) => v.case === "MRI 15" && v.group === "ours")?.text).toBe("50");
    // a setting without any value is not a column
    expect(spec.layer[0]!.encoding.x.sort).toEqual(["joint", "ours"]);
    expect(spec.layer[0]!.encoding.y.sort).toEqual(["CT 3", "CT 2", "CT 12", "MRI 15", "MRI 5"]);
    expect(spec.height).toBe(16 * 5);
  });
});
